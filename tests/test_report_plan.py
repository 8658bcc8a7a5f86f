"""The migration plan (`reporting.plan.build_plan`): which step each finding lands in, and the
order of the steps."""

from __future__ import annotations

import re

from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity, Span
from fastapi_fixer.registry import all_rules
from fastapi_fixer.reporting.plan import GUIDE_SECTIONS, build_plan, kind_of, section_of


def finding(code: str, safety: FixSafety | None, path: str = "app.py", line: int = 1) -> Diagnostic:
    fix = None
    if safety is not None:
        fix = Fix("fix it", safety, (Edit(path, "edit"),) if safety is not FixSafety.NONE else ())
    return Diagnostic(
        code=code,
        name="name",
        severity=Severity.WARNING,
        message="message",
        path=path,
        span=Span(line, 0, line, 1),
        fix=fix,
    )


def test_kind_follows_the_fix_safety() -> None:
    assert kind_of(finding("FF101", FixSafety.SAFE)) == "safe"
    assert kind_of(finding("FF101", FixSafety.UNSAFE)) == "unsafe"
    assert kind_of(finding("FF101", FixSafety.NONE)) == "manual"
    assert kind_of(finding("FF101", None)) == "manual"


def test_every_rule_has_a_guide_section() -> None:
    for code in all_rules():
        assert section_of(code) in GUIDE_SECTIONS.values(), code
    assert section_of("FF101") == "Async & Concurrency"
    assert section_of("FF706") == "Database & Migrations"
    assert section_of("FF000") == "Suppression Comments"


def test_safe_steps_first_then_unsafe_then_manual_in_guide_order() -> None:
    diagnostics = [
        finding("FF605", None, "b.py"),
        finding("FF403", FixSafety.UNSAFE, "b.py", 9),
        finding("FF303", FixSafety.SAFE, "b.py", 3),
        finding("FF101", FixSafety.UNSAFE, "a.py", 5),
        finding("FF101", FixSafety.SAFE, "b.py", 2),
        finding("FF102", FixSafety.SAFE, "a.py", 7),
        finding("FF101", FixSafety.SAFE, "a.py", 4),
        finding("FF405", FixSafety.NONE, "a.py", 1),
    ]
    plan = build_plan(diagnostics)
    assert [(s.kind, s.section) for s in plan] == [
        ("safe", "Async & Concurrency"),
        ("safe", "Dependency Injection"),
        ("unsafe", "Async & Concurrency"),
        ("unsafe", "API Design"),
        ("manual", "API Design"),
        ("manual", "Security"),
    ]
    assert [s.number for s in plan] == [1, 2, 3, 4, 5, 6]
    first = plan[0]
    assert first.codes == ("FF101", "FF102")
    assert [(d.path, d.span.line, d.code) for d in first.findings] == [
        ("a.py", 4, "FF101"),
        ("a.py", 7, "FF102"),
        ("b.py", 2, "FF101"),
    ]
    assert first.title == "Safe fixes: async and concurrency"
    assert first.slug == "1-safe-async-concurrency"
    assert plan[3].slug == "4-unsafe-api-design"
    assert plan[3].title.startswith("Fixes that change behaviour")
    assert plan[4].title == "Manual work: API design"
    # every finding lands in exactly one step
    assert sorted(d.sort_key for s in plan for d in s.findings) == sorted(
        d.sort_key for d in diagnostics
    )


def test_slugs_are_branch_safe_and_why_is_one_paragraph() -> None:
    diagnostics = [
        finding(code, safety)
        for code in all_rules()
        for safety in (FixSafety.SAFE, FixSafety.UNSAFE, None)
    ]
    plan = build_plan(diagnostics)
    assert len(plan) == 3 * len(set(map(section_of, all_rules())))
    for step in plan:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", step.slug), step.slug
        assert step.slug.startswith(f"{step.number}-{step.kind}-")
        assert step.why and "\n" not in step.why
        assert list(step.codes) == sorted(step.codes)
    assert len({s.slug for s in plan}) == len(plan)


def test_empty_plan() -> None:
    assert build_plan([]) == []
