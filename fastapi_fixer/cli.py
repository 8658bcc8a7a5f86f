"""The command line: options become Settings; a reporter and an applier are chosen. Nothing else.

`fastapi-fix [PATHS]` applies fixes; `fastapi-fix check [PATHS]` reports; `fastapi-fix rule CODE`
and `fastapi-fix rules` document. Exit codes: 0 clean, 1 findings or pending fixes, 2 usage error
or a file that could not be processed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from fastapi_fixer import __version__
from fastapi_fixer.apply.branch import git_mode_options, options_from_cli
from fastapi_fixer.settings import ConfigError, Settings, load_settings

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class _DefaultToFix(click.Group):
    """`fastapi-fix PATHS` means `fastapi-fix fix PATHS`, like ruff's default command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        first = args[0] if args else None
        if first not in ("--help", "-h", "--version") and first not in self.commands:
            args = ["fix", *args]
        return super().parse_args(ctx, args)


def _codes(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(code.strip().upper() for code in value.split(",") if code.strip())


def _common(function):
    options = [
        click.argument("paths", nargs=-1, type=click.Path()),
        click.option("--select", help="Comma-separated rule codes or prefixes to enable (FF1)."),
        click.option("--ignore", help="Comma-separated rule codes or prefixes to disable."),
        click.option("--extend-select", help="Codes to enable on top of the selection."),
        click.option("--exclude", multiple=True, help="Glob of paths to skip (repeatable)."),
        click.option(
            "--config",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="A pyproject.toml or fastapi-fix.toml to read instead of the nearest one.",
        ),
        click.option(
            "--unsafe-fixes/--no-unsafe-fixes",
            default=None,
            help="Also apply fixes that change behaviour or the public API.",
        ),
        click.option("--jobs", "-j", type=int, default=0, help="Worker processes (default: all)."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _settings(
    paths: tuple[str, ...],
    config: Path | None,
    select: str | None,
    ignore: str | None,
    extend_select: str | None,
    exclude: tuple[str, ...],
    unsafe_fixes: bool | None,
) -> Settings:
    from fastapi_fixer.registry import unknown_selectors

    try:
        settings = load_settings(config, Path(paths[0]) if paths else Path.cwd())
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    settings = settings.with_overrides(
        select=_codes(select),
        ignore=_codes(ignore),
        extend_select=_codes(extend_select),
        unsafe_fixes=unsafe_fixes,
    )
    if exclude:
        settings = settings.with_overrides(exclude=(*settings.exclude, *exclude))
    unknown = unknown_selectors([*settings.select, *settings.ignore, *settings.extend_select])
    if unknown:
        raise click.UsageError(f"unknown rule selector: {', '.join(unknown)}")
    return settings


def _run(settings: Settings, paths: tuple[str, ...], fix: bool, jobs: int):
    from fastapi_fixer.engine import Engine, Mode

    return Engine(settings, Mode(fix=fix, jobs=jobs)).run(paths or (".",))


def _color() -> bool:
    return sys.stdout.isatty()


@click.group(cls=_DefaultToFix, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fastapi-fix")
def main() -> None:
    """Find and fix FastAPI best-practice violations."""


@main.command("fix")
@_common
@click.option("--dry-run", is_flag=True, help="Write nothing; show each pending fix as a diff.")
@click.option("--diff", "plain_diff", is_flag=True, help="Like --dry-run, as a plain diff.")
@git_mode_options
def fix_command(
    paths: tuple[str, ...],
    select: str | None,
    ignore: str | None,
    extend_select: str | None,
    exclude: tuple[str, ...],
    config: Path | None,
    unsafe_fixes: bool | None,
    jobs: int,
    dry_run: bool,
    plain_diff: bool,
    **git_mode: Any,
) -> None:
    """Apply fixes in place (safe ones unless --unsafe-fixes)."""
    from fastapi_fixer.apply.writer import write_fixes
    from fastapi_fixer.reporting import console

    settings = _settings(paths, config, select, ignore, extend_select, exclude, unsafe_fixes)
    git_options = options_from_cli(git_mode)
    if git_options is not None:  # git mode: fixes go to a new branch (apply/branch.py)
        if dry_run or plain_diff:
            raise click.UsageError("--branch cannot be combined with --dry-run or --diff")
        from fastapi_fixer.apply.branch import run_git_mode

        config_file = config.resolve() if config else None
        sys.exit(
            run_git_mode(
                lambda copies: _settings(
                    copies, config_file, select, ignore, extend_select, exclude, unsafe_fixes
                ),
                paths,
                git_options,
                jobs,
            )
        )
    result = _run(settings, paths, fix=True, jobs=jobs)
    if dry_run or plain_diff:
        console.print_diffs(result, color=dry_run and not plain_diff and _color())
        console.print_dry_run_summary(result, settings.unsafe_fixes)
        console.print_errors(result)
        if result.errors or result.dropped:
            sys.exit(EXIT_ERROR)
        sys.exit(EXIT_FINDINGS if result.changed_paths else EXIT_CLEAN)
    written = write_fixes(result)
    console.print_fix_summary(result, written, settings.unsafe_fixes)
    console.print_errors(result)
    if result.errors or result.dropped:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if result.diagnostics else EXIT_CLEAN)


@main.command("check")
@_common
def check_command(
    paths: tuple[str, ...],
    select: str | None,
    ignore: str | None,
    extend_select: str | None,
    exclude: tuple[str, ...],
    config: Path | None,
    unsafe_fixes: bool | None,
    jobs: int,
) -> None:
    """Report findings without changing any file."""
    from fastapi_fixer.reporting import console

    settings = _settings(paths, config, select, ignore, extend_select, exclude, unsafe_fixes)
    result = _run(settings, paths, fix=False, jobs=jobs)
    console.print_check(result, settings.unsafe_fixes)
    console.print_errors(result)
    if result.errors:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if result.diagnostics else EXIT_CLEAN)


@main.command("rule")
@click.argument("code")
def rule_command(code: str) -> None:
    """Print a rule's documentation."""
    from fastapi_fixer.registry import all_rules
    from fastapi_fixer.reporting import console

    rule = all_rules().get(code.strip().upper())
    if rule is None:
        raise click.UsageError(f"unknown rule code: {code}")
    console.print_rule_docs(rule, color=_color())


@main.command("rules")
def rules_command() -> None:
    """List every rule: code, name, severity and fix safety."""
    from fastapi_fixer.registry import all_rules
    from fastapi_fixer.reporting import console

    console.print_rules_table(list(all_rules().values()), color=_color())


if __name__ == "__main__":  # pragma: no cover
    main()
