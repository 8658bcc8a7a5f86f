"""Git mode's `--pr-per-step`: one branch and pull request per step of the migration plan, stacked
or independent. Real repositories with a bare remote, the CLI through click's CliRunner, and
GitHub played by the loopback contract server of tests/github_contract.py."""

from __future__ import annotations

import json
import re
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fastapi_fixer.reporting.plan import build_plan
from tests.github_contract import FakeGitHub, serve
from tests.gitrepo import git
from tests.test_git_mode import (  # noqa: F401  (isolated_git, project: fixtures used here)
    TOKEN,
    Project,
    error_lines,
    isolated_git,
    project,
    run,
)

PREFIX = "fastapi-fix"

# FF303: the marker of `list_items` moves into `Annotated` safely; `search` loses the default of
# a required marker while code calls it directly, so its fix is unsafe: the same rule in a safe
# and in an unsafe step of the plan
SEARCH_PY = """\
from fastapi import APIRouter, Query

router = APIRouter()


@router.get("/items")
def list_items(q: str = Query("")):
    return {"q": q}


@router.get("/search")
def search(q: str = Query(...)):
    return {"q": q}


def search_twice():
    return search("a"), search("b")
"""

# the plan of the project with --unsafe-fixes (asserted by test_the_plan_of_the_sample)
STEPS = [
    f"{PREFIX}/1-safe-async-concurrency",
    f"{PREFIX}/2-safe-dependency-injection",
    f"{PREFIX}/3-unsafe-dependency-injection",
    f"{PREFIX}/4-unsafe-performance-deployment",
]


@pytest.fixture
def steps_project(project: Project) -> Project:  # noqa: F811  (the fixture of test_git_mode)
    (project.root / "app" / "search.py").write_text(SEARCH_PY)
    project.git("add", "app/search.py")
    project.git("commit", "-q", "-m", "Search")
    project.git("push", "-q", "origin", "main")
    return project


@pytest.fixture
def github(steps_project: Project, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    with serve(FakeGitHub("acme", "shop", TOKEN, steps_project.remote)) as fake:
        steps_project.git("remote", "set-url", "origin", "https://github.com/acme/shop.git")
        steps_project.git(
            "config",
            f"url.{steps_project.remote}.insteadOf",
            "https://github.com/acme/shop.git",
        )
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        yield fake


def per_step(github: FakeGitHub, *args: str):
    return run(
        "--branch", PREFIX, "--pr-per-step", "--github-api", github.url, "--no-cache", *args, "app"
    )


def commits(repo: Project, since: str, branch: str) -> list[str]:
    log = repo.git("log", "--reverse", "--format=%s", f"{since}..{branch}")
    return log.splitlines()


def test_the_plan_of_the_sample(steps_project: Project):
    """The sample has what the tests below need: two safe steps, an unsafe step of a rule that
    also has a safe step, another unsafe step, and manual work."""
    from fastapi_fixer.engine import Engine, Mode
    from fastapi_fixer.settings import Settings

    found = Engine(Settings(unsafe_fixes=True), Mode(jobs=1)).run(["app"])
    plan = build_plan(found.diagnostics)
    fixable = [f"{PREFIX}/{step.slug}" for step in plan if step.kind != "manual"]
    assert fixable == STEPS
    assert plan[1].codes == plan[2].codes == ("FF303",)
    manual = [step for step in plan if step.kind == "manual"]
    assert manual and "FF101" in manual[0].codes  # `with open(...)`: reported, no fix


# --- stacked -------------------------------------------------------------------------------------


def test_stacked_pull_requests_build_on_each_other(steps_project: Project, github: FakeGitHub):
    repo = steps_project
    before = repo.state()
    main = repo.git("rev-parse", "main")
    result = per_step(github, "--unsafe-fixes")
    assert result.exit_code == 1, result.output  # manual work is left
    assert not error_lines(result), result.output
    assert repo.state() == before
    assert "one per step of the plan (stacked)" in result.output
    # one branch per step with fixes, each starting from the previous one; no branch NAME itself
    assert [b for b in repo.branches() if b.startswith(PREFIX)] == STEPS
    assert PREFIX not in repo.branches()
    parents = ["main", *STEPS[:-1]]
    for branch, parent in zip(STEPS, parents, strict=True):
        assert repo.remote_has(branch) == repo.git("rev-parse", branch)
        subjects = commits(repo, parent, branch)
        assert subjects, branch
        first = repo.git("rev-list", "--reverse", f"{parent}..{branch}").split()[0]
        assert repo.git("rev-parse", f"{first}^") == repo.git("rev-parse", parent)
    assert [s.split()[0] for s in commits(repo, STEPS[0], STEPS[1])] == ["FF303"]
    assert [s.split()[0] for s in commits(repo, STEPS[2], STEPS[3])] == ["FF904"]
    # the safe FF303 fix is in step 2, the unsafe one only from step 3 on
    assert 'Annotated[str, Query()] = ""' in repo.git("show", f"{STEPS[1]}:app/search.py")
    assert "def search(q: str = Query(...))" in repo.git("show", f"{STEPS[1]}:app/search.py")
    assert "def search(q: Annotated" in repo.git("show", f"{STEPS[2]}:app/search.py")
    assert repo.git("merge-base", STEPS[-1], "main") == main
    # the pull requests: opened in order, each based on the previous step's branch
    methods = [(r["method"], r["path"]) for r in github.requests]
    assert methods == [("POST", "/repos/acme/shop/pulls")] * 4 + [
        ("PATCH", f"/repos/acme/shop/pulls/{n}") for n in range(1, 5)
    ]
    assert [p["base"]["ref"] for p in github.pulls] == parents
    assert [p["head"]["ref"] for p in github.pulls] == STEPS
    for number in range(1, 5):
        opened = (
            f"Opened pull request for step {number}: https://github.com/acme/shop/pull/{number}"
        )
        assert opened in result.output
    titles = [p["title"] for p in github.pulls]
    assert titles[0].startswith("fastapi-fix 1/4: Safe fixes: async and concurrency (")
    assert titles[2].startswith("fastapi-fix 3/4: Fixes that change behaviour: dependency")
    # the first body, as opened, names the other steps by branch; the PATCH links them by number
    opened = json.loads(github.requests[0]["body"])["body"]
    assert f"2. Safe fixes: dependency injection: `{STEPS[1]}`" in opened
    bodies = [p["body"] for p in github.pulls]
    for index, body in enumerate(bodies):
        assert f"**Part {index + 1} of 4**, stacked" in body
        assert f"{index + 1}. #{index + 1} " in body and "← this pull request" in body
        assert re.search(rf"^{index + 1}\. #{index + 1} .* ← this pull request$", body, re.M)
        assert f"Base: `{parents[index]}` at `" in body
        assert "## Why this step: " in body
        assert "## Findings fixed" in body
        assert TOKEN not in body
    assert "These fixes keep the app's behaviour" in bodies[0]
    assert "These fixes change behaviour or public API" in bodies[2]
    # findings per rule, at their lines in the commit's parent
    assert re.search(r"`app/main.py:12` FF101: Blocking call `time.sleep`", bodies[0])
    assert re.search(r"`app/search.py:7` FF303: .*\(", bodies[1])
    assert "None: every fix in this step is safe." in bodies[0]
    # (line 14 in the parent: the safe step's fix imported `Annotated` above it)
    assert re.search(r"- `app/search.py:14` FF303: \*\*unsafe\*\* `Query", bodies[2])
    unsafe = bodies[2].split("## Unsafe fixes: review carefully", 1)[1]
    assert "1 fix above, marked **unsafe**, was applied with `--unsafe-fixes`: it may" in unsafe
    assert "**unsafe**" not in bodies[1]
    # the manual work is in the last body, and the others point there
    assert "- Left to a person: listed in #4." in bodies[0]
    left = bodies[3].split("## Left to a person", 1)[1]
    assert "### Plan step 5: Manual work: async and concurrency" in left
    assert re.search(r"`app/main.py:25:10` FF101: Blocking call `builtins.open`", left)
    assert "Nothing: no finding is left." not in left


def test_independent_pull_requests_all_start_from_the_base(
    steps_project: Project, github: FakeGitHub
):
    repo = steps_project
    before = repo.state()
    main = repo.git("rev-parse", "main")
    result = per_step(github, "--unsafe-fixes", "--independent")
    assert result.exit_code == 1, result.output
    assert repo.state() == before
    for branch in STEPS:
        first = repo.git("rev-list", "--reverse", f"main..{branch}").split()[0]
        assert repo.git("rev-parse", f"{first}^") == main, branch
    assert [p["base"]["ref"] for p in github.pulls] == ["main"] * 4
    assert "7 fixes committed (1 of them committed twice: carried by an unsafe step); " in (
        result.output
    )
    # the unsafe FF303 step starts from main: it carries FF303's safe fix first, on its own
    assert [s.split()[0] for s in commits(repo, "main", STEPS[2])] == ["FF303", "FF303"]
    carried = github.pull_of(STEPS[2])["body"]
    assert "**Part 3 of 4**, independent" in carried
    also = carried.split("## Also on this branch", 1)[1].split("##", 1)[0]
    assert "the safe fixes of FF303 are not made yet (#2 makes them too)" in also
    assert "(carried, see below) |" in carried
    assert "Base: `main` at `" in carried and "2 fixes in 1 file, 1 of them carried" in carried
    assert "- 1 safe fix, carried: #2 lists them" in carried
    assert github.pull_of(STEPS[2])["title"].endswith("dependency injection (1 fix)")
    # the safe step alone has the safe fix only
    assert [s.split()[0] for s in commits(repo, "main", STEPS[1])] == ["FF303"]
    assert "def search(q: str = Query(...))" in repo.git("show", f"{STEPS[1]}:app/search.py")
    assert "## Also on this branch" not in github.pull_of(STEPS[1])["body"]
    # step 4 (FF904, the health route) from main: no FF101 fix of step 1 in it
    assert "time.sleep(1)" in repo.git("show", f"{STEPS[3]}:app/main.py")
    assert '"/health"' in repo.git("show", f"{STEPS[3]}:app/main.py")


def test_without_unsafe_fixes_the_unsafe_steps_are_listed_not_made(
    steps_project: Project, github: FakeGitHub
):
    result = per_step(github)
    assert result.exit_code == 1, result.output
    assert [b for b in steps_project.branches() if b.startswith(PREFIX)] == STEPS[:2]
    assert "no branch for step 3, Fixes that change behaviour: dependency injection: its " in (
        result.output
    )
    last = github.pull_of(STEPS[1])["body"]
    assert "fastapi-fix 2/2: " in github.pull_of(STEPS[1])["title"]
    left = last.split("## Left to a person", 1)[1]
    assert "### Plan step 3: Fixes that change behaviour: dependency injection" in left
    assert "No branch: its fixes are unsafe: pass --unsafe-fixes (1 finding)." in left
    assert "an unsafe fix is available with --unsafe-fixes" in left


# --- failures, refusals, re-runs -----------------------------------------------------------------


def test_a_failure_while_opening_keeps_the_branches_and_a_rerun_updates_the_pull_requests(
    steps_project: Project, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
):
    repo = steps_project
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_WRONGwrongWRONG0123456789")
    failed = per_step(github)
    assert failed.exit_code == 2
    assert error_lines(failed) == [
        "error: GitHub API: 401 Bad credentials (the token in GITHUB_TOKEN/GH_TOKEN was "
        f"rejected); branches {STEPS[0]}, {STEPS[1]} are kept"
    ]
    assert [b for b in repo.branches() if b.startswith(PREFIX)] == STEPS[:2]
    assert repo.remote_has(STEPS[1])
    assert github.pulls == []
    # the same command is refused (the branches exist), and goes through with --force-branch
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    refused = per_step(github)
    assert refused.exit_code == 2
    assert error_lines(refused) == [
        f"error: branch {STEPS[0]} already exists; pass --force-branch to replace the "
        f"branches under {PREFIX}/"
    ]
    first = per_step(github, "--force-branch")
    assert first.exit_code == 1, first.output
    assert [p["base"]["ref"] for p in github.pulls] == ["main", STEPS[0]]
    # run again, independent this time: the open pull requests are found, not opened twice, and
    # PATCHed with the new body and base
    github.requests.clear()
    again = per_step(github, "--force-branch", "--independent")
    assert again.exit_code == 1, again.output
    assert len(github.pulls) == 2
    assert "Updated the open pull request for step 2: https://github.com/acme/shop/pull/2" in (
        again.output
    )
    assert [r["method"] for r in github.requests] == ["POST", "GET", "POST", "GET"] + ["PATCH"] * 2
    patch = json.loads(github.requests[-1]["body"])
    assert patch["base"] == "main"
    assert "base" not in json.loads(github.requests[-2]["body"])  # step 1 was on main already
    assert [p["base"]["ref"] for p in github.pulls] == ["main", "main"]
    assert "**Part 2 of 2**, independent" in github.pulls[1]["body"]
    assert repo.remote_has(STEPS[1]) == repo.git("rev-parse", STEPS[1])


def test_a_branch_named_like_the_prefix_is_refused_before_anything(
    steps_project: Project, github: FakeGitHub
):
    steps_project.git("branch", PREFIX, "main")
    before = steps_project.state()
    result = per_step(github)
    assert result.exit_code == 2
    assert error_lines(result) == [
        f"error: branch {PREFIX} exists, and git cannot have branches {PREFIX}/<step> next to "
        "it; pass another --branch"
    ]
    assert len(result.output.strip().splitlines()) == 1
    assert steps_project.state() == before
    assert github.requests == []
    assert not [b for b in steps_project.branches() if b.startswith(f"{PREFIX}/")]


def test_usage_errors():
    assert "--independent needs --pr-per-step" in run("--branch", "x", "--independent").output
    assert "--stacked needs --pr-per-step" in run("--branch", "x", "--stacked").output
    assert "--pr-per-step needs --branch NAME" in run("--pr-per-step", ".").output
    assert "--independent needs --branch NAME" in run("--independent", ".").output


# --- GitLab: one push per step, each with its own merge request options --------------------------


def test_gitlab_merge_requests_per_step(steps_project: Project, tmp_path: Path):
    repo = steps_project
    recorded = tmp_path / "push-options.txt"
    hook = repo.remote / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\n"
        f'out="{recorded}"\n'
        'echo "push $GIT_PUSH_OPTION_COUNT" >> "$out"\n'
        "i=0\n"
        'while [ "$i" -lt "${GIT_PUSH_OPTION_COUNT:-0}" ]; do\n'
        '  eval "echo \\"\\$GIT_PUSH_OPTION_$i\\"" >> "$out"\n'
        "  i=$((i + 1))\n"
        "done\n"
        "cat > /dev/null\n"
    )
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    git(repo.remote, "config", "receive.advertisePushOptions", "true")
    url = "https://gitlab.example.com/acme/shop.git"
    repo.git("remote", "set-url", "origin", url)
    repo.git("config", f"url.{repo.remote}.insteadOf", url)
    result = run("--branch", PREFIX, "--pr-per-step", "--unsafe-fixes", "--no-cache", "app")
    assert result.exit_code == 1, result.output
    pushes = recorded.read_text().split("push ")[1:]
    assert len(pushes) == 4
    targets = []
    for index, push in enumerate(pushes):
        lines = push.splitlines()
        assert lines[0] == "4"
        assert lines[1] == "merge_request.create"
        targets.append(lines[2].removeprefix("merge_request.target="))
        assert lines[3].startswith(f"merge_request.title=fastapi-fix {index + 1}/4: ")
        assert lines[4].startswith(f"merge_request.description=Part {index + 1} of 4 ")
    assert targets == ["main", *STEPS[:-1]]
    assert "Findings left to a person:" in pushes[-1]
    for branch in STEPS:
        assert repo.remote_has(branch) == repo.git("rev-parse", branch)
    assert f"Pushed {STEPS[1]} to origin; asked it to open a merge request into {STEPS[0]}." in (
        result.output
    )


# --- --verify ---------------------------------------------------------------------------------


def test_verify_is_reported_in_every_pull_request(steps_project: Project, github: FakeGitHub):
    """The fixes of every step are proven together, once, before anything is committed; each
    body says so, and the stack's tip is the verified state."""
    result = per_step(github, "--python", sys.executable, "--app", "app.main:app")
    assert result.exit_code == 1, result.output
    assert "Verified with " in result.output
    for pull in github.pulls:
        section = pull["body"].split("## Verified", 1)[1].split("\n## ", 1)[0]
        assert (
            "These checks ran once, before anything was committed, with the fixes of every step "
            "applied together: the state of the last step's branch." in section
        )
        assert f"with `{sys.executable}`" in section
        assert "- imports: " in section and "import before and after the fixes" in section
        assert "- OpenAPI: 1 app's OpenAPI document unchanged by the fixes" in section
        assert "differ from the verified state" not in section
        assert "Fixes dropped" not in section


def test_the_step_branches_are_created_all_or_none(steps_project: Project):
    import git as gitpython

    from fastapi_fixer.apply.git import GitModeError, create_branches

    main = steps_project.git("rev-parse", "main")
    steps_project.git("branch", STEPS[1], "main")
    repo = gitpython.Repo(steps_project.root)
    try:
        with pytest.raises(GitModeError, match=f"creating branches {STEPS[0]}, {STEPS[1]}"):
            create_branches(repo, {STEPS[0]: main, STEPS[1]: main}, force=False)
        assert STEPS[0] not in steps_project.branches()
        create_branches(repo, {STEPS[0]: main, STEPS[1]: main}, force=True)
        assert steps_project.git("rev-parse", STEPS[0]) == main
    finally:
        repo.close()


def test_nothing_to_fix_creates_no_branch_and_opens_nothing(
    steps_project: Project, github: FakeGitHub
):
    for name in ("main.py", "worker.py", "search.py"):
        (steps_project.root / "app" / name).write_text("VALUE = 1\n")
    steps_project.git("commit", "-q", "-am", "No FastAPI code")
    result = per_step(github)
    assert result.exit_code == 0, result.output
    assert "Nothing to fix: no branch created" in result.output
    assert not [b for b in steps_project.branches() if b.startswith(PREFIX)]
    assert github.requests == []


def test_a_body_stays_within_what_github_takes():
    from fastapi_fixer.apply.git import Base
    from fastapi_fixer.apply.pr import AppliedFix, RuleCommit, Summary
    from fastapi_fixer.apply.steps import MAX_BODY, Stack, StepBranch, step_body
    from fastapi_fixer.reporting.plan import PlanStep

    message = "Blocking call `x` " + "y" * 300
    commits = [
        RuleCommit(
            code=f"FF1{n:02d}",
            name="made-up",
            fixes=60,
            files=[("app/a.py", 60)],
            sha="0123456789abcdef",
            fixed=[
                AppliedFix("app/a.py", line, f"FF1{n:02d}", message, "Fix") for line in range(60)
            ],
        )
        for n in range(30)
    ]
    step = PlanStep(1, "1-safe-x", "Safe fixes: x", "safe", "X", ("FF100",), (), "Why.")
    summary = Summary("p/1-safe-x", "main", "feedface" * 5, commits=commits)
    stack = Stack("p", Base("feedface" * 5, "main", "main"), True, False)
    stack.branches.append(StepBranch(step, summary, None))
    body = step_body(stack, 0, "main")
    assert len(body) <= MAX_BODY < 65536
    assert body.endswith("`fastapi-fix check` lists every finding)\n")
    assert "- … and 10 more (see the commit messages)" in body  # 50 listed per rule


def test_the_tip_of_the_stack_is_what_one_branch_mode_makes(
    steps_project: Project, github: FakeGitHub
):
    stacked = per_step(github, "--unsafe-fixes")
    assert stacked.exit_code == 1, stacked.output
    single = run("--branch", "single", "--unsafe-fixes", "--no-cache", "app")
    assert single.exit_code == 1, single.output
    tree = steps_project.git("rev-parse", f"{STEPS[-1]}^{{tree}}")
    assert tree == steps_project.git("rev-parse", "single^{tree}")
    # and the same findings are left (the stack's output lists them as `check` does)
    left = [line for line in single.output.splitlines() if line.startswith("app/")]
    assert left and left == [
        line for line in stacked.output.splitlines() if line.startswith("app/")
    ]
