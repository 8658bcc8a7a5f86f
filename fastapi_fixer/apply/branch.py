"""Git mode: `fastapi-fix --branch NAME [--push REMOTE] [--pr] [PATHS]`.

The fixes are computed from a commit (HEAD, or --base) in a temporary worktree, one rule code at a
time, each rule's fixes committed on their own; the branch is created only when every commit is
made. Then, on request, it is pushed and a pull request (GitHub) or a merge request (GitLab) is
opened. The user's current branch, index and working tree are never touched. With
--pr-per-step, the same fixes are split along the migration plan: one branch and pull request
per step (apply/steps.py).

Refusals (exit 2, one line, nothing created): uncommitted changes to tracked files, PATHS outside a
git repository, a detached HEAD without --base, an existing branch without --force-branch, a
pull request that cannot be opened (no remote, no token). Failures after the branch exists (push,
API) keep the branch so the command can be retried with --force-branch.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from git import Repo

    from fastapi_fixer.apply.git import Base, Checkout, RemoteInfo
    from fastapi_fixer.apply.pr import GitHubTarget, Summary
    from fastapi_fixer.models import Diagnostic, RunResult
    from fastapi_fixer.settings import Settings

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
DEFAULT_REMOTE = "origin"
_MAX_PASSES = 3  # rule passes: a later pass takes fixes that earlier fixes made possible
_KEPT_CHECKS = 3  # checks kept by commit and settings (`_GitMode._check`)


def git_mode_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """The options of git mode, for the `fix` command."""
    options = [
        click.option(
            "--branch",
            metavar="NAME",
            help="Commit the fixes (one commit per rule) on a new branch NAME, computed from the "
            "committed HEAD; the checkout is left as it is.",
        ),
        click.option(
            "--force-branch",
            is_flag=True,
            help="Replace branch NAME if it already exists (with --pr-per-step: the branches "
            "under NAME/).",
        ),
        click.option("--base", metavar="REF", help="Branch from REF instead of HEAD."),
        click.option("--push", "push_remote", metavar="REMOTE", help="Push the branch to REMOTE."),
        click.option(
            "--pr",
            "open_pr",
            is_flag=True,
            help="Open a pull request (GitHub) or merge request (GitLab) for the pushed branch.",
        ),
        click.option(
            "--pr-per-step",
            "pr_per_step",
            is_flag=True,
            help="One pull request per step of the migration plan (safe fixes by guide "
            "section, then unsafe ones), on branches NAME/<step>; implies --pr. Manual work is "
            "listed in the last one.",
        ),
        click.option(
            "--stacked/--independent",
            "stacked",
            default=None,
            help="With --pr-per-step: each step's branch and pull request build on the "
            "previous step's (default), or each starts from the base (an unsafe step then "
            "carries its rules' safe fixes too).",
        ),
        click.option(
            "--pr-base",
            metavar="BRANCH",
            help="The pull request's base (default: the branch it started from).",
        ),
        click.option(
            "--github-repo",
            metavar="OWNER/NAME",
            help="The GitHub repository of --pr (default: read from the remote's URL).",
        ),
        click.option(
            "--github-api",
            metavar="URL",
            help="Default: $GITHUB_API_URL or https://api.github.com "
            "(GitHub Enterprise: https://HOST/api/v3).",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@dataclass(frozen=True)
class GitModeOptions:
    branch: str
    force_branch: bool = False
    base: str | None = None
    push: str | None = None
    pr: bool = False
    pr_base: str | None = None
    github_repo: str | None = None
    github_api: str | None = None
    per_step: bool = False  # --pr-per-step: one branch and pull request per plan step
    stacked: bool = True  # with per_step: each step builds on the previous one

    @property
    def remote(self) -> str | None:
        if self.push:
            return self.push
        return DEFAULT_REMOTE if self.pr else None


def options_from_cli(values: dict[str, Any]) -> GitModeOptions | None:
    """The git mode options given to `fix`, or None without --branch; usage errors raised."""
    branch = values.get("branch")
    if branch is None:
        given = [
            flag
            for flag, key in (
                ("--force-branch", "force_branch"),
                ("--base", "base"),
                ("--push", "push_remote"),
                ("--pr", "open_pr"),
                ("--pr-per-step", "pr_per_step"),
                ("--pr-base", "pr_base"),
                ("--github-repo", "github_repo"),
                ("--github-api", "github_api"),
            )
            if values.get(key)
        ]
        if values.get("stacked") is not None:
            given.append("--stacked" if values["stacked"] else "--independent")
        if given:
            raise click.UsageError(f"{', '.join(given)} needs --branch NAME")
        return None
    if not branch.strip():
        raise click.UsageError("--branch needs a name")
    pr_only = [
        flag
        for flag, key in (
            ("--pr-base", "pr_base"),
            ("--github-repo", "github_repo"),
            ("--github-api", "github_api"),
        )
        if values.get(key)
    ]
    per_step = bool(values.get("pr_per_step"))
    if values.get("stacked") is not None and not per_step:
        flag = "--stacked" if values["stacked"] else "--independent"
        raise click.UsageError(f"{flag} needs --pr-per-step")
    if pr_only and not (values.get("open_pr") or per_step):
        raise click.UsageError(f"{', '.join(pr_only)} needs --pr")
    return GitModeOptions(
        branch=branch.strip(),
        force_branch=bool(values.get("force_branch")),
        base=values.get("base"),
        push=values.get("push_remote"),
        pr=bool(values.get("open_pr")) or per_step,
        pr_base=values.get("pr_base"),
        github_repo=values.get("github_repo"),
        github_api=values.get("github_api"),
        per_step=per_step,
        stacked=values.get("stacked") is not False,
    )


def run_git_mode(
    settings_for: Callable[[tuple[str, ...]], Settings],
    paths: tuple[str, ...],
    options: GitModeOptions,
    jobs: int = 0,
    verify: Any = None,
) -> int:
    """Run git mode; prints what it did and returns the exit code. ``settings_for(paths)``
    builds the settings for the worktree's copy of the paths (so the committed configuration
    applies). ``verify`` (`VerifyOptions`): prove the fixes first (apply/verify.py) and commit
    only the ones kept."""
    from git.exc import GitError

    from fastapi_fixer.apply.git import GitModeError, scrub

    mode = _GitMode
    if options.per_step:
        from fastapi_fixer.apply.steps import StepMode

        mode = StepMode
    try:
        return mode(settings_for, paths or (".",), options, jobs, verify).run()
    except GitModeError as exc:
        click.echo(f"error: {scrub(str(exc))}", err=True)
    except GitError as exc:  # anything GitPython raises that run_git did not turn into a reason
        click.echo(f"error: git: {scrub(' '.join(str(exc).split()))}", err=True)
    return EXIT_ERROR


@dataclass(frozen=True)
class _Remote:
    info: RemoteInfo
    github: GitHubTarget | None  # set when a GitHub pull request is to be opened
    pr_base: str | None


class _GitMode:
    exact_lines = False  # whether each commit's findings are checked again right before it

    def __init__(
        self,
        settings_for: Callable[[tuple[str, ...]], Settings],
        paths: tuple[str, ...],
        options: GitModeOptions,
        jobs: int,
        verify: Any = None,
    ) -> None:
        self.settings_for = settings_for
        self.paths = paths
        self.options = options
        self.jobs = jobs
        self.verify = verify
        self.blocked: frozenset[tuple[str, str]] = frozenset()
        self.verification: Any = None  # apply/verify.py's Verification, after --verify
        self._checks: list[tuple[tuple, tuple[Any, RunResult]]] = []  # see `_check`
        self.exit_code = EXIT_CLEAN

    # --- checks: nothing is created before they all pass -------------------------------------

    def run(self) -> int:
        from fastapi_fixer.apply.git import (
            check_new_branch,
            ensure_clean,
            open_checkout,
            resolve_base,
        )

        options = self.options
        checkout = open_checkout(self.paths)
        ensure_clean(checkout)
        base = resolve_base(checkout.repo, options.base)
        check_new_branch(checkout.repo, options.branch, options.force_branch)
        remote = self._remote(checkout.repo, base)

        try:
            summary = self._commit_fixes(checkout, base)
            if summary is None:
                return self.exit_code
            self._print_branch(summary)
            if remote is not None:
                self._publish(checkout.repo, remote, summary)
        finally:
            checkout.repo.close()
        return self.exit_code

    def _remote(self, repo: Repo, base: Base) -> _Remote | None:
        from fastapi_fixer.apply.git import GitModeError, remote_info
        from fastapi_fixer.apply.pr import api_url, parse_github_repo, token_from_env

        options = self.options
        if options.remote is None:
            return None
        info = remote_info(repo, options.remote)
        if not options.pr:
            return _Remote(info, None, None)
        pr_base = options.pr_base or base.branch
        if pr_base is None:
            raise GitModeError(f"--base {options.base} is not a branch; pass --pr-base BRANCH")
        if info.is_gitlab and not options.github_repo:
            return _Remote(info, None, pr_base)
        from fastapi_fixer.apply.pr import GitHubTarget

        if options.github_repo:
            owner, name = parse_github_repo(options.github_repo)
        else:
            found = info.owner_and_repo() if info.host else None
            if found is None:
                raise GitModeError(
                    f"cannot tell the GitHub repository from remote {info.name}'s URL; "
                    "pass --github-repo OWNER/NAME"
                )
            owner, name = found
        target = GitHubTarget(api_url(options.github_api), owner, name, token_from_env())
        return _Remote(info, target, pr_base)

    # --- the fixes, rule by rule, in a temporary worktree --------------------------------------

    def _commit_fixes(self, checkout: Checkout, base: Base) -> Summary | None:
        from fastapi_fixer.apply.git import create_branch, temporary_worktree
        from fastapi_fixer.apply.pr import Summary

        self.exit_code = EXIT_CLEAN
        with temporary_worktree(checkout.repo, base.sha) as worktree:
            root = os.path.realpath(str(worktree.working_tree_dir))
            engine_paths, cwd = self._engine_paths(checkout, root, base)
            with _chdir(cwd):
                settings = self.settings_for(engine_paths)
                summary = Summary(
                    branch=self.options.branch,
                    base_label=base.label,
                    base_sha=base.sha,
                    unsafe_enabled=settings.unsafe_fixes,
                )
                problems: dict[str, None] = {}
                verified = None
                if self.verify is not None:
                    verified = self._verify(root, engine_paths, settings, summary)
                    if verified is None:
                        self.exit_code = EXIT_ERROR
                        return None
                final = self._fix_rule_by_rule(
                    worktree, root, engine_paths, settings, summary, problems
                )
                if verified is not None:
                    self._compare_tip(verified, summary)
                self._record_problems(final, root, problems)
                summary.left = self._left(final.diagnostics, root, settings)
                summary.problems = list(problems)
            self.exit_code = (
                EXIT_ERROR if summary.problems else EXIT_FINDINGS if summary.left else EXIT_CLEAN
            )
            if not summary.commits:
                self._print_left(summary)
                click.echo(f"Nothing to fix: no branch created; {self._left_line(summary)}")
                return None
            create_branch(
                checkout.repo,
                self.options.branch,
                summary.commits[-1].sha,
                self.options.force_branch,
            )
        return summary

    def _engine(self, settings: Settings, fix: bool, blocked: frozenset = frozenset()):
        from fastapi_fixer.engine import Engine, Mode

        return Engine(settings, Mode(fix=fix, jobs=self.jobs, blocked=blocked or self.blocked))

    # --- --verify: before anything is committed ------------------------------------------------

    def _verify(
        self, root: str, engine_paths: tuple[str, ...], settings: Settings, summary: Summary
    ) -> RunResult | None:
        """Every fix at once, proven in a copy of the worktree (apply/verify.py); the fixes it
        drops are left out of every commit (`self.blocked`). Returns the verified result, or
        None when nothing could be proven (printed; no branch)."""
        from fastapi_fixer.apply.git import GitModeError
        from fastapi_fixer.apply.verify import Verifier, VerifyError

        engine = self._engine(settings, fix=True)
        result = engine.run(engine_paths)
        if not result.changed_paths:
            return result

        def run(wanted: Settings, blocked: frozenset[tuple[str, str]]) -> RunResult:
            return self._engine(wanted, fix=True, blocked=blocked).run(engine_paths)

        try:
            verifier = Verifier(
                self.verify, run, settings, root, echo=lambda line: click.echo(line, err=True)
            )
            kept, verification = verifier.verify(result, engine.index)
        except VerifyError as exc:
            raise GitModeError(f"--verify: {exc}") from None
        for line in verification.lines():
            click.echo(line)
        if kept is None:
            click.echo("error: --verify: the fixes were not proven; no branch created", err=True)
            return None
        summary.verification = verification.markdown()
        self.verification = verification
        self.blocked = frozenset(verifier.blocked)
        return kept

    def _compare_tip(self, verified: RunResult, summary: Summary) -> None:
        """Whether the branch's files are the ones verified (the commits apply the same rules
        one at a time, which may lay out a file differently)."""
        differing = []
        for path, text in verified.fixed.items():
            try:
                with open(path, encoding=verified.sources[path].encoding, newline="") as handle:
                    on_branch = handle.read()
            except (OSError, UnicodeError, KeyError):
                on_branch = None
            if on_branch != text:
                differing.append(path)
        if differing and summary.verification is not None:
            summary.verification.append(
                f"- Note: {len(differing)} file(s) on this branch differ from the verified "
                "state (the rules are committed one at a time)."
            )

    def _engine_paths(
        self, checkout: Checkout, root: str, base: Base
    ) -> tuple[tuple[str, ...], str]:
        """The paths to give the engine in the worktree, and the folder to run it from: the
        worktree's copy of the current folder when it exists there, so paths, excludes and
        messages read exactly as in a normal run."""
        from fastapi_fixer.apply.git import GitModeError

        cwd_inside = checkout.cwd is not None and os.path.isdir(os.path.join(root, checkout.cwd))
        cwd = os.path.join(root, checkout.cwd) if cwd_inside and checkout.cwd else root
        engine_paths = []
        for given, rel, absolute in zip(
            self.paths, checkout.relative, checkout.absolute, strict=True
        ):
            copy = os.path.normpath(os.path.join(root, rel))
            if not os.path.lexists(copy):
                raise GitModeError(
                    f"{given} is not in the committed tree at {base.label} (untracked or ignored?)"
                )
            engine_paths.append(given if cwd_inside and not absolute else copy)
        if not cwd_inside:
            cwd = os.getcwd()
        return tuple(engine_paths), cwd

    def _fix_rule_by_rule(
        self,
        worktree: Repo,
        root: str,
        engine_paths: tuple[str, ...],
        settings: Settings,
        summary: Summary,
        problems: dict[str, None],
        codes: Iterable[str] | None = None,
    ) -> RunResult:
        """One engine run per rule code with applicable fixes, in code order, each written and
        committed before the next, so commit k holds exactly rule k's fixes on top of the
        earlier ones. A rule whose fixes become applicable only after other rules' fixes gets
        its commit in a later pass. ``codes``: only these rules (a plan step's). Returns the
        last check: the state of the branch's tip."""
        done: set[str] = set()
        wanted = None if codes is None else set(codes)
        for _ in range(_MAX_PASSES):
            engine, state = self._check(worktree, engine_paths, settings)
            fixable = {d.code for d in state.diagnostics if engine.allowed(d.fix)}
            if wanted is not None:
                fixable &= wanted
            pending = sorted(fixable - done)
            if not pending:
                return state
            done.update(pending)
            for code in pending:
                found = [d for d in state.diagnostics if d.code == code and engine.allowed(d.fix)]
                self._commit_rule(worktree, root, engine_paths, settings, found, summary, problems)
        return self._check(worktree, engine_paths, settings)[1]

    def _check(
        self, worktree: Repo, engine_paths: tuple[str, ...], settings: Settings
    ) -> tuple[Any, RunResult]:
        """A check (no fix) of the worktree, whose changes are all committed: the engine and
        its result. The last few are kept by commit and settings, so checking a commit again
        (--pr-per-step: a step starts where the previous one ended) costs nothing."""
        from fastapi_fixer.apply.git import run_git

        head, _ = run_git(worktree, "rev-parse", "HEAD")
        key = (head, settings, self.blocked)
        for known, found in self._checks:
            if known == key:
                return found
        engine = self._engine(settings, fix=False)
        found = (engine, engine.run(engine_paths))
        self._checks = [*self._checks[-(_KEPT_CHECKS - 1) :], (key, found)]
        return found

    def _commit_rule(
        self,
        worktree: Repo,
        root: str,
        engine_paths: tuple[str, ...],
        settings: Settings,
        found: list[Diagnostic],
        summary: Summary,
        problems: dict[str, None],
    ) -> None:
        """Commit the fixes of the rule of ``found`` (its findings with an applicable fix, as
        the last check saw them: their fix titles say what the commit does)."""
        from fastapi_fixer.apply.git import commit_files
        from fastapi_fixer.apply.pr import AppliedFix, RuleCommit
        from fastapi_fixer.apply.writer import write_fixes
        from fastapi_fixer.models import FixSafety, fix_allowed
        from fastapi_fixer.registry import all_rules

        code = found[0].code
        rule = all_rules()[code]
        only = settings.with_overrides(select=(code,), extend_select=())
        unsafe: list[AppliedFix] = []
        if settings.unsafe_fixes or self.exact_lines:
            # the findings at their lines in the commit's parent (earlier commits moved them)
            before = self._engine(only, fix=False).run(engine_paths)
            found = [
                d
                for d in before.diagnostics
                if d.code == code and fix_allowed(d.fix, settings.unsafe_fixes)
            ]
            unsafe = [
                AppliedFix(_rel(d.path, root), d.span.line, d.code, d.message, d.fix.title)
                for d in found
                if d.fix is not None and d.fix.safety is FixSafety.UNSAFE
            ]
        result = self._engine(only, fix=True).run(engine_paths)
        written = write_fixes(result)
        self._record_problems(result, root, problems)
        if not written:
            return
        dropped = {_rel(d.path, root) for d in result.dropped if d.code == code}
        # by file, without lines: the findings' lines are as the pass's first check saw them,
        # before the commits of earlier rules moved them
        titles = list(
            dict.fromkeys(
                (_rel(d.path, root), d.fix.title)
                for d in found
                if d.fix is not None and not any(_rel(p, root) in dropped for p in d.fix.paths)
            )
        )
        commit = RuleCommit(
            code=code,
            name=rule.NAME,
            titles=titles,
            fixed=[
                AppliedFix(_rel(d.path, root), d.span.line, d.code, d.message, d.fix.title)
                for d in found
                if d.fix is not None and not any(_rel(p, root) in dropped for p in d.fix.paths)
            ],
            fixes=result.applied.get(code, 0),
            files=[
                (_rel(p, root), result.applied_by_file.get(p, {}).get(code, 0))
                for p in sorted(written, key=lambda p: _rel(p, root))
            ],
            unsafe=[fix for fix in unsafe if fix.path not in dropped],
        )
        commit.sha = commit_files(worktree, [os.path.abspath(p) for p in written], commit.message())
        summary.commits.append(commit)

    @staticmethod
    def _record_problems(result: RunResult, root: str, problems: dict[str, None]) -> None:
        for error in result.errors:
            problems[f"{_rel(error.path, root)}: {error.reason}"] = None
        for dropped in result.dropped:
            problems[
                f"{_rel(dropped.path, root)}: {dropped.code} fix dropped: {dropped.reason}"
            ] = None

    def _left(self, diagnostics: Iterable[Diagnostic], root: str, settings: Settings):
        from fastapi_fixer.apply.pr import Finding
        from fastapi_fixer.models import FixSafety
        from fastapi_fixer.reporting.console import fixable_marker

        left = []
        for d in diagnostics:
            hint = ""
            if d.fix is not None and d.fix.safety is FixSafety.UNSAFE and not settings.unsafe_fixes:
                hint = "an unsafe fix is available with --unsafe-fixes"
            elif d.fix is not None and d.fix.safety is not FixSafety.NONE:
                hint = "its fix did not apply"
            marker = fixable_marker(d, settings.unsafe_fixes)
            left.append(
                Finding(
                    _rel(d.path, root), d.span.line, d.span.col, d.code, d.message, hint, marker
                )
            )
        return left

    # --- output and publishing ----------------------------------------------------------------

    @staticmethod
    def _left_line(summary: Summary) -> str:
        count = len(summary.left)
        return f"{count} finding{'' if count == 1 else 's'} left without a fix."

    @staticmethod
    def _print_left(summary: Summary) -> None:
        # as `check` prints them: the `[-]` marker says an unsafe fix is there
        hidden = 0
        for finding in summary.left:
            hint = f" ({finding.hint})" if finding.hint and finding.marker != "[-] " else ""
            hidden += finding.marker == "[-] "
            click.echo(
                f"{finding.location()}: {finding.code} {finding.marker}{finding.message}{hint}"
            )
        if hidden:
            fixes = "fix" if hidden == 1 else "fixes"
            click.echo(
                f"[-] {hidden} hidden {fixes} can be enabled with the `--unsafe-fixes` option."
            )
        for problem in summary.problems:
            click.echo(f"error: {problem}", err=True)

    def _print_branch(self, summary: Summary) -> None:
        commits = len(summary.commits)
        click.echo(
            f"Created branch {summary.branch} from {summary.base_label} "
            f"({summary.base_sha[:7]}) with {commits} commit{'' if commits == 1 else 's'}:"
        )
        for commit in summary.commits:
            click.echo(f"  {commit.sha[:7]} {commit.subject}")
        self._print_left(summary)
        fixes = summary.fixes
        click.echo(
            f"{fixes} fix{'' if fixes == 1 else 'es'} committed; {self._left_line(summary)} "
            "Your checkout was not changed."
        )

    def _publish(self, repo: Repo, remote: _Remote, summary: Summary) -> None:
        from fastapi_fixer.apply.git import GitModeError, push_branch
        from fastapi_fixer.apply.pr import (
            gitlab_push_options,
            open_pull_request,
            pr_body,
            pr_title,
        )

        branch = summary.branch
        keep = f"; branch {branch} is kept"
        gitlab = self.options.pr and remote.github is None
        push_options = gitlab_push_options(summary, remote.pr_base or "") if gitlab else ()
        try:
            messages = push_branch(
                repo, remote.info.name, branch, self.options.force_branch, push_options
            )
        except GitModeError as exc:
            raise GitModeError(f"{exc}{keep}") from None
        click.echo(f"Pushed {branch} to {remote.info.name}.")
        if gitlab:
            link = _merge_request_link(messages)
            click.echo(
                f"Merge request: {link}"
                if link
                else f"Asked {remote.info.name} to open a merge request into {remote.pr_base}."
            )
            return
        if remote.github is None:
            return
        try:
            pull = open_pull_request(
                remote.github,
                title=pr_title(summary),
                head=branch,
                base=remote.pr_base or "",
                body=pr_body(summary),
            )
        except GitModeError as exc:
            raise GitModeError(f"{exc}{keep}") from None
        if pull.created:
            click.echo(f"Opened pull request: {pull.url}")
        else:
            click.echo(f"A pull request for {branch} already exists: {pull.url}")


def _merge_request_link(messages: str) -> str | None:
    found = re.findall(r"https?://\S+/-?/?merge_requests/\d+", messages)
    return found[-1] if found else None


def _rel(path: str, root: str) -> str:
    """A path the engine reported, relative to the worktree's root, with forward slashes."""
    rel = os.path.relpath(os.path.realpath(os.path.abspath(path)), root)
    return rel.replace(os.sep, "/")


@contextlib.contextmanager
def _chdir(folder: str) -> Iterator[None]:
    previous = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)
