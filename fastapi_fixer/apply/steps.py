"""Git mode, one pull request per step of the migration plan:
`fastapi-fix --branch NAME --pr-per-step [--stacked | --independent] [PATHS]`.

The plan (reporting/plan.py, the same one `fastapi-fix report` shows) orders the findings in
steps: safe fixes one guide section at a time, then the unsafe ones, then the manual work. Each
step with fixes gets a branch `NAME/<step slug>` holding one commit per rule, and a pull request
saying what the step does, why, what was fixed and what `--verify` proved.

- stacked (the default): step k's branch starts from step k-1's branch and its pull request
  targets it; the first one targets the base (--pr-base, else the branch the run started from).
  Merged in order, each pull request shows exactly its step's changes.
- independent: every step's branch starts from the base commit and its pull request targets the
  base. An unsafe step's rules may have safe fixes too (in an earlier safe step); an independent
  branch cannot take them from there, so it carries them as commits of their own before its
  unsafe commits, and its pull request says so.

Manual steps (findings without a fix) get no branch: the last pull request lists them, with the
findings left for any other reason. Unsafe steps are made only with --unsafe-fixes; without, they
are listed there too.

Everything is computed before any branch exists; the branches are then created in one
transaction (`git update-ref --stdin`), pushed, and the pull requests opened in order. Once all
are open, each body is rewritten (PATCH) with the numbers of the others. A failure after the
branches exist keeps them; the same command with --force-branch picks up where it stopped (an
open pull request of a branch is found and updated, not opened twice).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import click

from fastapi_fixer import __version__
from fastapi_fixer.apply.branch import (
    EXIT_CLEAN,
    EXIT_ERROR,
    EXIT_FINDINGS,
    _chdir,
    _GitMode,
    _merge_request_link,
    _Remote,
)
from fastapi_fixer.apply.pr import (
    MAX_LISTED,
    PROJECT_URL,
    RULE_DOCS_URL,
    AppliedFix,
    Finding,
    PullRequest,
    RuleCommit,
    Summary,
    _cell,
    _plural,
)

if TYPE_CHECKING:
    from git import Repo

    from fastapi_fixer.apply.git import Base, Checkout
    from fastapi_fixer.models import Diagnostic
    from fastapi_fixer.reporting.plan import PlanStep


MAX_BODY = 65_000  # GitHub refuses a pull request body of more than 65536 characters


@dataclass
class StepBranch:
    """One plan step's branch: its commits (``summary``), where it starts, its pull request."""

    step: PlanStep
    summary: Summary  # branch, the parent's label and commit, the commits
    parent: str | None  # the branch it starts from in a stack; None: the base
    carried: list[str] = field(default_factory=list)  # codes whose safe fixes it carries
    pull: PullRequest | None = None

    @property
    def name(self) -> str:
        return self.summary.branch

    @property
    def tip(self) -> str:
        return self.summary.commits[-1].sha

    @property
    def own(self) -> list[RuleCommit]:
        """The step's own commits, after the ones it carries."""
        return self.summary.commits[len(self.carried) :]

    @property
    def fixes(self) -> int:
        return sum(commit.fixes for commit in self.own)


@dataclass
class Stack:
    """Everything `--pr-per-step` did, in repository-relative paths."""

    prefix: str
    base: Base
    stacked: bool
    unsafe_enabled: bool
    branches: list[StepBranch] = field(default_factory=list)
    manual: list[tuple[PlanStep, list[Finding]]] = field(default_factory=list)
    skipped: list[tuple[PlanStep, str]] = field(default_factory=list)  # (step, why no branch)
    left: list[Finding] = field(default_factory=list)  # every finding left for a person
    problems: list[str] = field(default_factory=list)
    verification: Any = None  # apply/verify.py's Verification
    verified_note: str = ""  # the stack's tip differs from the verified state

    @property
    def fixes(self) -> int:
        """The fixes made, each once: an independent branch's carried commits repeat others'."""
        return sum(b.fixes for b in self.branches)

    @property
    def carried_fixes(self) -> int:
        return sum(c.fixes for b in self.branches for c in b.summary.commits[: len(b.carried)])


class StepMode(_GitMode):
    """`--pr-per-step`: the checks, the worktree and the commits of `_GitMode`, one step at a
    time."""

    exact_lines = True  # the bodies list each finding at its line in its commit's parent

    # --- checks --------------------------------------------------------------------------------

    def run(self) -> int:
        from fastapi_fixer.apply.git import ensure_clean, open_checkout, resolve_base

        checkout = open_checkout(self.paths)
        ensure_clean(checkout)
        base = resolve_base(checkout.repo, self.options.base)
        self._check_prefix(checkout.repo)
        remote = self._remote(checkout.repo, base)
        try:
            stack = self._commit_steps(checkout, base)
            if stack is None:
                return self.exit_code
            self._print_stack(stack)
            if remote is not None:
                self._publish_stack(checkout.repo, remote, stack)
        finally:
            checkout.repo.close()
        return self.exit_code

    def _check_prefix(self, repo: Repo) -> None:
        """The step branches are `NAME/<slug>`: NAME must be free to hold them (git cannot
        have a branch NAME and a branch NAME/x), and branches already under NAME/ are replaced
        only with --force-branch."""
        from fastapi_fixer.apply.git import GitModeError, branch_exists, branches_under, run_git

        prefix = self.options.branch
        try:
            run_git(repo, "check-ref-format", "--branch", f"{prefix}/1-step")
        except GitModeError:
            raise GitModeError(f"{prefix!r} is not a valid branch name") from None
        if branch_exists(repo, prefix):
            raise GitModeError(
                f"branch {prefix} exists, and git cannot have branches {prefix}/<step> next to "
                "it; pass another --branch"
            )
        existing = branches_under(repo, prefix)
        if existing and not self.options.force_branch:
            raise GitModeError(
                f"branch {existing[0]} already exists; pass --force-branch to replace the "
                f"branches under {prefix}/"
            )

    # --- the steps, in the temporary worktree -------------------------------------------------

    def _commit_steps(self, checkout: Checkout, base: Base) -> Stack | None:
        from fastapi_fixer.apply.git import (
            check_new_branch,
            checkout_detached,
            create_branches,
            temporary_worktree,
        )
        from fastapi_fixer.models import fix_allowed
        from fastapi_fixer.reporting.plan import build_plan

        options = self.options
        with temporary_worktree(checkout.repo, base.sha) as worktree:
            root = os.path.realpath(str(worktree.working_tree_dir))
            engine_paths, cwd = self._engine_paths(checkout, root, base)
            with _chdir(cwd):
                settings = self.settings_for(engine_paths)
                stack = Stack(options.branch, base, options.stacked, settings.unsafe_fixes)
                verified = None
                if self.verify is not None:
                    scratch = Summary(options.branch, base.label, base.sha)
                    verified = self._verify(root, engine_paths, settings, scratch)
                    if verified is None:
                        self.exit_code = EXIT_ERROR
                        return None
                    stack.verification = self.verification
                start = self._check(worktree, engine_paths, settings)[1]
                problems: dict[str, None] = {}
                left: list[Diagnostic] = [
                    d for d in start.diagnostics if not fix_allowed(d.fix, settings.unsafe_fixes)
                ]
                parent: StepBranch | None = None
                for step in build_plan(start.diagnostics):
                    if step.kind == "manual":
                        findings = self._left(step.findings, root, settings)
                        stack.manual.append((step, findings))
                        continue
                    if step.kind == "unsafe" and not settings.unsafe_fixes:
                        stack.skipped.append((step, "its fixes are unsafe: pass --unsafe-fixes"))
                        continue
                    if not options.stacked:
                        checkout_detached(worktree, base.sha)
                    made, tip = self._commit_step(
                        worktree, root, engine_paths, settings, step, parent, base, problems
                    )
                    left += [
                        d
                        for d in tip.diagnostics
                        if d.code in step.codes and fix_allowed(d.fix, step.kind == "unsafe")
                    ]
                    if made is None:
                        stack.skipped.append((step, "none of its fixes applied"))
                        continue
                    stack.branches.append(made)
                    if options.stacked:
                        parent = made
                if options.stacked:
                    # the tip of the stack: what is left is what the last branch still has
                    final = self._check(worktree, engine_paths, settings)[1]
                    left = list(final.diagnostics)
                    if verified is not None and stack.branches:
                        note = Summary(options.branch, base.label, base.sha, verification=[])
                        self._compare_tip(verified, note)
                        stack.verified_note = " ".join(note.verification or [])
                    self._record_problems(final, root, problems)
                else:
                    self._record_problems(start, root, problems)
                stack.left = self._left(_unique(left), root, settings)
                stack.problems = list(problems)
            self.exit_code = (
                EXIT_ERROR if stack.problems else EXIT_FINDINGS if stack.left else EXIT_CLEAN
            )
            if not stack.branches:
                summary = Summary(options.branch, base.label, base.sha)
                summary.left, summary.problems = stack.left, stack.problems
                self._print_left(summary)
                click.echo(f"Nothing to fix: no branch created; {self._left_line(summary)}")
                return None
            for made in stack.branches:
                check_new_branch(checkout.repo, made.name, options.force_branch)
            create_branches(
                checkout.repo, {b.name: b.tip for b in stack.branches}, options.force_branch
            )
        return stack

    def _commit_step(
        self,
        worktree: Repo,
        root: str,
        engine_paths: tuple[str, ...],
        settings: Any,
        step: PlanStep,
        parent: StepBranch | None,
        base: Base,
        problems: dict[str, None],
    ) -> tuple[StepBranch | None, Any]:
        """The step's commits on the worktree's HEAD (its parent's tip, or the base): one per
        rule, as `_GitMode` makes them. Returns the branch (None: nothing was committed) and
        the last check."""
        unsafe = step.kind == "unsafe"
        summary = Summary(
            branch=f"{self.options.branch}/{step.slug}",
            base_label=parent.name if parent else base.label,
            base_sha=parent.tip if parent else base.sha,
            unsafe_enabled=unsafe,
        )
        carried: list[str] = []
        if unsafe and not self.options.stacked:
            # from the base, the rules' safe fixes (an earlier step's) are not there yet
            safe = settings.with_overrides(unsafe_fixes=False)
            self._fix_rule_by_rule(
                worktree, root, engine_paths, safe, summary, problems, step.codes
            )
            carried = [commit.code for commit in summary.commits]
        wanted = settings.with_overrides(unsafe_fixes=unsafe)
        tip = self._fix_rule_by_rule(
            worktree, root, engine_paths, wanted, summary, problems, step.codes
        )
        if len(summary.commits) == len(carried):  # (stacked: nothing was committed)
            return None, tip
        return StepBranch(step, summary, parent.name if parent else None, carried), tip

    # --- output ----------------------------------------------------------------------------------

    def _print_stack(self, stack: Stack) -> None:
        count = len(stack.branches)
        how = "stacked" if stack.stacked else f"each from {stack.base.label}"
        click.echo(
            f"Created {_plural(count, 'branch', 'branches')} from {stack.base.label} "
            f"({stack.base.sha[:7]}), one per step of the plan ({how}):"
        )
        for made in stack.branches:
            commits = len(made.summary.commits)
            click.echo(f"  {made.name}: {made.step.title} ({_plural(commits, 'commit')})")
            for commit in made.summary.commits:
                click.echo(f"    {commit.sha[:7]} {commit.subject}")
        for step, findings in stack.manual:
            click.echo(
                f"  no branch for step {step.number}, {step.title}: "
                f"{_plural(len(findings), 'finding')} left to a person"
            )
        for step, why in stack.skipped:
            click.echo(f"  no branch for step {step.number}, {step.title}: {why}")
        summary = Summary(stack.prefix, stack.base.label, stack.base.sha)
        summary.left, summary.problems = stack.left, stack.problems
        self._print_left(summary)
        fixes = stack.fixes
        carried = (
            f" ({stack.carried_fixes} of them committed twice: carried by an unsafe step)"
            if stack.carried_fixes
            else ""
        )
        click.echo(
            f"{fixes} fix{'' if fixes == 1 else 'es'} committed{carried}; "
            f"{self._left_line(summary)} Your checkout was not changed."
        )

    # --- publishing ------------------------------------------------------------------------------

    def _publish_stack(self, repo: Repo, remote: _Remote, stack: Stack) -> None:
        from fastapi_fixer.apply.git import GitModeError, push_branch, push_branches
        from fastapi_fixer.apply.pr import open_pull_request, update_pull_request

        names = [b.name for b in stack.branches]
        keep = (
            f"; branches {', '.join(names)} are kept"
            if len(names) > 1
            else f"; branch {names[0]} is kept"
        )
        force = self.options.force_branch
        pr_base = remote.pr_base or ""
        gitlab = self.options.pr and remote.github is None
        try:
            if gitlab:  # one push per branch: GitLab reads one set of push options per push
                for index, made in enumerate(stack.branches):
                    target = made.parent or pr_base
                    messages = push_branch(
                        repo,
                        remote.info.name,
                        made.name,
                        force,
                        gitlab_step_options(stack, index, target),
                    )
                    link = _merge_request_link(messages)
                    click.echo(
                        f"Pushed {made.name} to {remote.info.name}; "
                        + (
                            f"merge request: {link}"
                            if link
                            else f"asked it to open a merge request into {target}."
                        )
                    )
                return
            push_branches(repo, remote.info.name, names, force)
        except GitModeError as exc:
            raise GitModeError(f"{exc}{keep}") from None
        click.echo(f"Pushed {', '.join(names)} to {remote.info.name}.")
        if remote.github is None:
            return
        try:
            for index, made in enumerate(stack.branches):
                made.pull = open_pull_request(
                    remote.github,
                    title=step_title(stack, index),
                    head=made.name,
                    base=made.parent or pr_base,
                    body=step_body(stack, index, pr_base),
                )
                what = "Opened" if made.pull.created else "Updated the open"
                click.echo(f"{what} pull request for step {made.step.number}: {made.pull.url}")
            # every number is known now: each body links the others (and a pull request found
            # open from an earlier run gets this run's title, body and base)
            for index, made in enumerate(stack.branches):
                pull = made.pull
                if pull is None or pull.number is None:
                    continue
                wanted = made.parent or pr_base
                update_pull_request(
                    remote.github,
                    pull.number,
                    title=step_title(stack, index),
                    body=step_body(stack, index, pr_base),
                    base=wanted if pull.base != wanted else None,
                )
        except GitModeError as exc:
            raise GitModeError(f"{exc}{keep}") from None


def _unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    seen: dict[tuple, Diagnostic] = {}
    for d in diagnostics:
        seen.setdefault((d.path, d.span.line, d.span.col, d.code, d.message), d)
    return sorted(seen.values(), key=lambda d: d.sort_key)


# --- what the pull requests say ----------------------------------------------------------------


def step_title(stack: Stack, index: int) -> str:
    made = stack.branches[index]
    fixes = made.fixes
    return (
        f"fastapi-fix {index + 1}/{len(stack.branches)}: {made.step.title} "
        f"({_plural(fixes, 'fix', 'fixes')})"
    )


def _ref(made: StepBranch) -> str:
    """How a body names another step's pull request: its number once known."""
    if made.pull is not None and made.pull.number is not None:
        return f"#{made.pull.number}"
    return f"`{made.name}`"


def _rule_link(code: str) -> str:
    return f"[{code}]({RULE_DOCS_URL.format(code=code)})"


def _listed(
    fixes: list[AppliedFix], limit: int = MAX_LISTED, unsafe: Sequence[AppliedFix] = ()
) -> list[str]:
    out = [
        f"- `{fix.path}:{fix.line}` {fix.code}: {'**unsafe** ' if fix in unsafe else ''}"
        f"{_cell(fix.message)} ({_cell(fix.title)})"
        for fix in fixes[:limit]
    ]
    if len(fixes) > limit:
        out.append(f"- … and {len(fixes) - limit} more (see the commit messages)")
    return out


def _findings(findings: list[Finding], limit: int = MAX_LISTED) -> list[str]:
    out = []
    for finding in findings[:limit]:
        hint = f" ({finding.hint})" if finding.hint else ""
        out.append(
            f"- `{finding.location()}` {finding.code}: {_cell(finding.message)}{_cell(hint)}"
        )
    if len(findings) > limit:
        out.append(f"- … and {len(findings) - limit} more (`fastapi-fix check` lists them)")
    return out


def _navigation(stack: Stack, index: int) -> list[str]:
    count = len(stack.branches)
    made = stack.branches[index]
    if stack.stacked:
        out = [
            f"**Part {index + 1} of {count}**, stacked: each part's branch starts from the "
            "previous part's branch and its pull request is based on it, so each one shows "
            "only its own step. Merge them in order, from the first; when a base branch is "
            "merged and deleted, GitHub retargets the next pull request.",
        ]
    else:
        out = [
            f"**Part {index + 1} of {count}**, independent: every part's branch starts from "
            f"`{stack.base.label}` at `{stack.base.sha[:12]}` and its pull request targets it, "
            "so they can be reviewed and merged in any order.",
        ]
    out.append("")
    for position, other in enumerate(stack.branches):
        line = f"{position + 1}. {_ref(other)} {_cell(other.step.title)}"
        if other.pull is None or other.pull.number is None:
            line = f"{position + 1}. {_cell(other.step.title)}: `{other.name}`"
        out.append(f"{line} ← this pull request" if other is made else line)
    if stack.manual or stack.skipped or stack.left:
        last = stack.branches[-1]
        where = "below" if made is last else f"in {_ref(last)}"
        out.append(f"- Left to a person: listed {where}.")
    return out


def step_body(stack: Stack, index: int, pr_base: str) -> str:
    made = stack.branches[index]
    step, summary = made.step, made.summary
    out = [
        f"This pull request was opened by [fastapi-fix]({PROJECT_URL}) {__version__}, a linter "
        "and auto-fixer for FastAPI code bases, as one step of a migration plan: the safe fixes "
        "first, one section of the guide at a time, then the fixes that change behaviour, and "
        "the work left to a person last. Every change is a LibCST rewrite of one finding that "
        "keeps comments and formatting, and fixed files must compile. Each rule's fixes are "
        "one commit.",
        "",
        *_navigation(stack, index),
        "",
        f"## Why this step: {_cell(step.title)}",
        "",
        step.why,
        "",
        "## Rules applied",
        "",
        f"Base: `{made.parent or pr_base}` at `{summary.base_sha[:12]}`. "
        f"{_plural(summary.fixes, 'fix', 'fixes')} in {_plural(len(summary.files), 'file')}"
        + (f", {summary.fixes - made.fixes} of them carried (see below)." if made.carried else "."),
        "",
        "| Rule | Name | Fixes | Files | Commit |",
        "|---|---|---:|---:|---|",
    ]
    for position, commit in enumerate(summary.commits):
        carried = " (carried, see below)" if position < len(made.carried) else ""
        out.append(
            f"| {_rule_link(commit.code)} | {_cell(commit.name)} | {commit.fixes} "
            f"| {len(commit.files)} | {commit.sha[:12]}{carried} |"
        )
    out += ["", "`fastapi-fix rule CODE` prints a rule's documentation.", ""]
    out += ["## Findings fixed", "", "At their lines in the parent of their rule's commit.", ""]
    for position, commit in enumerate(summary.commits):
        out += [f"**{_rule_link(commit.code)} {_cell(commit.name)}**", ""]
        if position < len(made.carried):
            where = " and ".join(_makers(stack, made)) or "its safe step"
            out += [
                f"- {_plural(commit.fixes, 'safe fix', 'safe fixes')}, carried: {where} lists them",
                "",
            ]
            continue
        listed = _listed(commit.fixed, unsafe=commit.unsafe)
        out += listed or [f"- {_plural(commit.fixes, 'fix', 'fixes')}"]
        out.append("")
    if made.carried:
        out += _carried(stack, made)
    if stack.verification is not None:
        out += ["## Verified", "", *_verified(stack, made), ""]
    out += ["## Unsafe fixes: review carefully", ""]
    unsafe = summary.unsafe
    if unsafe:
        one = len(unsafe) == 1
        out.append(
            f"{_plural(len(unsafe), 'fix', 'fixes')} above, marked **unsafe**, "
            f"{'was' if one else 'were'} applied with `--unsafe-fixes`: "
            f"{'it' if one else 'they'} may change behaviour, the public API or the OpenAPI "
            f"document. Check {'it' if one else 'each one'}."
        )
    else:
        out.append("None: every fix in this step is safe.")
    if made is stack.branches[-1]:
        out += ["", *_left_to_a_person(stack)]
    body = "\n".join(out) + "\n"
    if len(body) > MAX_BODY:
        cut = body.rfind("\n", 0, MAX_BODY - 200)
        body = (
            body[:cut] + "\n\n… (cut here: GitHub takes at most 65536 characters; "
            "`fastapi-fix check` lists every finding)\n"
        )
    return body


def _makers(stack: Stack, made: StepBranch) -> list[str]:
    """The other pull requests that make the safe fixes ``made`` carries."""
    return [
        _ref(other)
        for other in stack.branches
        if other is not made
        and other.step.kind == "safe"
        and set(other.step.codes) & set(made.carried)
    ]


def _carried(stack: Stack, made: StepBranch) -> list[str]:
    codes = ", ".join(made.carried)
    also = _makers(stack, made)
    where = f" ({' and '.join(also)} makes them too)" if also else ""
    return [
        "## Also on this branch",
        "",
        f"This branch starts from `{stack.base.label}`, where the safe fixes of {codes} are "
        f"not made yet{where}; the unsafe fixes build on them, so they are committed here "
        "first, as commits of their own. Where the other step is merged first, git takes the "
        "identical changes as they are; a conflict is possible only where an unsafe fix here "
        "rewrites the same lines again (`--stacked` avoids this).",
        "",
    ]


def _verified(stack: Stack, made: StepBranch) -> list[str]:
    verification = stack.verification
    mine = replace(
        verification, dropped=[d for d in verification.dropped if d.code in made.step.codes]
    )
    scope = (
        "the fixes of every step applied together: the state of the last step's branch"
        if stack.stacked
        else "the fixes of every step applied together; this branch holds a part of them"
    )
    out = [f"These checks ran once, before anything was committed, with {scope}.", ""]
    out += mine.markdown()
    if stack.verified_note:
        out += ["", stack.verified_note]
    return out


def _left_to_a_person(stack: Stack) -> list[str]:
    out = ["## Left to a person", ""]
    listed = 0
    if stack.manual:
        out += [
            "These steps of the plan have no fix: a person does them. Lines as of "
            f"`{stack.base.label}` at `{stack.base.sha[:12]}`.",
            "",
        ]
    for step, findings in stack.manual:
        out += [f"### Plan step {step.number}: {_cell(step.title)}", "", step.why, ""]
        out += _findings(findings, max(5, MAX_LISTED - listed))
        listed += len(findings)
        out.append("")
    for step, why in stack.skipped:
        count = _plural(len(step.findings), "finding")
        out += [f"### Plan step {step.number}: {_cell(step.title)}", ""]
        out.append(f"No branch: {why} ({count}).")
        out.append("")
    manual_codes = {code for step, _ in stack.manual for code in step.codes}
    others = [f for f in stack.left if f.hint or f.code not in manual_codes]
    if others:
        out += [
            f"{_plural(len(others), 'finding')} more could not be fixed automatically "
            + ("(at the stack's tip):" if stack.stacked else "(as of the base):"),
            "",
            *_findings(others),
            "",
        ]
    if not (stack.manual or stack.skipped or others):
        out += ["Nothing: no finding is left.", ""]
    if stack.problems:
        out += ["## Not processed", ""]
        out += [f"- {_cell(problem)}" for problem in stack.problems[:MAX_LISTED]]
        out.append("")
    return out[:-1] if out and out[-1] == "" else out


# --- GitLab ------------------------------------------------------------------------------------


def gitlab_step_options(stack: Stack, index: int, target: str) -> tuple[str, ...]:
    """Push options that open the step's merge request (one line each: no newline fits)."""
    made = stack.branches[index]
    rules = "; ".join(f"{c.code} {c.name}: {c.fixes}" for c in made.summary.commits)
    text = (
        f"Part {index + 1} of {len(stack.branches)} of the migration plan of fastapi-fix "
        f"{__version__} ({'stacked' if stack.stacked else 'independent'}). {made.step.why} "
        f"Fixes, one commit per rule: {rules}. Unsafe fixes to review: "
        f"{len(made.summary.unsafe)}."
    )
    if index == len(stack.branches) - 1:
        text += f" Findings left to a person: {len(stack.left)}."
    return (
        "merge_request.create",
        f"merge_request.target={target}",
        f"merge_request.title={step_title(stack, index)}",
        f"merge_request.description={' '.join(text.split())}",
    )
