"""Git plumbing for git mode: find the repository, check it may be used, work in a temporary
worktree, commit, create the branch, push. The user's checkout (current branch, index, working
tree) is never touched: everything happens in a `git worktree` of its own, removed afterwards.

Every failure is a `GitModeError` whose message is one line, with credentials scrubbed.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from git import Repo

TOKEN_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN")
# hooks of the user's repository must not run on our temporary worktree and commits
_NO_HOOKS = ("-c", f"core.hooksPath={os.devnull}")
# never wait for a password prompt: a push without credentials fails instead of hanging
_NON_INTERACTIVE = {"GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never", "GIT_ASKPASS": ""}
_URL_CREDENTIALS = re.compile(r"(?i)\b(https?://)[^/@\s'\"]+@")
_SCP_LIKE = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>.+)$")
_MIN_SECRET = 4  # shorter "secrets" are no secrets, and replacing them would garble messages
_REASON_PREFIXES = ("fatal:", "error:", "remote: error", "! [", " ! [", "hint: Updates were")


class GitModeError(Exception):
    """Git mode cannot go on; the message is the one-line reason shown to the user."""


def secrets_from_env() -> list[str]:
    return [value for name in TOKEN_VARIABLES if (value := os.environ.get(name, "").strip())]


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without tokens: known secrets (and those in the environment) become ``***``, and
    so do the credentials of any http(s) URL (``https://user:token@host`` → ``https://***@host``).
    """
    for secret in sorted({*secrets, *secrets_from_env()}, key=len, reverse=True):
        if len(secret) >= _MIN_SECRET:
            text = text.replace(secret, "***")
    return _URL_CREDENTIALS.sub(r"\1***@", text)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _reason(exc: Exception) -> str:
    """The informative part of a failed git command, on one line."""
    from git.exc import GitCommandError

    if not isinstance(exc, GitCommandError):
        return scrub(_one_line(str(exc)))
    stderr = exc.stderr if isinstance(exc.stderr, str) else str(exc.stderr or "")
    stderr = stderr.strip().removeprefix("stderr:").strip().strip("'").strip()
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    chosen = [line for line in lines if line.startswith(_REASON_PREFIXES)] or lines[-2:]
    reason = "; ".join(dict.fromkeys(chosen)) or f"git exited with status {exc.status}"
    return scrub(_one_line(reason))[:400]


def run_git(
    repo: Repo,
    *args: str,
    env: dict[str, str] | None = None,
    what: str | None = None,
    stdin: str | None = None,
) -> tuple[str, str]:
    """Run ``git args`` in ``repo`` through GitPython; (stdout, stderr), or a GitModeError.
    ``stdin``: text given to the command on its standard input."""
    from git.exc import GitCommandError

    with contextlib.ExitStack() as stack:
        istream = None
        if stdin is not None:
            istream = stack.enter_context(tempfile.TemporaryFile())
            istream.write(stdin.encode("utf-8"))
            istream.seek(0)
        try:
            _, stdout, stderr = repo.git.execute(
                ["git", *args],
                with_extended_output=True,
                env={**_NON_INTERACTIVE, **(env or {})},
                strip_newline_in_stdout=True,
                istream=istream,
            )
        except GitCommandError as exc:
            label = what or f"git {next((a for a in args if not a.startswith('-')), '')}"
            raise GitModeError(f"{label} failed: {_reason(exc)}") from None
    return str(stdout), str(stderr)


# --- the repository and the paths -----------------------------------------------------------


@dataclass(frozen=True)
class Checkout:
    """The user's repository and where the paths lie in it."""

    repo: Repo
    root: str  # real path of the working tree
    relative: tuple[str, ...]  # each path relative to root ("." for the root itself)
    absolute: tuple[bool, ...]  # whether each path was given as an absolute path
    cwd: str | None  # the current directory relative to root, when it lies inside


def open_checkout(paths: Sequence[str]) -> Checkout:
    """The one repository holding every path; refuses paths outside any repository."""
    import git as gitpython
    from git.exc import InvalidGitRepositoryError, NoSuchPathError

    repo: Repo | None = None
    root = ""
    relative: list[str] = []
    for path in paths:
        target = os.path.realpath(os.path.abspath(path))
        probe = target
        while not os.path.isdir(probe) and os.path.dirname(probe) != probe:
            probe = os.path.dirname(probe)
        try:
            found = gitpython.Repo(probe, search_parent_directories=True)
        except (InvalidGitRepositoryError, NoSuchPathError):
            raise GitModeError(f"{path} is not inside a git repository") from None
        if found.bare or not found.working_tree_dir:
            raise GitModeError(f"{path} is in a bare git repository, which has no working tree")
        found_root = os.path.realpath(found.working_tree_dir)
        if repo is None:
            repo, root = found, found_root
        elif found_root != root:
            raise GitModeError(f"{path} is in another git repository than {paths[0]}")
        rel = os.path.relpath(target, root)
        if rel == os.pardir or rel.startswith(os.pardir + os.sep):
            raise GitModeError(f"{path} is not inside the git repository at {root}")
        relative.append(rel)
    assert repo is not None
    cwd = os.path.relpath(os.path.realpath(os.getcwd()), root)
    inside = not (cwd == os.pardir or cwd.startswith(os.pardir + os.sep))
    return Checkout(
        repo=repo,
        root=root,
        relative=tuple(relative),
        absolute=tuple(os.path.isabs(path) for path in paths),
        cwd=cwd if inside else None,
    )


def ensure_clean(checkout: Checkout) -> None:
    repo = checkout.repo
    try:
        dirty = repo.is_dirty(index=True, working_tree=True, untracked_files=False)
    except Exception as exc:  # a repository git itself cannot read
        raise GitModeError(f"cannot read the state of {checkout.root}: {_reason(exc)}") from None
    if dirty:
        raise GitModeError(
            "the working tree has uncommitted changes to tracked files; commit or stash them first"
        )


@dataclass(frozen=True)
class Base:
    sha: str
    branch: str | None  # the branch it names, when it names one (the pull request's base)
    label: str  # how to show it: the branch name or the short sha


def resolve_base(repo: Repo, ref: str | None) -> Base:
    """The commit to branch from: ``ref``, or HEAD when HEAD is on a branch."""
    if ref is None:
        if not repo.head.is_valid():
            raise GitModeError("HEAD has no commit yet; nothing to branch from")
        if repo.head.is_detached:
            raise GitModeError("HEAD is detached; pass --base REF to choose what to branch from")
        branch = repo.active_branch.name
        return Base(repo.head.commit.hexsha, branch, branch)
    try:
        sha, _ = run_git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except GitModeError:
        raise GitModeError(f"--base {ref}: no such commit, branch or tag") from None
    try:
        full, _ = run_git(repo, "rev-parse", "--symbolic-full-name", ref)
    except GitModeError:
        full = ""
    branch: str | None = None
    if full.startswith("refs/heads/"):
        branch = full.removeprefix("refs/heads/")
    elif full.startswith("refs/remotes/"):
        _, _, branch = full.removeprefix("refs/remotes/").partition("/")
        branch = branch or None
    return Base(sha, branch, branch or ref)


def branch_exists(repo: Repo, name: str) -> bool:
    try:
        run_git(repo, "show-ref", "--verify", "--quiet", f"refs/heads/{name}")
    except GitModeError:
        return False
    return True


def check_new_branch(repo: Repo, name: str, force: bool) -> None:
    try:
        run_git(repo, "check-ref-format", "--branch", name)
    except GitModeError:
        raise GitModeError(f"{name!r} is not a valid branch name") from None
    if not branch_exists(repo, name):
        return
    if not force:
        raise GitModeError(f"branch {name} already exists; pass --force-branch to replace it")
    if not repo.head.is_detached and repo.head.is_valid() and repo.active_branch.name == name:
        raise GitModeError(f"branch {name} is checked out; it cannot be replaced")
    listing, _ = run_git(repo, "worktree", "list", "--porcelain")
    path = ""
    for line in listing.splitlines():
        if line.startswith("worktree "):
            path = line.removeprefix("worktree ")
        elif line == f"branch refs/heads/{name}":
            raise GitModeError(f"branch {name} is checked out in {path}; it cannot be replaced")


# --- remotes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteInfo:
    name: str
    url: str
    host: str  # lower case; "" for a local path
    path: str  # the repository path on the host, without a leading slash or a trailing .git

    @property
    def is_gitlab(self) -> bool:
        return "gitlab" in self.host

    def owner_and_repo(self) -> tuple[str, str] | None:
        parts = [part for part in self.path.split("/") if part]
        if len(parts) < 2:
            return None
        return parts[-2], parts[-1]


def parse_remote_url(url: str) -> tuple[str, str]:
    """(host, path) of a remote URL: https, ssh, git and scp-like forms; ("", path) for a
    local path."""
    url = url.strip()
    if "://" in url:
        parts = urllib.parse.urlsplit(url)
        host = "" if parts.scheme == "file" else (parts.hostname or "")
        path = parts.path
    elif (match := _SCP_LIKE.match(url)) and not os.path.isabs(url):
        host, path = match.group("host"), match.group("path")
    else:
        host, path = "", url
    path = path.strip("/")
    path = path.removesuffix(".git").rstrip("/")
    return host.lower(), path


def remote_info(repo: Repo, name: str) -> RemoteInfo:
    try:
        url, _ = run_git(repo, "config", "--get", f"remote.{name}.url")
    except GitModeError:
        url = ""
    if not url:
        remotes = [remote.name for remote in repo.remotes]
        known = f" (remotes: {', '.join(remotes)})" if remotes else " (it has no remote)"
        raise GitModeError(f"the repository has no remote named {name!r}{known}")
    host, path = parse_remote_url(url)
    return RemoteInfo(name=name, url=url, host=host, path=path)


# --- the temporary worktree -------------------------------------------------------------------


@contextlib.contextmanager
def temporary_worktree(repo: Repo, sha: str) -> Iterator[Repo]:
    """A detached worktree at ``sha`` in a temporary folder, removed on the way out."""
    import git as gitpython

    folder = tempfile.mkdtemp(prefix="fastapi-fix-")
    added = False
    try:
        run_git(
            repo,
            *_NO_HOOKS,
            "worktree",
            "add",
            "--detach",
            "--quiet",
            folder,
            sha,
            what="creating a temporary worktree",
        )
        added = True
        worktree = gitpython.Repo(folder)
        try:
            yield worktree
        finally:
            worktree.close()
    finally:
        if added:
            with contextlib.suppress(GitModeError):
                run_git(repo, *_NO_HOOKS, "worktree", "remove", "--force", folder)
        shutil.rmtree(folder, ignore_errors=True)
        if added:
            with contextlib.suppress(GitModeError):
                run_git(repo, "worktree", "prune")


def commit_files(worktree: Repo, paths: Sequence[str], message: str) -> str:
    """Commit ``paths`` (absolute) in the worktree; returns the new commit's sha."""
    run_git(worktree, "add", "--", *paths, what="git add")
    run_git(
        worktree,
        *_NO_HOOKS,
        "commit",
        "--quiet",
        "--no-verify",
        "-m",
        message,
        "--",
        *paths,
        what="git commit",
    )
    sha, _ = run_git(worktree, "rev-parse", "HEAD")
    return sha


def create_branch(repo: Repo, name: str, sha: str, force: bool) -> None:
    """Point branch ``name`` at ``sha`` without checking anything out."""
    run_git(
        repo,
        "branch",
        *(["--force"] if force else []),
        "--no-track",
        name,
        sha,
        what=f"creating branch {name}",
    )


def create_branches(repo: Repo, tips: dict[str, str], force: bool) -> None:
    """Point each branch of ``tips`` at its commit in one transaction (`git update-ref
    --stdin`): all of them are created, or none. Without ``force`` an existing branch fails it."""
    lines = ["start"]
    for name, sha in tips.items():
        verb = "update" if force else "create"
        lines.append(f"{verb} refs/heads/{name} {sha}")
    lines += ["prepare", "commit", ""]
    names = ", ".join(tips)
    run_git(
        repo,
        "update-ref",
        "-m",
        "fastapi-fix: one branch per plan step",
        "--stdin",
        stdin="\n".join(lines),
        what=f"creating branches {names}",
    )


def push_branch(
    repo: Repo, remote: str, branch: str, force: bool, options: Sequence[str] = ()
) -> str:
    """Push ``branch`` to ``remote`` and set it as upstream; returns git's messages (stderr),
    where servers print links such as a merge request's."""
    return push_branches(repo, remote, [branch], force, options)


def push_branches(
    repo: Repo, remote: str, branches: Sequence[str], force: bool, options: Sequence[str] = ()
) -> str:
    """Push ``branches`` to ``remote`` in one push and set each one's upstream; returns git's
    messages (stderr)."""
    args = ["push", "--set-upstream"]
    if force:
        args.append("--force")
    for option in options:
        args += ["--push-option", option]
    args += [remote, *(f"refs/heads/{branch}:refs/heads/{branch}" for branch in branches)]
    _, stderr = run_git(repo, *args, what=f"pushing {', '.join(branches)} to {remote}")
    return stderr


def branches_under(repo: Repo, prefix: str) -> list[str]:
    """The local branches named ``prefix/...``."""
    listing, _ = run_git(repo, "for-each-ref", "--format=%(refname:short)", f"refs/heads/{prefix}/")
    return [line for line in listing.splitlines() if line]


def checkout_detached(worktree: Repo, sha: str) -> None:
    """Move the temporary worktree back to ``sha`` (its changes are all committed)."""
    run_git(worktree, *_NO_HOOKS, "checkout", "--quiet", "--force", "--detach", sha)
    run_git(worktree, "clean", "--quiet", "--force", "-d")
