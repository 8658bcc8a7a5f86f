"""GitHub played by a loopback HTTP server for the tests of git mode: the part of GitHub's REST
API that git mode uses (create, list and update pull requests), checked the way GitHub checks
requests, answered as GitHub documents (https://docs.github.com/rest/pulls/pulls)."""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.gitrepo import git

_DOCS = "https://docs.github.com/rest"


def _invalid(field_name: str) -> tuple[int, dict]:
    return 422, {
        "message": "Validation Failed",
        "errors": [{"resource": "PullRequest", "field": field_name, "code": "invalid"}],
        "documentation_url": _DOCS,
    }


@dataclass
class FakeGitHub:
    """Pull requests of one repository, whose branches are those of the bare ``remote``."""

    owner: str
    repo: str
    token: str
    remote: Path
    requests: list[dict] = field(default_factory=list)
    pulls: list[dict] = field(default_factory=list)
    url: str = ""

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes):
        self.requests.append({"method": method, "path": path, "headers": headers, "body": body})
        parts = urllib.parse.urlsplit(path)
        pulls = f"/repos/{self.owner}/{self.repo}/pulls"
        one = re.fullmatch(re.escape(pulls) + r"/(\d+)", parts.path)
        if parts.path != pulls and one is None:
            return 404, {"message": "Not Found", "documentation_url": _DOCS}
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"message": "Bad credentials", "documentation_url": _DOCS, "status": "401"}
        if not headers.get("user-agent"):
            return 403, {"message": "Request forbidden by administrative rules."}
        if one is not None:
            return self._one(method, int(one.group(1)), body)
        if method == "GET":
            query = urllib.parse.parse_qs(parts.query)
            head = query.get("head", [""])[0]
            state = query.get("state", ["open"])[0]
            return 200, [
                pull
                for pull in self.pulls
                if (not head or pull["head"]["label"] == head) and pull["state"] == state
            ]
        if method != "POST":
            return 404, {"message": "Not Found", "documentation_url": _DOCS}
        try:
            data = json.loads(body)
        except ValueError:
            return 400, {"message": "Problems parsing JSON"}
        missing = [key for key in ("title", "head", "base") if not data.get(key)]
        if missing:
            return 422, {
                "message": "Validation Failed",
                "errors": [
                    {"resource": "PullRequest", "field": key, "code": "missing_field"}
                    for key in missing
                ],
            }
        for key in ("head", "base"):
            if not self.has_branch(data[key]):
                return _invalid(key)
        label = f"{self.owner}:{data['head']}"
        if any(p["head"]["label"] == label and p["state"] == "open" for p in self.pulls):
            return 422, {
                "message": "Validation Failed",
                "errors": [
                    {
                        "resource": "PullRequest",
                        "code": "custom",
                        "message": f"A pull request already exists for {label}.",
                    }
                ],
                "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
            }
        number = len(self.pulls) + 1
        pull = {
            "id": 1000 + number,
            "number": number,
            "state": "open",
            "title": data["title"],
            "body": data.get("body"),
            "url": f"{self.url}/repos/{self.owner}/{self.repo}/pulls/{number}",
            "html_url": f"https://github.com/{self.owner}/{self.repo}/pull/{number}",
            "head": {"label": label, "ref": data["head"]},
            "base": {"label": f"{self.owner}:{data['base']}", "ref": data["base"]},
        }
        self.pulls.append(pull)
        return 201, pull

    def _one(self, method: str, number: int, body: bytes):
        """GET or PATCH /repos/{owner}/{repo}/pulls/{pull_number}."""
        pull = next((p for p in self.pulls if p["number"] == number), None)
        if pull is None:
            return 404, {"message": "Not Found", "documentation_url": _DOCS}
        if method == "GET":
            return 200, pull
        if method != "PATCH":
            return 404, {"message": "Not Found", "documentation_url": _DOCS}
        try:
            data = json.loads(body)
        except ValueError:
            return 400, {"message": "Problems parsing JSON"}
        if not isinstance(data, dict):
            return 400, {"message": "Problems parsing JSON"}
        unknown = set(data) - {"title", "body", "state", "base", "maintainer_can_modify"}
        if unknown:  # GitHub ignores unknown keys; git mode must not rely on any
            return 422, {"message": f"unexpected keys {sorted(unknown)}"}
        if "state" in data and data["state"] not in ("open", "closed"):
            return _invalid("state")
        if "base" in data:
            if not self.has_branch(data["base"]) or data["base"] == pull["head"]["ref"]:
                return _invalid("base")
            pull["base"] = {"label": f"{self.owner}:{data['base']}", "ref": data["base"]}
        for key in ("title", "body", "state"):
            if key in data:
                pull[key] = data[key]
        return 200, pull

    def has_branch(self, name: str) -> bool:
        return bool(git(self.remote, "show-ref", "--verify", f"refs/heads/{name}", check=False))

    def pull_of(self, head: str) -> dict:
        [pull] = [p for p in self.pulls if p["head"]["ref"] == head]
        return pull


@contextmanager
def serve(fake: FakeGitHub) -> Iterator[FakeGitHub]:
    """Run ``fake`` on a loopback port (``fake.url``) for the block's duration."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {key.lower(): value for key, value in self.headers.items()}
            status, payload = fake.handle(self.command, self.path, headers, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = _serve

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
