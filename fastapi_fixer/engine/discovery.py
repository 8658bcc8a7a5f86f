"""Which files to look at: Python files under the given paths (and the non-Python files that text
rules read), minus ignored and excluded ones."""

from __future__ import annotations

import fnmatch
import functools
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi_fixer.models import FileError

if TYPE_CHECKING:
    import pathspec

SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".env",
        "env",
        "__pycache__",
        "__pypackages__",
        "build",
        "dist",
        "node_modules",
        "site-packages",
        ".tox",
        ".nox",
        ".eggs",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".fastapi-fix-cache",
    }
)
PYTHON_SUFFIXES = (".py", ".pyi")


@dataclass
class Discovered:
    files: list[str] = field(default_factory=list)
    roots: dict[str, str] = field(default_factory=dict)  # file -> the path argument it came from
    errors: list[FileError] = field(default_factory=list)
    # files of the project that the run only reads (`add_context`): analysed, never checked,
    # reported or fixed; they are in ``files`` too
    context: set[str] = field(default_factory=set)


def _is_virtualenv(directory: str) -> bool:
    return os.path.isfile(os.path.join(directory, "pyvenv.cfg"))


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob as ruff reads one (globset's defaults): `*` and `?` cross folders, `**/` is any
    number of folders, none included (`**/migrations/*` matches `migrations/m1.py`), `[...]` a
    class (`[!...]` negated); an unclosed `[` is itself."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif char == "*":
            out.append(".*")
            while i < len(pattern) and pattern[i] == "*":
                i += 1
        elif char == "?":
            out.append(".")
            i += 1
        elif char == "[" and "]" in pattern[i + 2 :]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end]
            negated = body.startswith("!")
            body = re.escape(body[1:] if negated else body).replace("\\-", "-")
            out.append(f"[{'^' if negated else ''}{body}]")
            i = end + 1
        else:
            out.append(re.escape(char))
            i += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL)


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    return glob_regex(pattern)


def glob_match(pattern: str, path: str) -> bool:
    return _compiled(pattern.replace(os.sep, "/")).match(path.replace(os.sep, "/")) is not None


def _relative_to(path: str, base: str) -> str | None:
    """``path`` relative to the folder ``base``, when it is inside it."""
    try:
        relative = os.path.relpath(os.path.abspath(path), base)
    except ValueError:  # another drive
        return None
    return None if relative == ".." or relative.startswith(".." + os.sep) else relative


def _excluded(path: str, patterns: Iterable[str], base: str | None = None) -> bool:
    """Whether a pattern matches the path (normalised: `./migrations/m1.py` is
    `migrations/m1.py`), the path relative to ``base`` (the configuration file's folder, which
    patterns are relative to, as ruff's are; default: the current folder), or the name of the
    file or of a folder it is in below ``base`` (`migrations` excludes `app/migrations/x.py`,
    but `build` does not exclude a project that happens to live in `/home/me/build/`). `.` and
    `../x` are matched by their folder's name, never as text (`.*`, hidden files, would)."""
    if not patterns:
        return False
    normal = os.path.normpath(path)
    candidates = [] if normal == os.curdir or normal.startswith(os.pardir) else [normal]
    relative = _relative_to(path, base if base is not None else os.getcwd())
    if relative is not None and relative != os.curdir:
        candidates.append(relative)
        names: tuple[str, ...] = Path(relative).parts
    else:
        names = (os.path.basename(os.path.abspath(path)),)
    return any(
        glob_match(pattern, candidate)
        for pattern in patterns
        for candidate in (*candidates, *names)
    )


class PerFileIgnores:
    """`per-file-ignores` as ruff reads it: a glob is relative to ``base`` (the configuration's
    folder; default: the current one) or, matched against the file's name alone, matches in
    any folder (`"__init__.py"`); `"!glob"` applies to the files it does not match. Codes are
    prefixes (`FF1` ignores FF101)."""

    def __init__(
        self, entries: Iterable[tuple[str, tuple[str, ...]]], base: str | None = None
    ) -> None:
        root = os.path.abspath(base if base is not None else os.getcwd())
        self.entries = [
            (
                glob.startswith("!"),
                os.path.normpath(os.path.join(root, glob.removeprefix("!"))),
                glob.removeprefix("!"),
                tuple("" if code == "ALL" else code for code in codes),
            )
            for glob, codes in entries
        ]
        self._by_path: dict[str, tuple[str, ...]] = {}

    def __bool__(self) -> bool:
        return bool(self.entries)

    def codes(self, path: str) -> tuple[str, ...]:
        """The code prefixes ignored in ``path``."""
        found = self._by_path.get(path)
        if found is None:
            absolute = os.path.abspath(path)
            name = os.path.basename(path)
            found = tuple(
                code
                for negated, absolute_glob, glob, codes in self.entries
                if (glob_match(absolute_glob, absolute) or glob_match(glob, name)) != negated
                for code in codes
            )
            self._by_path[path] = found
        return found

    def ignores(self, path: str, code: str) -> bool:
        return any(code.startswith(prefix) for prefix in self.codes(path))


def is_excluded(path: str, patterns: Iterable[str], base: str | None = None) -> bool:
    """Whether an ``exclude`` pattern matches ``path`` (a path named on the command line, or
    `--stdin-filename`'s)."""
    return _excluded(os.path.normpath(path), tuple(patterns), base)


def _load_gitignore(directory: str) -> pathspec.PathSpec | None:
    path = os.path.join(directory, ".gitignore")
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            import pathspec  # only when there is a .gitignore (start-up time of a warm check)

            return pathspec.GitIgnoreSpec.from_lines(handle)
    except OSError:
        return None


def _gitignores_above(directory: str) -> list[tuple[str, pathspec.PathSpec]]:
    """The .gitignore files of the enclosing git repository, outermost first."""
    specs: list[tuple[str, pathspec.PathSpec]] = []
    current = os.path.abspath(directory)
    while True:
        parent = os.path.dirname(current)
        if parent == current:
            return []
        current = parent
        spec = _load_gitignore(current)
        if spec is not None:
            specs.append((current, spec))
        if os.path.exists(os.path.join(current, ".git")):
            return list(reversed(specs))


def _ignored(path: str, is_dir: bool, specs: list[tuple[str, pathspec.PathSpec]]) -> bool:
    for base, spec in specs:
        relative = os.path.relpath(path, base).replace(os.sep, "/")
        if relative.startswith(".."):
            continue
        if spec.match_file(relative + "/" if is_dir else relative):
            return True
    return False


def discover(
    paths: Iterable[str],
    exclude: Iterable[str] = (),
    file_names: Iterable[str] = (),
    base: str | None = None,
    force_exclude: bool = False,
) -> Discovered:
    """Files given explicitly are taken, and directories are walked honouring .gitignore and
    ``exclude``; with ``force_exclude``, paths given explicitly are excluded too when a pattern
    matches them (ruff's `--force-exclude`: pre-commit passes every staged file by name).

    ``file_names``: globs of non-Python file names to take too (text rules' `FILE_NAMES`);
    ``base``: the folder ``exclude`` patterns are relative to (the configuration's)."""
    exclude = tuple(exclude)
    base = os.path.abspath(base if base is not None else os.getcwd())
    file_names = tuple(file_names)
    found = Discovered()
    seen: set[str] = set()  # real paths: a file reached twice (through a symlink) is taken once
    real_dirs: dict[str, str] = {}

    def take(path: str, root: str) -> None:
        # one realpath per folder, not per file: only a file that is a link needs its own
        directory, name = os.path.split(path)
        if os.path.islink(path):
            real = os.path.realpath(path)
        else:
            real_dir = real_dirs.get(directory)
            if real_dir is None:
                real_dir = real_dirs[directory] = os.path.realpath(directory or ".")
            real = os.path.join(real_dir, name)
        if real not in seen:
            seen.add(real)
            found.files.append(path)
            found.roots[path] = root

    for raw in paths:
        if not os.path.lexists(raw):
            found.errors.append(FileError(raw, "no such file or directory"))
            continue
        if force_exclude and _excluded(raw, exclude, base):
            continue
        if not os.path.isdir(raw):
            norm = os.path.normpath(raw)
            take(norm, os.path.dirname(norm) or ".")
            continue
        for path in _walk(raw, exclude, found.errors, file_names, base):
            # printed as ruff prints it: `app/db.py`, not `./app/db.py` (and `--diff` headers
            # `a/app/db.py`, which `git apply` takes)
            take(path[2:] if path.startswith("./") else path, raw)
    return found


def _walk(
    root: str,
    exclude: tuple[str, ...],
    errors: list[FileError],
    file_names: tuple[str, ...] = (),
    base: str | None = None,
) -> Iterator[str]:
    base = os.path.abspath(base if base is not None else os.getcwd())
    root = os.path.normpath(root)
    inherited = _gitignores_above(root)

    def on_error(exc: OSError) -> None:
        errors.append(FileError(exc.filename or root, f"cannot read directory: {exc.strerror}"))

    spec_stack: dict[str, list[tuple[str, pathspec.PathSpec]]] = {}
    for directory, dirnames, filenames in os.walk(root, onerror=on_error, followlinks=False):
        parent_specs = spec_stack.get(os.path.dirname(directory), inherited)
        if directory == root:
            parent_specs = inherited
        own = _load_gitignore(directory)
        specs = [*parent_specs, (directory, own)] if own is not None else parent_specs
        spec_stack[directory] = specs
        kept = []
        for name in sorted(dirnames):
            full = os.path.join(directory, name)
            if name in SKIPPED_DIRS or name.endswith(".egg-info") or _is_virtualenv(full):
                continue
            if _ignored(full, True, specs) or _excluded(full, exclude, base):
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if not name.endswith(PYTHON_SUFFIXES) and not any(
                fnmatch.fnmatchcase(name, pattern) for pattern in file_names
            ):
                continue
            full = os.path.join(directory, name)
            if _excluded(full, exclude, base):
                continue
            # an env file listed in .gitignore after it was committed is still tracked: FF606
            # asks git, so ignoring it here would hide exactly the leak it looks for
            if _ignored(full, False, specs) and not _is_env_file(name, file_names):
                continue
            yield full


def _is_env_file(name: str, file_names: tuple[str, ...]) -> bool:
    return (name == ".env" or name.startswith(".env.")) and any(
        fnmatch.fnmatchcase(name, pattern) for pattern in file_names
    )


def project_folder(base: str | None) -> str | None:
    """The folder of the project a run's files belong to: the configuration file's folder
    (``base``), else the current folder — unless that is the file system's root or the home
    folder, which are no project (None)."""
    if base is not None:
        return os.path.abspath(base)
    here = os.getcwd()
    if here == os.path.dirname(here) or here == os.path.expanduser("~"):
        return None
    return here


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def add_context(
    found: Discovered,
    paths: Iterable[str],
    exclude: Iterable[str] = (),
    base: str | None = None,
    project: str | None = None,
) -> None:
    """When the run's paths do not cover the whole project (``project``, `project_folder`):
    add the project's other Python files as *context* (`Discovered.context`), discovered as a
    run over the project would (the same excludes, .gitignore files and skipped folders), so
    the project index of `check app/routes.py` is the one of `check .`. The given Python files
    inside the project take the project's folder as their root, so their modules are named as
    in a run over the project (`pkg.guards`, in a flat layout too). Files outside the project
    keep their own folder as root, and no context is added for them; so do the files of a
    folder given that is not a package (it holds top-level modules: a project of its own, as
    `check examples/legacy-app` from the folder above). Discovery errors in the project's
    other folders are not the run's."""
    if project is None:
        return
    real_project = os.path.realpath(project)
    folders = [raw for raw in paths if os.path.isdir(raw)]
    if any(_inside(real_project, os.path.realpath(raw)) for raw in folders):
        return  # a path given covers the project: nothing is context
    # a folder given that is not a package (`examples/legacy-app`, `services/api`, `src`) holds
    # top-level modules: it is a project of its own, checked as it is
    own = {raw for raw in folders if not os.path.isfile(os.path.join(raw, "__init__.py"))}
    inside = [
        path
        for path in found.files
        if path.endswith(PYTHON_SUFFIXES)
        and found.roots[path] not in own
        and _inside(os.path.realpath(path), real_project)
    ]
    if not inside:
        return
    try:
        walked = os.path.relpath(real_project)
    except ValueError:  # another drive
        walked = real_project
    for path in inside:
        found.roots[path] = walked
    seen = {os.path.realpath(path) for path in found.files}
    for path in _walk(walked, tuple(exclude), [], (), base):
        path = path[2:] if path.startswith("./") else path
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            found.files.append(path)
            found.roots[path] = walked
            found.context.add(path)


def discover_run(
    paths: Iterable[str],
    exclude: Iterable[str] = (),
    file_names: Iterable[str] = (),
    base: str | None = None,
    force_exclude: bool = False,
    context: bool = False,
) -> Discovered:
    """`discover`, and with ``context`` the project's other Python files as context
    (`add_context`): what a `check` or `fix` reads (the engine and the stored verdict's check,
    runcache.py, discover alike)."""
    paths = tuple(paths)
    found = discover(paths, exclude, file_names, base, force_exclude)
    if context:
        add_context(found, paths, exclude, base, project_folder(base))
    return found
