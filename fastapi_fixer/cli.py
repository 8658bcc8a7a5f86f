"""The command line: options become Settings; a reporter and an applier are chosen. Nothing else.

`fastapi-fix [PATHS]` applies fixes; `fastapi-fix check [PATHS]` reports; `fastapi-fix rule CODE`
and `fastapi-fix rules` document. Exit codes: 0 clean, 1 findings or pending fixes, 2 usage error
or a file that could not be processed.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from fastapi_fixer import __version__
from fastapi_fixer.apply.branch import git_mode_options, options_from_cli
from fastapi_fixer.settings import ConfigError, SelectorError, Settings, load_settings

if TYPE_CHECKING:
    from fastapi_fixer.models import RunResult

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

PREVIEW_FORMATS = ("json", "full")  # formats that show each finding's fix


class _DefaultToFix(click.Group):
    """`fastapi-fix PATHS` means `fastapi-fix fix PATHS`, like ruff's default command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        first = args[0] if args else None
        if first not in ("--help", "-h", "--version") and first not in self.commands:
            if (
                first is not None
                and not first.startswith("-")
                and first.replace("-", "").isalpha()
                and not os.path.lexists(first)
            ):
                # `fastapi-fix chek app` must not fix `app`: a first word shaped like a command
                # that is no path is a mistyped command (a missing `app/x.py` is a path error)
                import difflib

                close = difflib.get_close_matches(first, list(self.commands), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise click.UsageError(f"no such command or path '{first}'{hint}", ctx)
            args = ["fix", *args]
        return super().parse_args(ctx, args)


class _ConfigurationError(click.ClickException):
    """A configuration that cannot be used: `Error: FILE: ...` on one line, exit 2 (no usage
    text: the command line is not what is wrong)."""

    exit_code = EXIT_ERROR


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
            "--extend-exclude",
            multiple=True,
            help="Like --exclude: globs added to the configuration's (repeatable).",
        ),
        click.option(
            "--force-exclude/--no-force-exclude",
            default=None,
            help="Apply the excludes to paths named on the command line too (pre-commit).",
        ),
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
        click.option(
            "--no-cache",
            is_flag=True,
            help="Neither read nor write the cache (.fastapi-fix-cache, safe to delete).",
        ),
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
    validate: bool = True,
    extend_exclude: tuple[str, ...] = (),
    force_exclude: bool | None = None,
) -> Settings:
    """``validate``: reject unknown rule selectors now (which imports every rule); a `check`
    leaves it to `_run`, since a stored verdict proves its selectors were valid."""
    try:
        settings = load_settings(config, Path(paths[0]) if paths else Path.cwd())
    except ConfigError as exc:
        raise _ConfigurationError(str(exc)) from exc
    settings = settings.with_overrides(
        select=_codes(select),
        ignore=_codes(ignore),
        extend_select=_codes(extend_select),
        unsafe_fixes=unsafe_fixes,
        force_exclude=force_exclude,
    )
    if exclude or extend_exclude:  # both add to the configuration's (writes no excluded file)
        settings = settings.with_overrides(exclude=(*settings.exclude, *exclude, *extend_exclude))
    if validate:
        _validate_selectors(settings)
    return settings


def _validate_selectors(settings: Settings) -> None:
    try:
        settings.check_selectors()  # names the configuration's file and key, or the flag
    except ConfigError as exc:
        raise _ConfigurationError(str(exc)) from exc
    except SelectorError as exc:
        raise click.UsageError(str(exc)) from exc


def _run(
    settings: Settings,
    paths: tuple[str, ...],
    fix: bool,
    jobs: int,
    no_cache: bool = False,
    want_engine: bool = False,
    previews: bool = False,
):
    from fastapi_fixer.engine import Engine, Mode
    from fastapi_fixer.engine.cache import Cache, default_cache_dir
    from fastapi_fixer.reporting.progress import ProgressBar

    _validate_selectors(settings)
    cache = Cache.disabled() if no_cache else Cache.open(default_cache_dir(settings), settings)
    with ProgressBar() as progress:
        engine = Engine(settings, Mode(fix=fix, jobs=jobs, previews=previews), cache)
        result = engine.run(paths or (".",), progress=progress)
        return (engine, result) if want_engine else result


def _check(
    settings: Settings,
    paths: tuple[str, ...],
    jobs: int,
    no_cache: bool,
    verdict: bool,
    previews: bool = False,
) -> tuple[Any, RunResult]:
    """A check's engine and result; with ``verdict``, the stored result of the last check when
    no file changed since (runcache.py), and then no engine (None)."""
    if no_cache or not verdict:
        return _run(settings, paths, False, jobs, no_cache, want_engine=True, previews=previews)
    from fastapi_fixer.engine import runcache
    from fastapi_fixer.engine.cache import default_cache_dir

    directory = default_cache_dir(settings)
    asked = paths or (".",)
    stored = runcache.lookup(directory, settings, asked)
    if stored is not None:
        return None, stored
    started_ns = time.time_ns()
    engine, result = _run(settings, paths, fix=False, jobs=jobs, want_engine=True)
    if engine.read_digests is not None:
        runcache.store(
            directory,
            settings,
            asked,
            engine.file_names,
            engine.read_digests,
            engine.text_files,
            result,
            started_ns,
        )
    return engine, result


_OUTPUT_FORMATS = ("concise", "full", "json", "sarif", "github", "gitlab")


def _output_options(function):
    """--output-format and --statistics (reporting/formats.py renders them)."""
    function = click.option(
        "--statistics",
        "show_statistics",
        is_flag=True,
        help="Print how many findings each code has, instead of the findings.",
    )(function)
    return click.option(
        "--output-format",
        type=click.Choice(_OUTPUT_FORMATS),
        default="concise",
        show_default=True,
        envvar="FASTAPI_FIX_OUTPUT_FORMAT",
        help="How findings are printed: one per line, with source and fix (full), or for "
        "machines (json, sarif, github annotations, gitlab code quality).",
    )(function)


def _color() -> bool:
    return sys.stdout.isatty()


def _verify_options(function):
    """--verify and what it loads and runs (apply/verify.py)."""
    options = [
        click.option(
            "--verify/--no-verify",
            default=None,
            help="Before writing, prove the fixes on a copy of the project with your Python: "
            "touched modules still import, safe fixes leave each app's OpenAPI document as it "
            "was, the tests (--verify-tests) still pass; a rule's fixes that break one are "
            "dropped in the files involved.",
        ),
        click.option(
            "--python",
            "verify_python",
            metavar="PATH",
            help="The interpreter --verify uses (default: $VIRTUAL_ENV's, else fastapi-fix's).",
        ),
        click.option(
            "--app",
            "verify_apps",
            metavar="MODULE:ATTR",
            multiple=True,
            help="An app whose OpenAPI document --verify compares, as uvicorn takes it "
            "(repeatable; default: every FastAPI app the analysis finds).",
        ),
        click.option(
            "--verify-tests",
            metavar="COMMAND",
            help='A command that runs the project\'s tests ("pytest -q"), before and after the '
            "fixes, in the copy (implies --verify).",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _verify_settings(
    settings: Settings,
    verify: bool | None,
    python: str | None,
    apps: tuple[str, ...],
    tests: str | None,
) -> tuple[Settings, Any]:
    """The settings with the --verify options, and the VerifyOptions (None: no --verify).
    --python, --app or --verify-tests ask for verification; the configuration's `verify-apps`
    and `verify-tests` only say what it does."""
    from fastapi_fixer.apply.verify import VerifyOptions

    for spec in apps:
        module, _, attribute = spec.partition(":")
        if not module or not attribute:
            raise click.UsageError(f"--app {spec}: expected MODULE:ATTR (main:app)")
    asked = bool(python or apps or tests)
    settings = settings.with_overrides(
        verify=verify if verify is not None else (True if asked else None),
        verify_apps=apps or None,
        verify_tests=tests,
    )
    if not settings.verify:
        return settings, None
    options = VerifyOptions(python=python, apps=settings.verify_apps, tests=settings.verify_tests)
    return settings, options


def _verified(
    settings: Settings,
    paths: tuple[str, ...],
    jobs: int,
    previews: bool,
    engine: Any,
    result: RunResult,
    options: Any,
) -> tuple[Any, RunResult | None, Any]:
    """The fix run proven by apply/verify.py: the engine and result to report and write (None:
    write nothing), and the verification."""
    from fastapi_fixer.apply.verify import Verifier, VerifyError, project_root
    from fastapi_fixer.engine import Engine, Mode
    from fastapi_fixer.engine.cache import Cache

    engines = {id(result): engine}

    def run(wanted: Settings, blocked: frozenset[tuple[str, str]]) -> RunResult:
        mode = Mode(fix=True, jobs=jobs, previews=previews, blocked=blocked)
        again = Engine(wanted, mode, Cache.disabled())
        found = again.run(paths or (".",))
        engines[id(found)] = again
        return found

    if not result.changed_paths:
        click.echo("Nothing to verify: no fix to apply.", err=True)
        return engine, result, None
    try:
        verifier = Verifier(
            options,
            run,
            settings,
            project_root(paths or (".",)),
            echo=lambda line: click.echo(line, err=True),
        )
        final, verification = verifier.verify(result, engine.index)
    except VerifyError as exc:
        click.echo(f"error: --verify: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    return engines.get(id(final), engine), final, verification


def _print_verification(verification: Any, err: bool) -> None:
    if verification is None:
        return
    for line in verification.lines():
        click.echo(line, err=err)


@click.group(cls=_DefaultToFix, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fastapi-fix")
def main() -> None:
    """Find and fix FastAPI best-practice violations."""
    # a run builds a few hundred thousand long-lived objects (trees, facts, the index) and makes
    # little cyclic garbage: collecting every 700 allocations, the default, costs a fifth of a
    # cold check (fastapi sdist: 9.3 s -> 7.0 s of CPU with this threshold)
    gc.set_threshold(100_000, 50, 100)


@main.command("fix")
@_common
@click.option("--dry-run", is_flag=True, help="Write nothing; show each pending fix as a diff.")
@click.option("--diff", "plain_diff", is_flag=True, help="Like --dry-run, as a plain diff.")
@_output_options
@click.option(
    "--interactive",
    "-i",
    is_flag=True,
    help="Review each pending fix (its diff and why) and apply only the accepted ones.",
)
@_verify_options
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
    no_cache: bool,
    dry_run: bool,
    plain_diff: bool,
    output_format: str = "concise",
    show_statistics: bool = False,
    interactive: bool = False,
    verify: bool | None = None,
    verify_python: str | None = None,
    verify_apps: tuple[str, ...] = (),
    verify_tests: str | None = None,
    extend_exclude: tuple[str, ...] = (),
    force_exclude: bool | None = None,
    **git_mode: Any,
) -> None:
    """Apply fixes in place (safe ones unless --unsafe-fixes)."""
    from fastapi_fixer.apply.writer import write_fixes
    from fastapi_fixer.reporting import console

    if show_statistics and not (dry_run or plain_diff or interactive):
        # statistics are a report: `fastapi-fix --statistics` writes nothing, as `check`
        click.get_current_context().invoke(
            check_command,
            paths=paths,
            select=select,
            ignore=ignore,
            extend_select=extend_select,
            exclude=exclude,
            extend_exclude=extend_exclude,
            force_exclude=force_exclude,
            config=config,
            unsafe_fixes=unsafe_fixes,
            jobs=jobs,
            no_cache=no_cache,
            output_format=output_format,
            show_statistics=True,
        )
        return
    selection = {"extend_exclude": extend_exclude, "force_exclude": force_exclude}
    settings = _settings(
        paths, config, select, ignore, extend_select, exclude, unsafe_fixes, **selection
    )
    settings, verify_options = _verify_settings(
        settings, verify, verify_python, verify_apps, verify_tests
    )
    git_options = options_from_cli(git_mode)
    if git_options is not None:  # git mode: fixes go to a new branch (apply/branch.py)
        if dry_run or plain_diff:
            raise click.UsageError("--branch cannot be combined with --dry-run or --diff")
        from fastapi_fixer.apply.branch import run_git_mode

        config_file = config.resolve() if config else None
        sys.exit(
            run_git_mode(
                lambda copies: _settings(
                    copies,
                    config_file,
                    select,
                    ignore,
                    extend_select,
                    exclude,
                    unsafe_fixes,
                    **selection,
                ),
                paths,
                git_options,
                jobs,
                verify_options,
            )
        )
    if interactive and verify_options is not None:
        raise click.UsageError("--interactive cannot be combined with --verify")
    if interactive:
        from fastapi_fixer.interactive import review

        engine, result = _run(
            settings, paths, False, jobs, no_cache, want_engine=True, previews=True
        )
        sys.exit(review(engine, result, color=_color()))
    previews = output_format in PREVIEW_FORMATS
    engine, result = _run(
        settings, paths, True, jobs, no_cache, want_engine=True, previews=previews
    )
    verification = None
    if verify_options is not None:
        engine, kept, verification = _verified(
            settings, paths, jobs, previews, engine, result, verify_options
        )
        if kept is None:  # the fixes could not be proven: nothing is written
            _print_verification(verification, err=True)
            console.print_errors(result)
            sys.exit(EXIT_ERROR)
        result = kept
    if dry_run or plain_diff:
        console.print_diffs(result, color=dry_run and not plain_diff and _color())
        console.print_dry_run_summary(result, settings.unsafe_fixes)
        _print_verification(verification, err=False)
        console.print_errors(result)
        if result.errors or result.dropped:
            sys.exit(EXIT_ERROR)
        sys.exit(EXIT_FINDINGS if result.changed_paths else EXIT_CLEAN)
    written = write_fixes(result)
    if output_format != "concise" or show_statistics:
        from fastapi_fixer.reporting.formats import report_fix

        report_fix(output_format, show_statistics, engine, result, written)
    else:
        console.print_fix_summary(result, written, settings.unsafe_fixes)
    _print_verification(verification, err=output_format != "concise" or show_statistics)
    console.print_errors(result)
    if result.errors or result.dropped:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if result.diagnostics else EXIT_CLEAN)


@main.command("check")
@_common
@_output_options
@click.option(
    "--add-noqa",
    is_flag=True,
    help="Write a `# noqa: CODE` comment on every line with a finding (merged with any there).",
)
def check_command(
    paths: tuple[str, ...],
    select: str | None,
    ignore: str | None,
    extend_select: str | None,
    exclude: tuple[str, ...],
    config: Path | None,
    unsafe_fixes: bool | None,
    jobs: int,
    no_cache: bool,
    output_format: str = "concise",
    show_statistics: bool = False,
    add_noqa: bool = False,
    extend_exclude: tuple[str, ...] = (),
    force_exclude: bool | None = None,
) -> None:
    """Report findings without changing any file."""
    from fastapi_fixer.reporting import console

    settings = _settings(
        paths,
        config,
        select,
        ignore,
        extend_select,
        exclude,
        unsafe_fixes,
        validate=False,
        extend_exclude=extend_exclude,
        force_exclude=force_exclude,
    )
    # a stored verdict serves the formats that need no project index to render
    verdict = not add_noqa and output_format in ("concise", "github", "gitlab")
    previews = output_format in PREVIEW_FORMATS
    engine, result = _check(settings, paths, jobs, no_cache, verdict, previews)
    if add_noqa:
        from fastapi_fixer.fixing.noqa_writer import add_noqa_to_result

        added = add_noqa_to_result(result)
        click.echo(f"Added {added} noqa directive{'' if added == 1 else 's'}.")
        console.print_errors(result)
        sys.exit(EXIT_ERROR if result.errors else EXIT_CLEAN)
    if output_format != "concise" or show_statistics:
        from fastapi_fixer.reporting.formats import report_check

        report_check(output_format, show_statistics, engine, result, settings.unsafe_fixes)
    else:
        console.print_check(result, settings.unsafe_fixes)
    console.print_errors(result)
    if result.errors:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if result.diagnostics else EXIT_CLEAN)


@main.command("rule")
@click.argument("code")
@click.option(
    "--output-format",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
    help="Rendered documentation, or JSON (code, name, severity, fix safety, docs).",
)
def rule_command(code: str, output_format: str = "text") -> None:
    """Print a rule's documentation."""
    from fastapi_fixer.registry import all_rules
    from fastapi_fixer.reporting import console

    rule = all_rules().get(code.strip().upper())
    if rule is None:
        raise click.UsageError(f"unknown rule code: {code}")
    if output_format == "json":
        import json

        from fastapi_fixer.reporting.ruledocs import as_json

        click.echo(json.dumps(as_json(rule), indent=2, ensure_ascii=False))
        return
    console.print_rule_docs(rule, color=_color())


@main.command("rules")
def rules_command() -> None:
    """List every rule: code, name, severity and fix safety."""
    from fastapi_fixer.registry import all_rules
    from fastapi_fixer.reporting import console

    console.print_rules_table(list(all_rules().values()), color=_color())


if __name__ == "__main__":  # pragma: no cover
    main()
