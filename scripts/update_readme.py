"""Regenerate the rule documentation from the rules' docstrings.

Writes docs/rules/<CODE>.md for every registered rule (and removes pages of rules that no longer
exist), and rewrites the part of README.md between `<!-- rules-table:start -->` and
`<!-- rules-table:end -->` with a table: code (linking to its page), name, severity, fix safety
and the first sentence of "What it does". A README without the markers gets a "Rules" section
with them at its end.

    python scripts/update_readme.py           # write
    python scripts/update_readme.py --check   # exit 1 and list what is stale; write nothing
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- rules-table:start -->", "<!-- rules-table:end -->"
DOCS_DIR = Path("docs") / "rules"
_PAGE = re.compile(r"^FF\d+\.md$")

if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from fastapi_fixer.registry import all_rules  # noqa: E402
from fastapi_fixer.reporting.ruledocs import markdown_page, summary  # noqa: E402


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def rules_table() -> str:
    lines = [
        "| code | name | severity | fix | what it does |",
        "|---|---|---|---|---|",
    ]
    for code, rule in all_rules().items():
        what = summary(rule) + ("" if rule.DEFAULT_ENABLED else " *(off by default)*")
        lines.append(
            f"| [{code}]({DOCS_DIR.as_posix()}/{code}.md) | {rule.NAME} | "
            f"{rule.SEVERITY.value} | {rule.FIX_SAFETY.value} | {_cell(what)} |"
        )
    return "\n".join(lines) + "\n"


def readme_with_table(readme: str) -> str:
    block = f"{START}\n{rules_table()}{END}"
    if START in readme and END in readme:
        before, rest = readme.split(START, 1)
        _, after = rest.split(END, 1)
        return before + block + after
    return readme.rstrip("\n") + f"\n\n## Rules\n\n{block}\n"


def rule_pages() -> dict[str, str]:
    return {f"{code}.md": markdown_page(rule) for code, rule in all_rules().items()}


def stale(root: Path = ROOT) -> list[str]:
    """Paths (relative to ``root``) that differ from what this script would write."""
    found = []
    readme = root / "README.md"
    current = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    if readme_with_table(current) != current:
        found.append("README.md")
    pages = rule_pages()
    docs = root / DOCS_DIR
    for name, text in pages.items():
        path = docs / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            found.append((DOCS_DIR / name).as_posix())
    if docs.is_dir():
        for path in sorted(docs.iterdir()):
            if _PAGE.match(path.name) and path.name not in pages:
                found.append((DOCS_DIR / path.name).as_posix())
    return found


def update(root: Path = ROOT) -> list[str]:
    """Write what is stale; returns the paths written or removed."""
    changed = stale(root)
    readme = root / "README.md"
    if "README.md" in changed:
        current = readme.read_text(encoding="utf-8") if readme.is_file() else ""
        readme.write_text(readme_with_table(current), encoding="utf-8", newline="\n")
    docs = root / DOCS_DIR
    docs.mkdir(parents=True, exist_ok=True)
    pages = rule_pages()
    for name, text in pages.items():
        (docs / name).write_text(text, encoding="utf-8", newline="\n")
    for path in docs.iterdir():
        if _PAGE.match(path.name) and path.name not in pages:
            path.unlink()
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report stale files, write none")
    args = parser.parse_args(argv)
    if args.check:
        found = stale()
        for path in found:
            print(f"stale: {path}")
        if found:
            print("run: python scripts/update_readme.py")
        return 1 if found else 0
    for path in update():
        print(f"updated {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
