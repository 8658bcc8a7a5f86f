"""`--output-format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

A finding with a call chain (FF101-FF103) gets a code flow: one thread flow whose locations are
the hops, from the async entry point to the blocking call, each with its name as the message
(code scanning shows it as the finding's "paths"). The other blocking calls the same call runs
are its related locations."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi_fixer import __version__
from fastapi_fixer.models import Diagnostic, Hop, Severity
from fastapi_fixer.reporting.ruledocs import REPOSITORY_URL, rule_url, sections, summary
from fastapi_fixer.rule import Rule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SRCROOT = "%SRCROOT%"


def relative_path(path: str, base: str | None = None) -> str | None:
    """``path`` relative to ``base`` (the working directory) in POSIX form; None when outside."""
    base = os.path.abspath(base or os.getcwd())
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute, base)
    except ValueError:  # another drive on Windows
        return None
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return None
    return Path(relative).as_posix()


def _artifact_location(path: str, base: str | None) -> dict[str, str]:
    relative = relative_path(path, base)
    if relative is None:
        return {"uri": Path(os.path.abspath(path)).as_uri()}
    return {"uri": quote(relative), "uriBaseId": SRCROOT}


def _rule_descriptor(rule: type[Rule]) -> dict[str, Any]:
    docs = sections(rule)
    full = " ".join(docs.get("What it does", summary(rule)).split())
    return {
        "id": rule.CODE,
        "name": rule.NAME,
        "shortDescription": {"text": summary(rule)},
        "fullDescription": {"text": full},
        "help": {"text": full, "markdown": rule.docs()},
        "helpUri": rule_url(rule.CODE),
        "defaultConfiguration": {
            "level": LEVELS[rule.SEVERITY],
            "enabled": rule.DEFAULT_ENABLED,
        },
        "properties": {
            "fix_safety": rule.FIX_SAFETY.value,
            "tags": ["fastapi", rule.SEVERITY.value],
        },
    }


def _region(diagnostic: Diagnostic) -> dict[str, int]:
    span = diagnostic.span
    return {
        "startLine": span.line,
        "startColumn": span.col + 1,
        "endLine": span.end_line,
        "endColumn": span.end_col + 1,
    }


def _code_flow(chain: tuple[Hop, ...], base: str | None) -> dict[str, Any]:
    """One thread flow through the hops: the entry point (nesting level 0, a function), then
    each call one level deeper."""
    locations = []
    for depth, hop in enumerate(chain):
        locations.append(
            {
                "location": {
                    "physicalLocation": {
                        "artifactLocation": _artifact_location(hop.path, base),
                        "region": {"startLine": hop.row, "startColumn": hop.column + 1},
                    },
                    "message": {"text": hop.name},
                },
                "kinds": ["function"] if depth == 0 else ["call"],
                "nestingLevel": depth,
            }
        )
    return {"threadFlows": [{"locations": locations}]}


def as_sarif(
    diagnostics: list[Diagnostic], rules: list[type[Rule]], base: str | None = None
) -> dict[str, Any]:
    ordered = sorted(rules, key=lambda rule: rule.CODE)
    index = {rule.CODE: position for position, rule in enumerate(ordered)}
    results = []
    for diagnostic in diagnostics:
        result: dict[str, Any] = {
            "ruleId": diagnostic.code,
            "level": LEVELS[diagnostic.severity],
            "message": {"text": diagnostic.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _artifact_location(diagnostic.path, base),
                        "region": _region(diagnostic),
                    }
                }
            ],
        }
        if diagnostic.chain:
            result["codeFlows"] = [_code_flow(diagnostic.chain, base)]
        if diagnostic.more_sinks:
            result["relatedLocations"] = [
                {
                    "id": number,
                    "physicalLocation": {
                        "artifactLocation": _artifact_location(hop.path, base),
                        "region": {"startLine": hop.row, "startColumn": hop.column + 1},
                    },
                    "message": {"text": f"also blocks: {hop.name}"},
                }
                for number, hop in enumerate(diagnostic.more_sinks, start=1)
            ]
        if diagnostic.code in index:
            result["ruleIndex"] = index[diagnostic.code]
        if diagnostic.fix is not None:
            result["properties"] = {
                "fix_safety": diagnostic.fix.safety.value,
                "fix_title": diagnostic.fix.title,
            }
        results.append(result)
    root = Path(os.path.abspath(base or os.getcwd())).as_uri().rstrip("/") + "/"
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "fastapi-fix",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": REPOSITORY_URL,
                        "rules": [_rule_descriptor(rule) for rule in ordered],
                    }
                },
                "originalUriBaseIds": {SRCROOT: {"uri": root}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def render(diagnostics: list[Diagnostic], rules: list[type[Rule]]) -> str:
    return json.dumps(as_sarif(diagnostics, rules), indent=2, ensure_ascii=False) + "\n"
