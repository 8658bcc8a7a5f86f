"""## What it does
Reports a `.env` file (or `.env.<name>`, such as `.env.production`) that git tracks, at its first
line. Templates meant to be committed are left alone: `.env.example`, `.env.sample`,
`.env.template`, `.env.dist`, and files that set no value (`KEY=` lines and comments only).

## Why is this bad?
A `.env` file holds the secrets `BaseSettings` reads: database passwords, API keys, JWT
secrets. Once committed, they are in every clone and in the history for good, even after the
file is deleted.

## Example
```console
$ git ls-files
.env
app/main.py
```

## Use instead
```console
$ git rm --cached .env
$ echo ".env" >> .gitignore
```
then rotate every secret the file held, and commit a `.env.example` with the names only.

## Fix safety
No fix: untracking the file and rotating the secrets are for a human to do.

A comment line `# noqa: FF606` in the file suppresses the finding.

## Known problems
`.env` files are read even when `.gitignore` lists them (a file committed before the entry was
added is still tracked), but not inside ignored or excluded folders. Files outside a git
repository, or when `git` cannot be run, are not reported. Secrets already in the history are
not looked for.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

from fastapi_fixer.models import Diagnostic, Severity
from fastapi_fixer.rule import Rule, TextContext

TEMPLATE_SUFFIXES = frozenset({"example", "sample", "template", "dist"})
_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.]*\s*=\s*(?P<value>\S)")


class CommittedEnvFile(Rule):
    CODE = "FF606"
    NAME = "committed-env-file"
    SEVERITY = Severity.ERROR
    MESSAGE = "`{name}` is tracked by git"
    FILE_NAMES = (".env", ".env.*")

    def check_text(self, ctx: TextContext) -> Iterator[Diagnostic]:
        name = os.path.basename(ctx.path)
        if name.split(".")[-1].lower() in TEMPLATE_SUFFIXES or not _sets_a_value(ctx.text):
            return
        if not is_tracked(ctx.path):
            return
        yield self.text_diagnostic(
            ctx,
            1,
            f"`{name}` is tracked by git and its secrets are in the history; untrack it "
            f"(`git rm --cached {name}`), add it to `.gitignore` and rotate its secrets",
        )


def _sets_a_value(text: str) -> bool:
    return any(_ASSIGNMENT.match(line) for line in text.splitlines())


def is_tracked(path: str) -> bool:
    """Whether the git repository holding ``path`` tracks it (has it in its index)."""
    import git

    real = os.path.realpath(path)
    try:
        repo = git.Repo(os.path.dirname(real), search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return False
    try:
        if repo.bare or repo.working_tree_dir is None:
            return False
        relative = os.path.relpath(real, repo.working_tree_dir)
        if relative.startswith(".."):
            return False
        return bool(repo.git.ls_files("--", relative).strip())
    except (git.GitCommandError, git.GitCommandNotFound, OSError, ValueError):
        return False
    finally:
        repo.close()
