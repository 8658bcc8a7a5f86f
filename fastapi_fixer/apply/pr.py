"""What git mode says about its work (commit messages, the pull request's title and body) and the
GitHub REST call that opens the pull request (standard library only: urllib.request).

The token is sent in the Authorization header and nowhere else; it never appears in a message.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field

from fastapi_fixer import __version__
from fastapi_fixer.apply.git import TOKEN_VARIABLES, GitModeError, scrub

# Each rule's documentation page (docs/rules/<CODE>.md, generated from the rule's docstring by
# scripts/update_readme.py) in the project's repository; `fastapi-fix rule CODE` prints the same.
PROJECT_URL = "https://github.com/fastapi-fix/fastapi-fix"
RULE_DOCS_URL = f"{PROJECT_URL}/blob/main/docs/rules/{{code}}.md"
DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
TIMEOUT_SECONDS = 30.0
MAX_LISTED = 50  # findings listed in a body; GitHub caps a body at 65536 characters
EXISTING_PR = "a pull request already exists"


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


# --- what was done ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppliedFix:
    """One fix applied with --unsafe-fixes: listed for careful review."""

    path: str
    line: int
    code: str
    message: str
    title: str


@dataclass(frozen=True)
class Finding:
    """A finding left for a human; ``hint`` says why it was not fixed."""

    path: str
    line: int
    col: int
    code: str
    message: str
    hint: str = ""
    marker: str = ""  # `check`'s fix marker: "[*] ", "[-] " or ""

    def location(self) -> str:
        return f"{self.path}:{self.line}:{self.col + 1}"


@dataclass
class RuleCommit:
    """One rule's fixes, committed together."""

    code: str
    name: str
    fixes: int
    files: list[tuple[str, int]]  # (path, fixes counted there); cross-file edits count 0
    unsafe: list[AppliedFix] = field(default_factory=list)
    sha: str = ""
    # what the fixes did, as (path, title) of the findings fixed: the titles are the findings'
    # own (`Make `get_db` an `async def``), not the rule's template
    titles: list[tuple[str, str]] = field(default_factory=list)
    # the findings fixed, at their lines in the commit's parent (`--pr-per-step` lists them)
    fixed: list[AppliedFix] = field(default_factory=list)

    @property
    def subject(self) -> str:
        return (
            f"{self.code} {self.name}: {_plural(self.fixes, 'fix', 'fixes')} in "
            f"{_plural(len(self.files), 'file')}"
        )

    @property
    def docs_url(self) -> str:
        return RULE_DOCS_URL.format(code=self.code)

    def _what(self) -> list[str]:
        """One sentence when every fix did the same thing, else one line per fix."""
        distinct = list(dict.fromkeys(title for _, title in self.titles))
        if not distinct:
            return []
        if len(distinct) == 1:
            return [f"{distinct[0].rstrip('.')}.", ""]
        lines = ["Fixes:"]
        lines += [f"- {path}: {title}" for path, title in self.titles[:MAX_LISTED]]
        if len(self.titles) > MAX_LISTED:
            lines.append(f"- … and {len(self.titles) - MAX_LISTED} more")
        return [*lines, ""]

    def message(self) -> str:
        lines = [self.subject, ""]
        lines += self._what()
        lines.append("Files:")
        for path, count in self.files:
            lines.append(f"- {path}" + (f" ({_plural(count, 'fix', 'fixes')})" if count else ""))
        if self.unsafe:
            lines += ["", "Unsafe fixes, review carefully:"]
            lines += [f"- {fix.path}:{fix.line}: {fix.title}" for fix in self.unsafe]
        lines += [
            "",
            f"Applied by fastapi-fix {__version__}; `fastapi-fix rule {self.code}` documents "
            "the rule.",
        ]
        return "\n".join(lines)


@dataclass
class Summary:
    """Everything git mode did, in repository-relative paths."""

    branch: str
    base_label: str
    base_sha: str
    commits: list[RuleCommit] = field(default_factory=list)
    left: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # files or fixes that failed: one line each
    unsafe_enabled: bool = False
    # `--verify`: what was proven before committing (markdown lines; apply/verify.py)
    verification: list[str] | None = None

    @property
    def fixes(self) -> int:
        return sum(commit.fixes for commit in self.commits)

    @property
    def unsafe(self) -> list[AppliedFix]:
        return [fix for commit in self.commits for fix in commit.unsafe]

    @property
    def files(self) -> list[str]:
        return sorted({path for commit in self.commits for path, _ in commit.files})


def pr_title(summary: Summary) -> str:
    codes = ", ".join(commit.code for commit in summary.commits)
    return f"fastapi-fix: {_plural(summary.fixes, 'fix', 'fixes')} ({codes})"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def pr_body(summary: Summary) -> str:
    out = [
        f"This pull request was opened by [fastapi-fix]({PROJECT_URL}) {__version__}, a linter "
        "and auto-fixer for FastAPI code bases. Every change is a LibCST rewrite of one finding "
        "that keeps comments and formatting, and fixed files must compile. Each rule's fixes are "
        "one commit, so they can be reviewed, and reverted, rule by rule.",
        "",
        f"Base: `{summary.base_label}` at `{summary.base_sha[:12]}`. "
        f"{_plural(summary.fixes, 'fix', 'fixes')} in {_plural(len(summary.files), 'file')}.",
        "",
        "## Rules applied",
        "",
        "| Rule | Name | Fixes | Files | Commit |",
        "|---|---|---:|---:|---|",
    ]
    for commit in summary.commits:
        out.append(
            f"| [{commit.code}]({commit.docs_url}) | {_cell(commit.name)} | {commit.fixes} "
            f"| {len(commit.files)} | {commit.sha[:12]} |"
        )
    out += ["", "`fastapi-fix rule CODE` prints a rule's documentation.", ""]
    if summary.verification is not None:
        out += ["## Verified", "", *summary.verification, ""]
    out += ["## Unsafe fixes: review carefully", ""]
    unsafe = summary.unsafe
    if unsafe:
        out += [
            "These fixes were applied with `--unsafe-fixes`: they may change behaviour, the "
            "public API or the OpenAPI document. Check each one.",
            "",
        ]
        out += [
            f"- `{fix.path}:{fix.line}` {fix.code}: {_cell(fix.title)} ({_cell(fix.message)})"
            for fix in unsafe[:MAX_LISTED]
        ]
        if len(unsafe) > MAX_LISTED:
            out.append(f"- … and {len(unsafe) - MAX_LISTED} more (see the commit messages)")
    else:
        note = "" if summary.unsafe_enabled else " (unsafe fixes were not enabled)"
        out.append(f"None: every fix applied is safe{note}.")
    out += ["", "## Left for a human", ""]
    if summary.left:
        out += [
            f"{_plural(len(summary.left), 'finding')} could not be fixed automatically:",
            "",
        ]
        for finding in summary.left[:MAX_LISTED]:
            hint = f" ({finding.hint})" if finding.hint else ""
            out.append(
                f"- `{finding.location()}` {finding.code}: {_cell(finding.message)}{_cell(hint)}"
            )
        if len(summary.left) > MAX_LISTED:
            out.append(
                f"- … and {len(summary.left) - MAX_LISTED} more (`fastapi-fix check` lists them)"
            )
    else:
        out.append("Nothing: no finding is left.")
    if summary.problems:
        out += ["", "## Not processed", ""]
        out += [f"- {_cell(problem)}" for problem in summary.problems[:MAX_LISTED]]
    return "\n".join(out) + "\n"


def gitlab_description(summary: Summary) -> str:
    """A merge request description for a push option, which cannot hold a newline."""
    rules = "; ".join(f"{c.code} {c.name}: {c.fixes}" for c in summary.commits)
    text = (
        f"Opened by fastapi-fix {__version__}: {_plural(summary.fixes, 'fix', 'fixes')}, one "
        f"commit per rule ({rules}). Unsafe fixes to review: {len(summary.unsafe)}. "
        f"Findings left for a human: {len(summary.left)}."
    )
    return " ".join(text.split())


# --- GitHub --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GitHubTarget:
    api: str  # without a trailing slash
    owner: str
    repo: str
    token: str

    def __repr__(self) -> str:  # the token must not leak through a repr
        return f"GitHubTarget(api={self.api!r}, owner={self.owner!r}, repo={self.repo!r})"


def token_from_env() -> str:
    for name in TOKEN_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    raise GitModeError("--pr needs a GitHub token in GITHUB_TOKEN or GH_TOKEN")


def api_url(option: str | None) -> str:
    """The API base URL: the option, GITHUB_API_URL, or api.github.com. Plain http is only
    accepted for a loopback host (the token would otherwise travel in clear)."""
    url = (option or os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL).strip().rstrip("/")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise GitModeError(f"--github-api {url}: not an http(s) URL")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise GitModeError(f"--github-api {url}: use https; the token must not travel in clear")
    return url


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_github_repo(value: str) -> tuple[str, str]:
    owner, _, repo = value.strip().removesuffix(".git").partition("/")
    if not owner or not repo or "/" in repo:
        raise GitModeError(f"--github-repo {value}: expected OWNER/NAME")
    return owner, repo


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect would resend the Authorization header elsewhere: treat it as an error."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[override]
        return None


def _request(
    target: GitHubTarget, method: str, path: str, payload: object | None = None
) -> tuple[int, object]:
    url = f"{target.api}{path}"
    headers = {
        "Accept": "application/vnd.github+json",
        "Authorization": f"Bearer {target.token}",
        "X-GitHub-Api-Version": API_VERSION,
        "User-Agent": f"fastapi-fix/{__version__}",
    }
    data = None
    if payload is not None:
        data = json.dumps(payload).encode("utf-8")
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    opener = urllib.request.build_opener(_NoRedirect())
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, _json(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            try:
                body = exc.read()
            except (OSError, http.client.HTTPException):
                body = b""
        if 300 <= exc.code < 400:
            where = exc.headers.get("Location", "elsewhere") if exc.headers else "elsewhere"
            raise GitModeError(
                f"GitHub API at {target.api} answered {exc.code} (moved to {where}); "
                "pass the right --github-api"
            ) from None
        return exc.code, _json(body)
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise GitModeError(
            f"cannot reach the GitHub API at {target.api}: {scrub(str(reason), [target.token])}"
        ) from None


def _json(data: bytes) -> object:
    try:
        return json.loads(data.decode("utf-8")) if data else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def _messages(data: object) -> tuple[str, list[str]]:
    """GitHub's error ``message`` and the messages of its ``errors`` list."""
    if not isinstance(data, dict):
        return "", []
    details = []
    for error in data.get("errors") or []:
        if isinstance(error, dict):
            text = error.get("message") or " ".join(
                str(error[key]) for key in ("resource", "field", "code") if error.get(key)
            )
            details.append(str(text))
        elif isinstance(error, str):
            details.append(error)
    return str(data.get("message") or ""), details


def _api_error(target: GitHubTarget, status: int, data: object) -> GitModeError:
    message, details = _messages(data)
    said = f"{status} {message}".strip() + (f": {'; '.join(details)}" if details else "")
    where = f"{target.owner}/{target.repo}"
    advice = {
        401: "the token in GITHUB_TOKEN/GH_TOKEN was rejected",
        403: f"the token may not open pull requests on {where}, or a rate limit was hit",
        404: f"no repository {where} at {target.api}, or the token cannot see it",
    }.get(status, "")
    text = f"GitHub API: {said}" + (f" ({advice})" if advice else "")
    return GitModeError(scrub(" ".join(text.split()), [target.token])[:500])


@dataclass(frozen=True)
class PullRequest:
    url: str
    number: int | None
    created: bool  # False: one already existed for this branch
    base: str | None = None  # the branch it targets, as GitHub said


def _pull(data: dict, created: bool) -> PullRequest:
    base = data.get("base")
    ref = base.get("ref") if isinstance(base, dict) else None
    return PullRequest(str(data["html_url"]), data.get("number"), created, ref)


def open_pull_request(
    target: GitHubTarget, *, title: str, head: str, base: str, body: str
) -> PullRequest:
    """POST /repos/{owner}/{repo}/pulls; when GitHub says one already exists for ``head``,
    the open one is looked up and returned instead."""
    owner, repo = (urllib.parse.quote(part, safe="") for part in (target.owner, target.repo))
    pulls = f"/repos/{owner}/{repo}/pulls"
    payload = {"title": title, "head": head, "base": base, "body": body}
    status, data = _request(target, "POST", pulls, payload)
    if status == 201 and isinstance(data, dict) and data.get("html_url"):
        return _pull(data, created=True)
    message, details = _messages(data)
    if status == 422 and any(EXISTING_PR in text.lower() for text in (message, *details)):
        existing = _find_open(target, pulls, head)
        if existing is not None:
            return existing
    raise _api_error(target, status, data)


def _find_open(target: GitHubTarget, pulls: str, head: str) -> PullRequest | None:
    query = urllib.parse.urlencode({"head": f"{target.owner}:{head}", "state": "open"})
    status, data = _request(target, "GET", f"{pulls}?{query}")
    if status != 200:
        raise _api_error(target, status, data)
    if isinstance(data, list):
        for item in data:
            if isinstance(item, dict) and item.get("html_url"):
                return _pull(item, created=False)
    return None


def update_pull_request(
    target: GitHubTarget,
    number: int,
    *,
    title: str | None = None,
    body: str | None = None,
    base: str | None = None,
) -> PullRequest:
    """PATCH /repos/{owner}/{repo}/pulls/{number}: change what is given (GitHub answers 200
    with the pull request)."""
    owner, repo = (urllib.parse.quote(part, safe="") for part in (target.owner, target.repo))
    given = {"title": title, "body": body, "base": base}
    payload = {key: value for key, value in given.items() if value is not None}
    status, data = _request(target, "PATCH", f"/repos/{owner}/{repo}/pulls/{number}", payload)
    if status == 200 and isinstance(data, dict) and data.get("html_url"):
        return _pull(data, created=False)
    raise _api_error(target, status, data)


def gitlab_push_options(summary: Summary, base: str) -> Sequence[str]:
    """GitLab opens a merge request on push when told so by push options."""
    return (
        "merge_request.create",
        f"merge_request.target={base}",
        f"merge_request.title={pr_title(summary)}",
        f"merge_request.description={gitlab_description(summary)}",
    )
