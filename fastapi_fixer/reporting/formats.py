"""`--output-format`: one entry point over the format modules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi_fixer.models import RunResult, fix_allowed

if TYPE_CHECKING:
    from fastapi_fixer.engine import Engine
    from fastapi_fixer.reporting.fixes import FixPreview

FORMATS = ("concise", "full", "json", "sarif", "github", "gitlab")
MACHINE_FORMATS = ("json", "sarif", "github", "gitlab")  # stdout holds the document only


def preview_for(engine: Engine, result: RunResult) -> FixPreview:
    from fastapi_fixer.reporting.fixes import GroupedFixPreview, current_texts

    texts = current_texts(result)
    return GroupedFixPreview(
        engine.index,
        engine.settings,
        texts,
        diagnostics=result.diagnostics,
        passes=result.previews,
    )


def render(output_format: str, engine: Engine, result: RunResult, color: bool = False) -> str:
    """The findings of ``result`` in ``output_format`` (every format but concise); ``color``
    styles the one for people (full)."""
    diagnostics = result.diagnostics
    if output_format == "full":
        from fastapi_fixer.reporting import full

        preview = preview_for(engine, result)
        return full.render(diagnostics, preview.texts, preview, engine.settings.unsafe_fixes, color)
    if output_format == "json":
        from fastapi_fixer.reporting import json_format

        preview = preview_for(engine, result)
        return json_format.render(diagnostics, preview.texts, preview)
    if output_format == "sarif":
        from fastapi_fixer.registry import all_rules
        from fastapi_fixer.reporting import sarif

        return sarif.render(diagnostics, list(all_rules().values()))
    return render_plain(output_format, result)


def render_plain(output_format: str, result: RunResult) -> str:
    """The formats drawn from the findings alone (github, gitlab)."""
    if output_format == "github":
        from fastapi_fixer.reporting import github

        return github.render(result.diagnostics)
    if output_format == "gitlab":
        from fastapi_fixer.reporting import gitlab

        return gitlab.render(result.diagnostics)
    raise ValueError(f"unknown output format: {output_format}")


def render_statistics(output_format: str, unsafe_fixes: bool, result: RunResult) -> str:
    from fastapi_fixer.reporting import statistics

    rows = statistics.statistics(result.diagnostics, lambda fix: fix_allowed(fix, unsafe_fixes))
    if output_format in ("json", "sarif", "gitlab"):
        return statistics.render_json(rows)
    return statistics.render_text(rows)


def _plural(count: int, word: str) -> str:
    if count == 1:
        return f"{count} {word}"
    return f"{count} {word}{'es' if word.endswith(('x', 's')) else 's'}"


def _summary(unsafe_fixes: bool, result: RunResult, color: bool = False) -> list[str]:
    from fastapi_fixer.reporting.console import fixability_summary, passed_line

    count = len(result.diagnostics)
    if not count and result.errors:  # nothing reassuring when a path or file failed
        return [f"No findings in the {_plural(result.files_seen, 'file')} checked."]
    if not count:
        return [passed_line(result.files_seen, color)]
    return [
        f"Found {_plural(count, 'error')}.",
        *fixability_summary(result.diagnostics, unsafe_fixes, color),
    ]


def report_check(
    output_format: str,
    show_statistics: bool,
    engine: Engine | None,
    result: RunResult,
    unsafe_fixes: bool,
    color: bool = False,
) -> None:
    """`fastapi-fix check` in any format but plain concise. ``engine`` is None when the result
    is a stored verdict (runcache.py): only formats that need no project index come that way."""
    import click

    if show_statistics:
        click.echo(render_statistics(output_format, unsafe_fixes, result), nl=False)
        return
    if engine is None:
        click.echo(render_plain(output_format, result), nl=False)
        return
    if output_format == "full":
        click.echo(render(output_format, engine, result, color), nl=False, color=color)
        click.echo("\n".join(_summary(unsafe_fixes, result, color)), color=color)
        return
    click.echo(render(output_format, engine, result), nl=False)


def report_fix(
    output_format: str,
    show_statistics: bool,
    engine: Engine,
    result: RunResult,
    written: list[str],
    color: bool = False,
    show_fixes: bool = False,
) -> None:
    """`fastapi-fix` in any format but plain concise: what was fixed goes to stderr, what is left
    to stdout in the chosen format."""
    import click

    from fastapi_fixer.reporting.console import fix_enumeration, fixed_codes

    for path in written:
        click.echo(f"Fixed {path} ({fixed_codes(result, path)})", err=True)
    if show_fixes:  # stdout holds the findings left, in the chosen format
        for line in fix_enumeration(result):
            click.echo(line, err=True)
    if show_statistics:
        click.echo(render_statistics(output_format, engine.settings.unsafe_fixes, result), nl=False)
    elif output_format == "concise":
        from fastapi_fixer.reporting.console import concise_line

        for diagnostic in result.diagnostics:
            click.echo(concise_line(diagnostic, engine.settings.unsafe_fixes, color), color=color)
    else:
        click.echo(render(output_format, engine, result, color), nl=False, color=color)
    if output_format in ("concise", "full"):
        total = sum(result.applied.values())
        click.echo(
            f"{_plural(len(written), 'file')} changed; {_plural(total, 'fix')} applied; "
            f"{_plural(len(result.diagnostics), 'finding')} left.",
            err=True,
        )
