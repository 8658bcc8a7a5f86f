"""What the project says it depends on: its pyproject.toml, setup.cfg, setup.py, requirements
files or the metadata of a built package, found at or a few folders above the code base's root.

Read from the files directly (not through the index): the cache does not see an edit of these
files alone (see the Known problems of the rules that use it)."""

from __future__ import annotations

import contextlib
import os
import re

from fastapi_fixer.analysis.index import ProjectIndex

DECLARATIONS = (
    "pyproject.toml", "setup.cfg", "setup.py", "requirements.txt", "requirements.in", "PKG-INFO",
)  # fmt: skip


def declaration_files(index: ProjectIndex) -> list[str]:
    """The files that declare the project's dependencies, nearest the code base's root."""
    paths = [os.path.abspath(m.path) for m in index.modules.values() if m.path]
    if not paths:
        return []
    root = os.path.commonpath(paths)
    if os.path.isfile(root):
        root = os.path.dirname(root)
    found: list[str] = []
    folder = root
    for _ in range(4):  # the code base's root may be a few folders above its package
        names: list[str] = []
        with contextlib.suppress(OSError):
            names = sorted(os.listdir(folder))
        for name in names:
            full = os.path.join(folder, name)
            if name in DECLARATIONS or (name.startswith("requirements") and name.endswith(".txt")):
                found.append(full)
            elif name.endswith(".dist-info"):
                found.append(os.path.join(full, "METADATA"))
        if found:
            break
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return found


def declaration_texts(index: ProjectIndex) -> list[str]:
    texts = []
    for path in declaration_files(index):
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                texts.append(handle.read())
        except OSError:
            continue
    return texts


def depends_on(index: ProjectIndex, distribution: str, module: str) -> bool:
    """Whether the project declares ``distribution`` (`pydantic-settings`; `-`, `_` and `.`
    are the same in a requirement) or already imports ``module`` somewhere."""
    for facts in index.modules.values():
        for binding in facts.bindings.values():
            if binding.kind == "import" and (
                binding.target == module or binding.target.startswith(module + ".")
            ):
                return True
    name = r"[-_.]".join(re.escape(part) for part in re.split(r"[-_.]", distribution))
    pattern = re.compile(rf"(?<![\w.-]){name}(?![\w-])", re.IGNORECASE)
    return any(pattern.search(text) for text in declaration_texts(index))


# `pydantic<2`, `pydantic==1.10.13`, `pydantic = "^1.10"` (Poetry), `pydantic = {version = ...}`
_SPECS = r"((?:(?:[<>=!~]=?=?|\^)\s*[\w.*]+\s*,?\s*)+)"


def _requirement(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"(?<![\w.-]){name}(?:\[[^\]]*\])?(?![\w.-])[\"']?\s*"
        rf"(?:=\s*[\"']|=\s*\{{[^}}]*?version\s*=\s*[\"'])?\s*\(?\s*{_SPECS}",
        re.IGNORECASE,
    )


_PYDANTIC = _requirement("pydantic")
_FASTAPI = _requirement("fastapi")
_SPEC = re.compile(r"(===|==|~=|<=|>=|!=|<|>|\^)\s*(\d+(?:\.\d+)*)")


def _version(text: str) -> tuple[int, ...]:
    parts = tuple(int(part) for part in text.split(".") if part.isdigit())
    return (*parts, 0, 0, 0)[:3]


def declared_pydantic_major(index: ProjectIndex) -> int | None:
    """The Pydantic major version the project's declarations pin it to: 1 for `pydantic<2`,
    `==1.*`, `~=1.10`, `^1.10`, or a FastAPI older than 0.100 (`fastapi<0.100`,
    `fastapi==0.99.1`: those require Pydantic v1); 2 for a lower bound of 2 or more
    (`pydantic>=2.4`); None when nothing says (the code then tells, see FF202)."""
    found: set[int] = set()
    for text in declaration_texts(index):
        for match in _PYDANTIC.finditer(text):
            for operator, version in _SPEC.findall(match.group(1)):
                number = _version(version)
                if operator == "<" and number <= (2, 0, 0):
                    found.add(1)
                elif operator in ("<=", "==", "===", "~=", "^"):
                    found.add(1 if number[0] < 2 else 2)
                elif operator in (">=", ">") and number[0] >= 2:
                    found.add(2)
        for match in _FASTAPI.finditer(text):
            for operator, version in _SPEC.findall(match.group(1)):
                number = _version(version)
                if (operator == "<" and number <= (0, 100, 0)) or (
                    operator in ("<=", "==", "===", "~=", "^") and number < (0, 100, 0)
                ):
                    found.add(1)
    if 1 in found:
        return 1
    return 2 if 2 in found else None
