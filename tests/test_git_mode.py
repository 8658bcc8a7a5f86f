"""Git mode end to end: real repositories in temporary folders, a bare repository as the remote,
real commits and pushes, the CLI through click's CliRunner, and GitHub played by a loopback HTTP
server that checks requests the way GitHub does and answers as GitHub documents."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from fastapi_fixer.apply.git import GitModeError, parse_remote_url, scrub
from fastapi_fixer.apply.pr import AppliedFix, Finding, RuleCommit, Summary, pr_body, pr_title
from fastapi_fixer.cli import main
from fastapi_fixer.engine import Engine, Mode
from fastapi_fixer.models import FixSafety
from fastapi_fixer.registry import all_rules
from fastapi_fixer.settings import Settings
from tests.github_contract import FakeGitHub, serve
from tests.gitrepo import commit_with_remote, git

BRANCH = "fastapi-fix/blocking"
TOKEN = "ghp_TESTTOKEN0123456789abcdefSECRET"
SUBJECT = re.compile(
    r"^(?P<code>FF\d+) (?P<name>[a-z0-9-]+): (?P<fixes>\d+) fix(?:es)? in (?P<files>\d+) files?$"
)

MAIN_PY = """\
import asyncio
import subprocess
import time

from fastapi import FastAPI

app = FastAPI()


@app.get("/nap")
async def nap():
    time.sleep(1)
    return {"ok": True}


@app.post("/run")
async def run_job():
    out = subprocess.run(["echo", "hi"], capture_output=True)
    return {"code": out.returncode}


@app.get("/log")
async def read_log():
    await asyncio.sleep(0)
    with open("/tmp/log.txt") as handle:
        first = handle.readline()
        return {"log": first + "".join(handle)}  # iterated here: the open() has no fix
"""

WORKER_PY = """\
import time

from fastapi import APIRouter

router = APIRouter()


@router.get("/wait")
async def wait():
    time.sleep(2)
    return {}
"""


@pytest.fixture(autouse=True)
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No global or system git configuration, no token, no proxy for loopback."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "global.gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "0")
    for name in ("GITHUB_TOKEN", "GH_TOKEN", "GITHUB_API_URL", "GIT_DIR", "GIT_WORK_TREE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("GIT_INDEX_FILE", raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@dataclass
class Project:
    root: Path
    remote: Path

    def git(self, *args: str, check: bool = True) -> str:
        return git(self.root, *args, check=check)

    def state(self) -> tuple[str, ...]:
        """Everything about the checkout that git mode must leave as it was."""
        return (
            self.git("symbolic-ref", "-q", "HEAD", check=False),
            self.git("rev-parse", "HEAD"),
            self.git("status", "--porcelain", "--untracked-files=all", "--ignored"),
            self.git("ls-files", "--stage"),
            self.git("worktree", "list", "--porcelain"),
            (self.root / "app" / "main.py").read_text(),
            (self.root / "app" / "worker.py").read_text(),
        )

    def branches(self) -> list[str]:
        return self.git("for-each-ref", "--format=%(refname:short)", "refs/heads").split()

    def remote_has(self, branch: str) -> str | None:
        sha = git(
            self.remote, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False
        )
        return sha or None


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    root = tmp_path / "shop"
    (root / "app").mkdir(parents=True)
    (root / "app" / "main.py").write_text(MAIN_PY)
    (root / "app" / "worker.py").write_text(WORKER_PY)
    (root / "README.md").write_text("# shop\n")
    (root / ".gitignore").write_text("*.log\n")
    remote = commit_with_remote(root, tmp_path / "remote.git")
    # an untracked and an ignored file: allowed, and must survive untouched
    (root / "notes.txt").write_text("mine\n")
    (root / "debug.log").write_text("ignored\n")
    monkeypatch.chdir(root)
    return Project(root, remote)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def error_lines(result: Result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("error:")]


def subjects(project: Project, branch: str = BRANCH, base: str = "main") -> list[tuple[str, str]]:
    log = project.git("log", "--reverse", "--format=%H %s", f"{base}..{branch}")
    return [tuple(line.split(" ", 1)) for line in log.splitlines()]  # type: ignore[misc]


# --- the branch ----------------------------------------------------------------------------------


def test_clean_run_puts_fixes_on_a_branch_and_leaves_the_checkout_untouched(project: Project):
    before = project.state()
    result = run("--branch", BRANCH, "app")
    assert result.exit_code in (0, 1), result.output
    assert not error_lines(result), result.output
    assert project.state() == before
    assert BRANCH in project.branches()
    assert f"Created branch {BRANCH} from main" in result.output
    fixed = project.git("show", f"{BRANCH}:app/main.py")
    assert "await asyncio.sleep(1)" in fixed
    assert "def run_job():" in fixed and "async def run_job" not in fixed
    assert "await asyncio.sleep(2)" in project.git("show", f"{BRANCH}:app/worker.py")
    # the finding without a fix is reported, and the branch holds nothing but fix commits
    assert re.search(
        r"^app/main.py:\d+:10: FF101 Blocking call `builtins.open`", result.output, re.M
    )
    assert project.git("rev-parse", f"{BRANCH}~{len(subjects(project))}") == project.git(
        "rev-parse", "main"
    )
    assert project.git("rev-parse", "--abbrev-ref", f"{BRANCH}@{{upstream}}", check=False) == ""


def test_one_commit_per_rule_holding_exactly_that_rules_fixes(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    result = run("--branch", BRANCH)
    assert result.exit_code in (0, 1), result.output
    commits = subjects(project)
    assert commits, result.output
    codes = []
    for sha, subject in commits:
        match = SUBJECT.match(subject)
        assert match, subject
        code = match["code"]
        codes.append(code)
        assert match["name"] == all_rules()[code].NAME
        changed = project.git("diff-tree", "--no-commit-id", "--name-only", "-r", sha).split()
        assert len(changed) == int(match["files"])
        body = project.git("log", "-1", "--format=%b", sha)
        files = body.split("Files:\n", 1)[1].split("\n\n", 1)[0]
        listed = [line[2:].split(" (")[0] for line in files.splitlines()]
        assert sorted(listed) == sorted(changed)
        assert f"{sha[:7]} {subject}" in result.output
        # the commit is exactly this rule's fixes applied to its parent
        copy = tmp_path / f"check-{code}"
        project.git("worktree", "add", "-q", "--detach", str(copy), f"{sha}^")
        try:
            monkeypatch.chdir(copy)
            settings = Settings(select=(code,))
            expected = Engine(settings, Mode(fix=True, jobs=1)).run(["."])
            assert expected.applied.get(code) == int(match["fixes"])
            rewritten = {
                os.path.relpath(path, ".").replace(os.sep, "/"): text
                for path, text in expected.fixed.items()
                if text != expected.sources[path].text
            }
            assert sorted(rewritten) == sorted(changed)
            for path, text in rewritten.items():
                committed = subprocess.run(
                    ["git", "show", f"{sha}:{path}"],
                    cwd=project.root,
                    capture_output=True,
                    check=True,
                ).stdout.decode()
                assert committed == text, path
        finally:
            monkeypatch.chdir(project.root)
            project.git("worktree", "remove", "--force", str(copy))
    assert len(set(codes)) == len(codes)
    assert "FF101" in codes
    ff101 = next(SUBJECT.match(s) for _, s in commits if s.startswith("FF101 "))
    assert ff101 is not None and ff101["fixes"] == "4" and ff101["files"] == "2"
    # at the tip no rule has a safe fix left
    monkeypatch.chdir(project.root)
    tip = tmp_path / "tip"
    project.git("worktree", "add", "-q", "--detach", str(tip), BRANCH)
    monkeypatch.chdir(tip)
    left = Engine(Settings(), Mode(jobs=1)).run(["."])
    assert not [d for d in left.diagnostics if d.fix and d.fix.safety is FixSafety.SAFE]


def test_nothing_to_fix_creates_no_branch(project: Project):
    (project.root / "app" / "main.py").write_text("VALUE = 1\n")
    (project.root / "app" / "worker.py").write_text("OTHER = 2\n")
    project.git("commit", "-q", "-am", "No FastAPI code")
    result = run("--branch", BRANCH, "app")
    assert result.exit_code == 0, result.output
    assert "Nothing to fix" in result.output
    assert BRANCH not in project.branches()


@pytest.mark.parametrize("staged", [False, True], ids=["unstaged", "staged"])
def test_uncommitted_changes_are_refused(project: Project, staged: bool):
    (project.root / "app" / "worker.py").write_text(WORKER_PY + "# edited\n")
    if staged:
        project.git("add", "app/worker.py")
    before = project.state()
    result = run("--branch", BRANCH, "app")
    assert result.exit_code == 2
    assert error_lines(result) == [
        "error: the working tree has uncommitted changes to tracked files; "
        "commit or stash them first"
    ]
    assert len(result.output.strip().splitlines()) == 1
    assert BRANCH not in project.branches()
    assert project.state() == before


def test_paths_outside_a_repository_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    loose = tmp_path / "loose"
    loose.mkdir()
    (loose / "main.py").write_text(WORKER_PY)
    monkeypatch.chdir(loose)
    result = run("--branch", BRANCH, ".")
    assert result.exit_code == 2
    assert error_lines(result) == ["error: . is not inside a git repository"]
    assert (loose / "main.py").read_text() == WORKER_PY


def test_path_outside_the_repository_of_the_others_is_refused(project: Project, tmp_path: Path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.py").write_text("X = 1\n")
    result = run("--branch", BRANCH, "app", str(elsewhere))
    assert result.exit_code == 2
    assert error_lines(result) == [f"error: {elsewhere} is not inside a git repository"]
    assert BRANCH not in project.branches()


def test_detached_head_needs_base(project: Project):
    main_sha = project.git("rev-parse", "main")
    project.git("checkout", "-q", "--detach")
    before = project.state()
    refused = run("--branch", BRANCH, "app")
    assert refused.exit_code == 2
    assert error_lines(refused) == [
        "error: HEAD is detached; pass --base REF to choose what to branch from"
    ]
    assert BRANCH not in project.branches()
    accepted = run("--branch", BRANCH, "--base", "main", "app")
    assert accepted.exit_code in (0, 1), accepted.output
    assert project.state() == before
    commits = subjects(project)
    assert project.git("rev-parse", f"{commits[0][0]}^") == main_sha


def test_base_ref(project: Project):
    project.git("branch", "release", "main")
    (project.root / "extra.txt").write_text("on main only\n")
    project.git("add", "extra.txt")
    project.git("commit", "-q", "-m", "main moves on")
    result = run("--branch", BRANCH, "--base", "release", "app")
    assert result.exit_code in (0, 1), result.output
    assert f"from release ({project.git('rev-parse', '--short=7', 'release')})" in result.output
    assert project.git("merge-base", BRANCH, "main") == project.git("rev-parse", "release")
    assert run("--branch", "other", "--base", "no-such-ref", "app").exit_code == 2


def test_existing_branch_is_refused_unless_forced(project: Project):
    project.git("branch", BRANCH, "main")
    old = project.git("rev-parse", BRANCH)
    refused = run("--branch", BRANCH, "app")
    assert refused.exit_code == 2
    assert error_lines(refused) == [
        f"error: branch {BRANCH} already exists; pass --force-branch to replace it"
    ]
    assert project.git("rev-parse", BRANCH) == old
    forced = run("--branch", BRANCH, "--force-branch", "app")
    assert forced.exit_code in (0, 1), forced.output
    assert project.git("rev-parse", BRANCH) != old
    assert project.git("merge-base", BRANCH, "main") == project.git("rev-parse", "main")


def test_the_checked_out_branch_cannot_be_replaced(project: Project):
    result = run("--branch", "main", "--force-branch", "app")
    assert result.exit_code == 2
    assert error_lines(result) == ["error: branch main is checked out; it cannot be replaced"]


def test_a_branch_checked_out_in_another_worktree_cannot_be_replaced(
    project: Project, tmp_path: Path
):
    project.git("worktree", "add", "-q", "-b", BRANCH, str(tmp_path / "elsewhere"))
    result = run("--branch", BRANCH, "--force-branch", "app")
    assert result.exit_code == 2
    assert error_lines(result) == [
        f"error: branch {BRANCH} is checked out in {tmp_path / 'elsewhere'}; it cannot be replaced"
    ]


def test_usage_errors():
    assert run("--push", "origin", ".").exit_code == 2
    assert "needs --branch" in run("--pr", ".").output
    assert "needs --pr" in run("--branch", "x", "--pr-base", "main", ".").output
    assert run("--branch", "x", "--dry-run", ".").exit_code == 2


# --- pushing -------------------------------------------------------------------------------------


def test_push_sets_upstream(project: Project):
    result = run("--branch", BRANCH, "--push", "origin", "app")
    assert result.exit_code in (0, 1), result.output
    assert f"Pushed {BRANCH} to origin." in result.output
    assert project.remote_has(BRANCH) == project.git("rev-parse", BRANCH)
    assert project.git("rev-parse", "--abbrev-ref", f"{BRANCH}@{{upstream}}") == f"origin/{BRANCH}"
    assert project.git("symbolic-ref", "--short", "HEAD") == "main"


def test_push_to_unknown_remote_is_refused_before_anything(project: Project):
    result = run("--branch", BRANCH, "--push", "upstream", "app")
    assert result.exit_code == 2
    assert error_lines(result) == [
        "error: the repository has no remote named 'upstream' (remotes: origin)"
    ]
    assert BRANCH not in project.branches()


def test_push_failure_keeps_the_local_branch(project: Project, tmp_path: Path):
    project.git("remote", "set-url", "origin", str(tmp_path / "gone" / "remote.git"))
    before = project.state()
    result = run("--branch", BRANCH, "--push", "origin", "app")
    assert result.exit_code == 2
    errors = error_lines(result)
    assert len(errors) == 1
    assert errors[0].startswith(f"error: pushing {BRANCH} to origin failed: ")
    assert errors[0].endswith(f"; branch {BRANCH} is kept")
    assert BRANCH in project.branches()
    assert project.state() == before
    # the user can retry once the remote is back
    project.git("remote", "set-url", "origin", str(project.remote))
    retry = run("--branch", BRANCH, "--force-branch", "--push", "origin", "app")
    assert retry.exit_code in (0, 1), retry.output
    assert project.remote_has(BRANCH) == project.git("rev-parse", BRANCH)


def test_rejected_push_keeps_the_local_branch(project: Project, tmp_path: Path):
    # someone else already pushed a branch of that name: a non-fast-forward push is rejected
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(project.remote), str(other))
    git(other, "checkout", "-q", "-b", BRANCH)
    (other / "theirs.txt").write_text("theirs\n")
    git(other, "add", "theirs.txt")
    git(other, "-c", "user.name=O", "-c", "user.email=o@example.com", "commit", "-q", "-m", "x")
    git(other, "push", "-q", "origin", BRANCH)
    result = run("--branch", BRANCH, "--push", "origin", "app")
    assert result.exit_code == 2
    assert "rejected" in result.output
    assert BRANCH in project.branches()
    assert project.remote_has(BRANCH) == git(other, "rev-parse", "HEAD")


# --- pull requests on GitHub (tests/github_contract.py: a loopback server that behaves like it) --


@pytest.fixture
def github(project: Project) -> Iterator[FakeGitHub]:
    with serve(FakeGitHub("acme", "shop", TOKEN, project.remote)) as fake:
        # the remote says github.com/acme/shop; git pushes to the bare repository instead
        project.git("remote", "set-url", "origin", "https://github.com/acme/shop.git")
        project.git("config", f"url.{project.remote}.insteadOf", "https://github.com/acme/shop.git")
        yield fake


def test_pull_request_is_opened(
    project: Project, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    before = project.state()
    result = run("--branch", BRANCH, "--pr", "--github-api", github.url, "app")
    assert result.exit_code in (0, 1), result.output
    assert "Opened pull request: https://github.com/acme/shop/pull/1" in result.output
    assert TOKEN not in result.output
    assert project.state() == before
    assert project.remote_has(BRANCH) == project.git("rev-parse", BRANCH)
    [request] = github.requests
    assert request["method"] == "POST"
    assert request["path"] == "/repos/acme/shop/pulls"
    headers = request["headers"]
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["accept"] == "application/vnd.github+json"
    assert headers["x-github-api-version"] == "2022-11-28"
    assert headers["user-agent"].startswith("fastapi-fix/")
    assert headers["content-type"] == "application/json"
    sent = json.loads(request["body"])
    assert sent["head"] == BRANCH and sent["base"] == "main"
    assert sent["title"].startswith("fastapi-fix: ") and "FF101" in sent["title"]
    body = sent["body"]
    assert "fastapi-fix" in body
    assert "| Rule | Name | Fixes | Files | Commit |" in body
    ff101 = next(sha for sha, subject in subjects(project) if subject.startswith("FF101 "))
    assert f"| blocking-call-in-async | 4 | 2 | {ff101[:12]} |" in body
    assert (
        "[FF101](https://github.com/fastapi-fix/fastapi-fix/blob/main/docs/rules/FF101.md)" in body
    )
    assert "## Unsafe fixes: review carefully" in body
    assert "## Left for a human" in body
    assert re.search(r"`app/main.py:\d+:10` FF101: Blocking call `builtins.open`", body)
    assert TOKEN not in body


ITEMS_PY = """\
from fastapi import APIRouter
from pydantic import BaseModel

router = APIRouter()


class Item(BaseModel):
    name: str


@router.post("/items")
def create_item(item: Item) -> Item:
    return item
"""


def test_unsafe_fixes_are_called_out_in_the_pull_request(
    project: Project, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
):
    (project.root / "app" / "items.py").write_text(ITEMS_PY)
    project.git("add", "app/items.py")
    project.git("commit", "-q", "-m", "Items")
    found = Engine(Settings(unsafe_fixes=True), Mode(jobs=1)).run(["app"])
    unsafe = [d for d in found.diagnostics if d.fix and d.fix.safety is FixSafety.UNSAFE]
    if not unsafe:
        pytest.skip("no rule offers an unsafe fix for this sample")
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    result = run("--branch", BRANCH, "--unsafe-fixes", "--pr", "--github-api", github.url, "app")
    assert result.exit_code in (0, 1), result.output
    body = json.loads(github.requests[0]["body"])["body"]
    section = body.split("## Unsafe fixes: review carefully", 1)[1].split("## Left for a human")[0]
    for diagnostic in unsafe:
        # lines are those before the rule's own commit, after earlier rules' commits moved code
        listed = rf"- `{re.escape(diagnostic.path)}:\d+` {diagnostic.code}: "
        assert re.search(listed, section), (listed, section)
    # and each unsafe fix is listed in its rule's commit message too
    for sha, subject in subjects(project):
        code = subject.split(" ", 1)[0]
        mine = [d for d in unsafe if d.code == code]
        message = project.git("log", "-1", "--format=%B", sha)
        assert ("Unsafe fixes, review carefully:" in message) == bool(mine)


def test_verify_drops_a_breaking_fix_before_committing_and_the_pull_request_says_so(
    project: Project, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
):
    """`--verify-tests`: the fixes are proven in a copy of the worktree before anything is
    committed; FF303's fix of api/items.py breaks the project's own test (see
    tests/projects/verify_drop/README.md), so it is in no commit, and the body says so."""
    pytest.importorskip("httpx")
    drop = Path(__file__).resolve().parent / "projects" / "verify_drop"
    for part in ("api", "tests", "pyproject.toml"):
        source = drop / part
        if source.is_dir():
            shutil.copytree(source, project.root / part)
        else:
            shutil.copy(source, project.root / part)
    project.git("add", ".")
    project.git("commit", "-q", "-m", "API")
    items = (project.root / "api" / "items.py").read_text()
    tests = f"{sys.executable} -m pytest -q -p no:cacheprovider -p no:randomly tests"
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    result = run(
        "--branch", BRANCH, "--pr", "--github-api", github.url, "--no-cache",
        "--python", sys.executable, "--verify-tests", tests, ".",
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    assert "Dropped FF303 fixes in api/items.py: tests" in result.output
    assert project.git("show", f"{BRANCH}:api/items.py") + "\n" == items
    assert "await asyncio.sleep(0.01)" in project.git("show", f"{BRANCH}:api/reports.py")
    body = json.loads(github.requests[0]["body"])["body"]
    section = body.split("## Verified", 1)[1].split("## Unsafe fixes")[0]
    assert f"with `{sys.executable}` (Python {sys.version.split()[0]})" in section
    assert "- imports: " in section and "import before and after the fixes" in section
    assert "- OpenAPI: 2 apps' OpenAPI documents unchanged by the fixes" in section, section
    assert f"- tests: `{tests}` passed before and passed after (" in section
    assert "Fixes dropped because they broke something (not in this branch):" in section
    assert "differ from the verified state" not in section  # the branch is what was verified
    assert (
        f"- Dropped FF303 fixes in api/items.py: tests `{tests}` passed before and fail after"
        in (section)
    )


def test_pull_request_with_a_bad_token_fails_and_keeps_the_branch(
    project: Project, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
):
    bad = "ghp_WRONGwrongWRONG0123456789"
    monkeypatch.setenv("GH_TOKEN", bad)
    result = run("--branch", BRANCH, "--pr", "--github-api", github.url, "app")
    assert result.exit_code == 2
    errors = error_lines(result)
    assert errors == [
        "error: GitHub API: 401 Bad credentials (the token in GITHUB_TOKEN/GH_TOKEN was "
        f"rejected); branch {BRANCH} is kept"
    ]
    assert bad not in result.output
    assert BRANCH in project.branches()
    assert project.remote_has(BRANCH)
    assert github.requests[0]["headers"]["authorization"] == f"Bearer {bad}"


def test_existing_pull_request_is_found_and_printed(
    project: Project, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    first = run("--branch", BRANCH, "--pr", "--github-api", github.url, "app")
    assert "Opened pull request: https://github.com/acme/shop/pull/1" in first.output
    again = run("--branch", BRANCH, "--force-branch", "--pr", "--github-api", github.url, "app")
    assert again.exit_code in (0, 1), again.output
    assert (
        f"A pull request for {BRANCH} already exists: https://github.com/acme/shop/pull/1"
        in again.output
    )
    assert [r["method"] for r in github.requests] == ["POST", "POST", "GET"]
    lookup = urllib.parse.urlsplit(github.requests[-1]["path"])
    assert lookup.path == "/repos/acme/shop/pulls"
    assert urllib.parse.parse_qs(lookup.query) == {"head": [f"acme:{BRANCH}"], "state": ["open"]}
    assert len(github.pulls) == 1


def test_github_repo_and_pr_base_options(
    project: Project, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    github.owner, github.repo = "other-org", "shop-fork"
    project.git("push", "-q", "origin", "main:develop")
    result = run(
        "--branch",
        BRANCH,
        "--pr",
        "--pr-base",
        "develop",
        "--github-repo",
        "other-org/shop-fork",
        "--github-api",
        github.url,
        "app",
    )
    assert result.exit_code in (0, 1), result.output
    [request] = github.requests
    assert request["path"] == "/repos/other-org/shop-fork/pulls"
    assert json.loads(request["body"])["base"] == "develop"


def test_missing_repository_is_a_404(
    project: Project, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    result = run(
        "--branch", BRANCH, "--pr", "--github-repo", "acme/nope", "--github-api", github.url
    )
    assert result.exit_code == 2
    [line] = error_lines(result)
    assert line.startswith("error: GitHub API: 404 Not Found (no repository acme/nope at ")
    assert BRANCH in project.branches()


def test_pr_without_a_token_is_refused_before_anything(project: Project, github: FakeGitHub):
    result = run("--branch", BRANCH, "--pr", "--github-api", github.url, "app")
    assert result.exit_code == 2
    assert error_lines(result) == ["error: --pr needs a GitHub token in GITHUB_TOKEN or GH_TOKEN"]
    assert BRANCH not in project.branches()
    assert project.remote_has(BRANCH) is None
    assert github.requests == []


def test_unreachable_api_is_a_one_line_error(project: Project, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    project.git("remote", "set-url", "origin", "git@github.com:acme/shop.git")
    project.git("config", f"url.{project.remote}.insteadOf", "git@github.com:acme/shop.git")
    result = run("--branch", BRANCH, "--pr", "--github-api", "http://127.0.0.1:9", "app")
    assert result.exit_code == 2
    [line] = error_lines(result)
    assert line.startswith("error: cannot reach the GitHub API at http://127.0.0.1:9: ")
    assert TOKEN not in result.output
    assert BRANCH in project.branches()


def test_the_token_never_appears_even_when_it_is_in_the_remote_url(
    project: Project, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    # nothing listens on port 9 of the loopback: the push fails, and git's message names the URL
    project.git(
        "remote", "set-url", "origin", f"https://x-access-token:{TOKEN}@127.0.0.1:9/a/b.git"
    )
    result = run("--branch", BRANCH, "--push", "origin", "app")
    assert result.exit_code == 2
    assert TOKEN not in result.output
    assert len(error_lines(result)) == 1
    assert BRANCH in project.branches()


def test_plain_http_api_is_refused_for_a_remote_host(
    project: Project, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    project.git("remote", "set-url", "origin", "https://github.com/acme/shop.git")
    result = run("--branch", BRANCH, "--pr", "--github-api", "http://ghe.example.com/api/v3")
    assert result.exit_code == 2
    assert "use https" in result.output
    assert BRANCH not in project.branches()


# --- merge requests on GitLab: push options ------------------------------------------------------


def test_gitlab_merge_request_through_push_options(project: Project, tmp_path: Path):
    recorded = tmp_path / "push-options.txt"
    hook = project.remote / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\n"
        f'out="{recorded}"\n'
        ': > "$out"\n'
        'echo "count=$GIT_PUSH_OPTION_COUNT" >> "$out"\n'
        "i=0\n"
        'while [ "$i" -lt "${GIT_PUSH_OPTION_COUNT:-0}" ]; do\n'
        '  eval "echo \\"\\$GIT_PUSH_OPTION_$i\\"" >> "$out"\n'
        "  i=$((i + 1))\n"
        "done\n"
        "cat > /dev/null\n"
    )
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    git(project.remote, "config", "receive.advertisePushOptions", "true")
    project.git("remote", "set-url", "origin", "https://gitlab.example.com/acme/shop.git")
    project.git(
        "config", f"url.{project.remote}.insteadOf", "https://gitlab.example.com/acme/shop.git"
    )
    result = run("--branch", BRANCH, "--pr", "app")
    assert result.exit_code in (0, 1), result.output
    lines = recorded.read_text().splitlines()
    assert lines[0] == "count=4"
    options = lines[1:]
    assert options[0] == "merge_request.create"
    assert options[1] == "merge_request.target=main"
    assert options[2].startswith("merge_request.title=fastapi-fix: ")
    assert "FF101" in options[2]
    assert options[3].startswith("merge_request.description=Opened by fastapi-fix")
    assert "FF101 blocking-call-in-async: 4" in options[3]
    assert project.remote_has(BRANCH) == project.git("rev-parse", BRANCH)
    assert "Asked origin to open a merge request into main." in result.output


# --- pieces --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "host", "path"),
    [
        ("https://github.com/acme/shop.git", "github.com", "acme/shop"),
        ("https://github.com/acme/shop", "github.com", "acme/shop"),
        ("https://github.com/acme/shop/", "github.com", "acme/shop"),
        ("https://user:tok@github.com/acme/shop.git", "github.com", "acme/shop"),
        ("git@github.com:acme/shop.git", "github.com", "acme/shop"),
        ("git@github.com:acme/shop", "github.com", "acme/shop"),
        ("ssh://git@github.com/acme/shop.git", "github.com", "acme/shop"),
        ("ssh://git@ghe.corp:2222/acme/shop", "ghe.corp", "acme/shop"),
        ("https://GitLab.example.com/group/sub/proj.git", "gitlab.example.com", "group/sub/proj"),
        ("/srv/git/shop.git", "", "srv/git/shop"),
        ("file:///srv/git/shop.git", "", "srv/git/shop"),
    ],
)
def test_remote_url_forms(url: str, host: str, path: str):
    assert parse_remote_url(url) == (host, path)


def test_scrub_hides_tokens_and_url_credentials(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GH_TOKEN", "s3cr3t-token")
    text = "fatal: https://me:pw@host/x.git and https://tok@host/y and s3cr3t-token"
    assert scrub(text) == "fatal: https://***@host/x.git and https://***@host/y and ***"
    assert scrub("plain", ["plain"]) == "***"
    assert issubclass(GitModeError, Exception)


def test_pr_body_calls_out_unsafe_fixes_and_findings_left():
    commit = RuleCommit(
        code="FF999",
        name="made-up-rule",
        titles=[("app/a.py", "Do the thing"), ("app/b.py", "Do the thing")],
        fixes=2,
        files=[("app/a.py", 1), ("app/b.py", 1)],
        unsafe=[AppliedFix("app/b.py", 7, "FF999", "Thing `x` is wrong", "Rename `x`")],
        sha="0123456789abcdef",
    )
    summary = Summary(
        branch=BRANCH,
        base_label="main",
        base_sha="feedfacecafebeef",
        commits=[commit],
        left=[Finding("app/c.py", 3, 4, "FF101", "Blocking | call", "no fix")],
        problems=["app/d.py: syntax error: invalid syntax (line 1)"],
        unsafe_enabled=True,
    )
    body = pr_body(summary)
    assert pr_title(summary) == "fastapi-fix: 2 fixes (FF999)"
    assert commit.subject == "FF999 made-up-rule: 2 fixes in 2 files"
    assert (
        "| [FF999](https://github.com/fastapi-fix/fastapi-fix/blob/main/docs/rules/FF999.md) "
        "| made-up-rule | 2 | 2 | 0123456789ab |" in body
    )
    assert "- `app/b.py:7` FF999: Rename `x` (Thing `x` is wrong)" in body
    assert "- `app/c.py:3:5` FF101: Blocking \\| call (no fix)" in body
    assert "## Not processed" in body and "app/d.py: syntax error" in body
    message = commit.message()
    assert message.splitlines()[0] == commit.subject
    assert "- app/a.py (1 fix)" in message and "Unsafe fixes, review carefully:" in message
    assert message.splitlines()[2] == "Do the thing."
