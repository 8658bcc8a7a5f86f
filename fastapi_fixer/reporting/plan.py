"""The migration plan: the order in which to apply a run's findings, one step a reviewer can take
at a time.

Safe, mechanical fixes come first (they keep the app's behaviour and its OpenAPI document, so a
reviewer checks them for readability alone), then the fixes that change behaviour or public API
(each needs a decision), then the work no fix does (listed, for a person). Within each kind, steps
follow the sections of the guide (`guide/fastapi-best-practices.md`), in the guide's order; a rule
belongs to the section its code's first digit names (`FF1xx`: "Async & Concurrency", ...). Empty
steps are left out.

`build_plan` is plain data from the findings: `fastapi-fix report` prints it, and git mode's
`--pr-per-step` opens one pull request per step.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from fastapi_fixer.models import Diagnostic, FixSafety

# The guide's sections, by the digit after "FF" in a rule's code (the catalogue's numbering,
# /work/shared/RULES.md), in the guide's order. FF000 (unused `noqa` comments) is the tool's own
# house-keeping, not a practice of the guide: it comes last.
GUIDE_SECTIONS: dict[str, str] = {
    "1": "Async & Concurrency",
    "2": "Pydantic & Validation",
    "3": "Dependency Injection",
    "4": "API Design",
    "5": "Error Handling",
    "6": "Security",
    "7": "Database & Migrations",
    "8": "Testing",
    "9": "Performance & Deployment",
    "0": "Suppression Comments",
}
OTHER_SECTION = "Other"
KINDS = ("safe", "unsafe", "manual")

_TITLE_PREFIX = {
    "safe": "Safe fixes",
    "unsafe": "Fixes that change behaviour",
    "manual": "Manual work",
}

# What a reviewer looks at in each section, whatever the kind of step.
_SECTION_FOCUS = {
    "Async & Concurrency": "that nothing blocking is left on the event loop and that the "
    "offloaded calls keep their arguments",
    "Pydantic & Validation": "the request and response models: which fields clients send and "
    "which they get back",
    "Dependency Injection": "the dependencies each route now declares, and that tests can "
    "override them",
    "API Design": "the routes' paths, status codes and response models, as the OpenAPI "
    "document shows them",
    "Error Handling": "which exceptions reach clients, with which status and body",
    "Security": "secrets, CORS, the docs' exposure and token handling: what the configuration "
    "of each environment must now provide",
    "Database & Migrations": "the schema's names and the migrations' file names, and the "
    "app's start-up and shut-down",
    "Testing": "that the test suite still runs and still tests the same things",
    "Performance & Deployment": "the middleware order, the responses' memory use, logging and "
    "the deployment's entry point",
    "Suppression Comments": "that each removed `noqa` comment suppressed nothing",
}

_KIND_WHY = {
    "safe": (
        "These fixes keep the app's behaviour: the same responses, status codes, headers and "
        "side effects, and the same OpenAPI document, so they go first and can be merged "
        "quickly. A reviewer reads the diff for readability and checks {focus}."
    ),
    "unsafe": (
        "These fixes change behaviour or public API, or need a decision (a new environment "
        "variable, a new endpoint, a different status code), so they come after the safe "
        "steps, each to be reviewed on its own (`--unsafe-fixes` applies them). A reviewer "
        "checks {focus}, and tells the clients or operators what changes."
    ),
    "manual": (
        "No fix can be proven for these findings: each message says what to do, and a person "
        "decides how. They come last, as a to-do list; a reviewer of the work checks {focus}."
    ),
}


@dataclass(frozen=True)
class PlanStep:
    number: int  # 1-based position in the plan
    slug: str  # f"{number}-{kind}-{section-slug}", [a-z0-9-] only, for branch names
    title: str  # e.g. "Safe fixes: async and concurrency"
    kind: str  # "safe" | "unsafe" | "manual"
    section: str  # the guide section, e.g. "Async & Concurrency"
    codes: tuple[str, ...]  # the rule codes of this step, in catalogue order
    findings: tuple[Diagnostic, ...]  # the findings this step fixes (safe/unsafe) or lists
    why: str  # one paragraph: why this step, what a reviewer checks


def section_of(code: str) -> str:
    """The guide section of a rule code (`FF101` -> "Async & Concurrency")."""
    if len(code) >= 3 and code.startswith("FF"):
        return GUIDE_SECTIONS.get(code[2], OTHER_SECTION)
    return OTHER_SECTION


def section_order() -> list[str]:
    """Every section in the guide's order, then `OTHER_SECTION`."""
    return [*GUIDE_SECTIONS.values(), OTHER_SECTION]


def kind_of(diagnostic: Diagnostic) -> str:
    """ "safe", "unsafe" or "manual": what applying ``diagnostic``'s fix takes."""
    fix = diagnostic.fix
    if fix is None or fix.safety is FixSafety.NONE or not fix.edits:
        return "manual"
    return "safe" if fix.safety is FixSafety.SAFE else "unsafe"


_PROPER = {"API", "Pydantic"}  # kept as they are written in a step's title


def _section_words(section: str) -> str:
    """ "Async & Concurrency" -> "async and concurrency", "API Design" -> "API design"."""
    words = section.replace("&", "and").split()
    return " ".join(word if word in _PROPER else word.lower() for word in words)


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("&", "")).strip("-")


def build_plan(diagnostics: Iterable[Diagnostic]) -> list[PlanStep]:
    """The findings as ordered steps: safe fixes by guide section, then unsafe fixes, then the
    manual work; each step's findings in path/line order, its codes in catalogue order."""
    groups: dict[tuple[str, str], list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        groups.setdefault((kind_of(diagnostic), section_of(diagnostic.code)), []).append(diagnostic)
    order = section_order()
    steps: list[PlanStep] = []
    for kind in KINDS:
        for section in order:
            found = groups.get((kind, section))
            if not found:
                continue
            number = len(steps) + 1
            steps.append(
                PlanStep(
                    number=number,
                    slug=f"{number}-{kind}-{_slugify(section)}",
                    title=f"{_TITLE_PREFIX[kind]}: {_section_words(section)}",
                    kind=kind,
                    section=section,
                    codes=tuple(sorted({d.code for d in found})),
                    findings=tuple(sorted(found, key=lambda d: d.sort_key)),
                    why=_KIND_WHY[kind].format(
                        focus=_SECTION_FOCUS.get(section, "each change against the guide")
                    ),
                )
            )
    return steps
