"""The command line: options become Settings; a reporter and an applier are chosen. Nothing else.

`fastapi-fix [PATHS]` applies fixes; `fastapi-fix check [PATHS]` reports; `fastapi-fix rule CODE`
and `fastapi-fix rules` document. Exit codes: 0 clean, 1 findings (at or above --fail-on) or
pending fixes, 2 usage error, a file that could not be processed, or an internal error (one line;
the traceback with --verbose). ruff's run flags (--exit-zero, -q, -o, --stdin-filename, ...)
become a `_Policy`.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from fastapi_fixer import __version__
from fastapi_fixer.apply.branch import git_mode_options, options_from_cli
from fastapi_fixer.settings import ConfigError, SelectorError, Settings, load_settings

if TYPE_CHECKING:
    from fastapi_fixer.models import RunResult

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
ISSUES_URL = "https://github.com/fastapi-fix/fastapi-fix/issues"
_VERBOSE = "fastapi_fix.verbose"  # --verbose, kept in the root context's meta

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

    def invoke(self, ctx: click.Context) -> Any:
        """An unexpected exception is an internal error: one line and exit 2 (1 means
        findings), the traceback with --verbose."""
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, EOFError):
            raise
        except BrokenPipeError:  # the reader went away (`| head`): nothing more to say
            with contextlib.suppress(OSError, ValueError, AttributeError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(EXIT_FINDINGS)
        except Exception as exc:
            _report_crash(exc, verbose=bool(ctx.meta.get(_VERBOSE)))
            sys.exit(EXIT_ERROR)


class _ConfigurationError(click.ClickException):
    """A configuration that cannot be used: `Error: FILE: ...` on one line, exit 2 (no usage
    text: the command line is not what is wrong)."""

    exit_code = EXIT_ERROR


def _report_crash(exc: Exception, verbose: bool) -> None:
    from fastapi_fixer.engine.workers import WorkerError

    summary = exc.summary if isinstance(exc, WorkerError) else f"{type(exc).__name__}: {exc}"
    lines = summary.strip().splitlines() or [type(exc).__name__]
    first = lines[0] + (" ..." if len(lines) > 1 else "")
    if verbose:
        import traceback

        click.echo("".join(traceback.format_exception(exc)), err=True, nl=False)
        if isinstance(exc, WorkerError):
            click.echo(f"In the worker process:\n{exc.traceback}", err=True, nl=False)
    hint = "" if verbose else "; --verbose shows the traceback"
    click.echo(
        f"error: internal error in fastapi-fix {__version__}: {first} (a bug: please report it "
        f"at {ISSUES_URL} with the command{hint})",
        err=True,
    )


def _codes(values: str | tuple[str, ...] | None) -> tuple[str, ...] | None:
    """The codes of a selection option; given several times, they add up (as ruff's)."""
    if not values:
        return None
    if isinstance(values, str):
        values = (values,)
    return tuple(
        code.strip().upper() for value in values for code in value.split(",") if code.strip()
    )


def _common(function):
    options = [
        click.argument("paths", nargs=-1, type=click.Path()),
        click.option(
            "--select",
            multiple=True,
            help="Comma-separated rule codes or prefixes to enable (FF1; repeatable, adds up).",
        ),
        click.option(
            "--ignore",
            multiple=True,
            help="Comma-separated rule codes or prefixes to disable (repeatable, adds up).",
        ),
        click.option(
            "--extend-select",
            multiple=True,
            help="Codes to enable on top of the selection (repeatable).",
        ),
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
            "-n",
            is_flag=True,
            envvar="FASTAPI_FIX_NO_CACHE",
            help="Neither read nor write the cache (.fastapi-fix-cache, safe to delete).",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


# the options `fix` and `check` share, handed on when one runs as the other (`fix
# --statistics` is a check, `check --fix` a fix)
_SHARED = (
    "paths",
    "select",
    "ignore",
    "extend_select",
    "exclude",
    "extend_exclude",
    "force_exclude",
    "config",
    "unsafe_fixes",
    "jobs",
    "no_cache",
    "output_format",
    "color_choice",
)


def _shared_options(values: dict[str, Any]) -> dict[str, Any]:
    return {name: values[name] for name in _SHARED}


def _settings(
    paths: tuple[str, ...],
    config: Path | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
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
    from fastapi_fixer.engine.cache import Cache
    from fastapi_fixer.reporting.progress import ProgressBar

    _validate_selectors(settings)
    policy = _policy()
    cache = Cache.disabled() if no_cache else Cache.open(_cache_dir(settings), settings)
    stdin = _stdin_source(policy, paths)
    # a run given some files reads the rest of the project as context (discovery.add_context)
    mode = Mode(fix=fix, jobs=jobs, previews=previews, context=True)
    with ProgressBar(enabled=False if policy.quiet else None) as progress:
        engine = Engine(settings, mode, cache)
        if stdin is not None:
            result = engine.run((stdin.path,), progress=progress, stdin=stdin)
        else:
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
    policy = _policy()
    if no_cache or not verdict or policy.stdin_filename is not None:
        return _run(settings, paths, False, jobs, no_cache, want_engine=True, previews=previews)
    from fastapi_fixer.engine import runcache

    directory = _cache_dir(settings)
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


def _color(choice: str = "auto") -> bool:
    """Whether output for people is coloured, as ruff decides: `--color always|never` first,
    then a non-empty NO_COLOR (no colour) before a non-empty FORCE_COLOR (colour), then
    whether stdout is a terminal."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


def _show_fixes_option(function):
    return click.option(
        "--show-fixes",
        is_flag=True,
        help="After fixing, list the findings fixed in each file, by rule (as ruff).",
    )(function)


def _color_option(function):
    return click.option(
        "--color",
        "color_choice",
        type=click.Choice(("auto", "always", "never")),
        default="auto",
        show_default=True,
        help="Colour the output for people (auto: on a terminal; NO_COLOR and FORCE_COLOR "
        "are honoured).",
    )(function)


_SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
_POLICY = "fastapi_fix.policy"  # where a command's _Policy is kept (click's ctx.meta)


@dataclass
class _Policy:
    """ruff's run flags: what a run prints, where, and its exit code; where its cache is; and
    whether it reads standard input."""

    exit_zero: bool = False
    exit_non_zero_on_fix: bool = False
    fail_on: str = "info"
    quiet: bool = False
    silent: bool = False
    cache_dir: str | None = None
    stdin_filename: str | None = None
    stdout: Any = None  # the real stdout (-o and --silent take sys.stdout over)
    stdin_source: Any = None  # the SourceFile read from stdin (--stdin-filename)

    def fails(self, result: RunResult) -> bool:
        """Whether the findings left make the run exit 1: one at or above --fail-on."""
        if self.exit_zero:
            return False
        least = _SEVERITY_RANK[self.fail_on]
        return any(_SEVERITY_RANK.get(d.severity.value, 2) >= least for d in result.diagnostics)

    def exit_code(self, result: RunResult, fixed: bool = False) -> int:
        """The exit code: 2 when a file could not be processed or a fix was dropped; 1 for a
        finding at or above --fail-on (none with --exit-zero), or with --exit-non-zero-on-fix
        when ``fixed``; else 0."""
        if result.errors or result.dropped:
            return EXIT_ERROR
        if fixed and self.exit_non_zero_on_fix:
            return EXIT_FINDINGS
        return EXIT_FINDINGS if self.fails(result) else EXIT_CLEAN


def _policy() -> _Policy:
    context = click.get_current_context(silent=True)
    found = context.meta.get(_POLICY) if context is not None else None
    return found if found is not None else _Policy()


def _verbose_callback(context: click.Context, param: click.Parameter, value: bool) -> bool:
    # kept where the top level reads it when a run crashes (_DefaultToFix.invoke)
    if value:
        context.find_root().meta[_VERBOSE] = True
    return value


def _run_options(function):
    """Exit codes, quiet and silent runs, the report file, the cache folder and stdin, as ruff
    spells them; they become the command's _Policy, not parameters of its function."""
    options = [
        click.option(
            "--exit-zero",
            "-e",
            is_flag=True,
            help="Exit 0 even when there are findings (2 still means a file failed).",
        ),
        click.option(
            "--exit-non-zero-on-fix",
            is_flag=True,
            help="Exit 1 when a fix was applied, even if no finding is left.",
        ),
        click.option(
            "--fail-on",
            type=click.Choice(tuple(_SEVERITY_RANK)),
            default="info",
            show_default=True,
            help="The least severity of a finding that makes the run exit 1.",
        ),
        click.option("--quiet", "-q", is_flag=True, help="Print the findings and nothing else."),
        click.option(
            "--silent",
            "-s",
            is_flag=True,
            help="Print nothing; only the exit code tells (1 findings, 2 errors).",
        ),
        click.option(
            "--output-file",
            "-o",
            type=click.Path(dir_okay=False, writable=True),
            envvar="FASTAPI_FIX_OUTPUT_FILE",
            help="Write the report to this file instead of stdout.",
        ),
        click.option(
            "--cache-dir",
            type=click.Path(file_okay=False),
            envvar="FASTAPI_FIX_CACHE_DIR",
            help="The cache folder (default: .fastapi-fix-cache next to the configuration).",
        ),
        click.option(
            "--stdin-filename",
            metavar="PATH",
            help="Read the source from stdin and report it as PATH (its configuration and "
            "excludes apply); `fix` writes the fixed source to stdout, and nothing to disk.",
        ),
        click.option(
            "--verbose",
            "-v",
            is_flag=True,
            is_eager=True,
            expose_value=False,
            callback=_verbose_callback,
            help="Show the traceback of an internal error.",
        ),
    ]

    @functools.wraps(function)
    def wrapper(**kwargs: Any) -> Any:
        names = (
            "exit_zero",
            "exit_non_zero_on_fix",
            "fail_on",
            "quiet",
            "silent",
            "cache_dir",
            "stdin_filename",
        )
        values = {name: kwargs.pop(name) for name in names}
        output_file = kwargs.pop("output_file")
        context = click.get_current_context()
        if _POLICY in context.meta:  # a command invoking another (check --fix): same flags
            return function(**kwargs)
        if kwargs.get("paths") == ("-",) and values["stdin_filename"] is None:
            values["stdin_filename"], kwargs["paths"] = "-", ()  # ruff's `-`: stdin
        if values["exit_zero"] and values["exit_non_zero_on_fix"]:
            raise click.UsageError("--exit-zero cannot be used with --exit-non-zero-on-fix")
        policy = _Policy(**values, stdout=sys.stdout)
        policy.quiet = policy.quiet or policy.silent
        context.meta[_POLICY] = policy
        with contextlib.ExitStack() as stack:
            if policy.silent:
                devnull = stack.enter_context(open(os.devnull, "w", encoding="utf-8"))
                stack.enter_context(contextlib.redirect_stdout(devnull))
                stack.enter_context(contextlib.redirect_stderr(devnull))
            if output_file:  # asked for by name: written even when --silent
                try:
                    # a file name that is not UTF-8 is written back as its bytes
                    handle = stack.enter_context(
                        open(output_file, "w", encoding="utf-8", errors="surrogateescape")
                    )
                except OSError as exc:
                    raise click.BadParameter(
                        f"{output_file}: {exc.strerror or exc}", param_hint="--output-file"
                    ) from exc
                stack.enter_context(contextlib.redirect_stdout(handle))
            return function(**kwargs)

    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


def _cache_dir(settings: Settings) -> Path:
    from fastapi_fixer.engine.cache import default_cache_dir

    chosen = _policy().cache_dir
    return Path(chosen) if chosen else default_cache_dir(settings)


def _stdin_source(policy: _Policy, paths: tuple[str, ...]) -> Any:
    """The text on stdin as the file --stdin-filename names (None without the option)."""
    if policy.stdin_filename is None:
        return None
    from fastapi_fixer.engine.source import SourceError, decode_source

    for path in paths:
        click.echo(f"warning: ignoring {path} in favour of standard input", err=True)
    if policy.stdin_source is not None:  # read once (a --verify run asks again)
        return policy.stdin_source
    name = os.path.normpath(policy.stdin_filename)
    stream = getattr(sys.stdin, "buffer", None)
    data = stream.read() if stream is not None else sys.stdin.read().encode("utf-8")
    try:
        policy.stdin_source = decode_source(name, data)
    except SourceError as exc:
        click.echo(f"error: {name}: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    return policy.stdin_source


def _emit_stdin_fix(result: RunResult, policy: _Policy) -> list[str]:
    """`fix --stdin-filename`: the fixed source (the source as read when nothing is fixed) to
    the real stdout, nothing to disk; the path as if written when it changed."""
    from fastapi_fixer.engine.source import SourceError, encode_source
    from fastapi_fixer.models import FileError

    stdin = policy.stdin_source
    others = [path for path in result.changed_paths if path != stdin.path]
    text = result.fixed.get(stdin.path, stdin.text)
    if others:  # a fix that creates or edits another module cannot be applied from stdin
        result.errors.append(
            FileError(
                stdin.path,
                f"its fixes also write {', '.join(others)}: not applied from stdin",
            )
        )
        result.applied.clear()
        result.applied_by_file.clear()
        text = stdin.text
    try:
        data = encode_source(stdin, text)
    except SourceError as exc:
        result.errors.append(FileError(stdin.path, str(exc)))
        data, text = encode_source(stdin, stdin.text), stdin.text
    out = policy.stdout
    out.flush()
    if hasattr(out, "buffer"):
        out.buffer.write(data)
        out.buffer.flush()
    else:
        out.write(text)
        out.flush()
    return [stdin.path] if text != stdin.text else []


def _print_findings(
    output_format: str, show_statistics: bool, engine: Any, result: RunResult, unsafe: bool
) -> None:
    """--quiet: the findings (or their statistics) in the chosen format, and nothing else."""
    from fastapi_fixer.reporting import formats
    from fastapi_fixer.reporting.console import concise_line

    if show_statistics:
        text = formats.render_statistics(output_format, unsafe, result)
    elif output_format == "concise":
        text = "".join(concise_line(d, unsafe) + "\n" for d in result.diagnostics)
    elif engine is None:
        text = formats.render_plain(output_format, result)
    else:
        text = formats.render(output_format, engine, result)
    if text:
        click.echo(text, nl=False)


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
        mode = Mode(
            fix=True,
            jobs=jobs,
            previews=previews,
            blocked=blocked,
            context=True,
        )
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
    help="Review each pending fix (its diff and why) on the terminal and apply only the "
    "accepted ones: one key per answer, ? for help.",
)
@_verify_options
@git_mode_options
@_color_option
@_show_fixes_option
@_run_options
def fix_command(
    paths: tuple[str, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
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
    color_choice: str = "auto",
    show_fixes: bool = False,
    extend_exclude: tuple[str, ...] = (),
    force_exclude: bool | None = None,
    **git_mode: Any,
) -> None:
    """Apply fixes in place (safe ones unless --unsafe-fixes)."""
    from fastapi_fixer.apply.writer import write_fixes
    from fastapi_fixer.reporting import console

    policy = _policy()
    if policy.stdin_filename is not None and (
        interactive or verify or verify_python or verify_apps or verify_tests
    ):
        raise click.UsageError("--stdin-filename cannot be combined with --interactive or --verify")
    if show_statistics and not (dry_run or plain_diff or interactive):
        # statistics are a report: `fastapi-fix --statistics` writes nothing, as `check`
        shared = _shared_options(locals())
        click.get_current_context().invoke(check_command, **shared, show_statistics=True)
        return
    config_from = (policy.stdin_filename,) if policy.stdin_filename is not None else paths
    selection = {"extend_exclude": extend_exclude, "force_exclude": force_exclude}
    settings = _settings(
        config_from, config, select, ignore, extend_select, exclude, unsafe_fixes, **selection
    )
    settings, verify_options = _verify_settings(
        settings, verify, verify_python, verify_apps, verify_tests
    )
    git_options = options_from_cli(git_mode)
    if git_options is not None:  # git mode: fixes go to a new branch (apply/branch.py)
        if policy.stdin_filename is not None:
            raise click.UsageError("--branch cannot be combined with --stdin-filename")
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
        from fastapi_fixer.interactive import NoTerminal, ensure_terminal, review

        try:
            ensure_terminal()
        except NoTerminal as exc:
            raise click.UsageError(str(exc)) from None

        engine, result = _run(
            settings, paths, False, jobs, no_cache, want_engine=True, previews=True
        )
        sys.exit(review(engine, result, color=_color(color_choice)))
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
        console.print_diffs(result, color=dry_run and not plain_diff and _color(color_choice))
        if not policy.quiet:
            console.print_dry_run_summary(result, settings.unsafe_fixes, show_fixes)
            _print_verification(verification, err=False)
        console.print_errors(result)
        if result.errors or result.dropped:
            sys.exit(EXIT_ERROR)
        # as ruff's --diff: 1 when there is a fix to apply (findings left do not count)
        sys.exit(EXIT_FINDINGS if result.changed_paths and not policy.exit_zero else EXIT_CLEAN)
    if policy.stdin_source is not None:
        written = _emit_stdin_fix(result, policy)
    else:
        written = write_fixes(result)
    color = _color(color_choice)
    with contextlib.ExitStack() as stack:
        if policy.stdin_source is not None and sys.stdout is policy.stdout:
            stack.enter_context(contextlib.redirect_stdout(sys.stderr))  # stdout has the source
        if policy.quiet:
            _print_findings(output_format, show_statistics, engine, result, settings.unsafe_fixes)
        elif output_format != "concise" or show_statistics:
            from fastapi_fixer.reporting.formats import report_fix

            report_fix(output_format, show_statistics, engine, result, written, color, show_fixes)
        else:
            console.print_fix_summary(result, written, settings.unsafe_fixes, color, show_fixes)
        if not policy.quiet:
            _print_verification(verification, err=output_format != "concise" or show_statistics)
        console.print_errors(result)
    sys.exit(policy.exit_code(result, fixed=bool(written)))


@main.command("check")
@_common
@_output_options
@click.option(
    "--add-noqa",
    is_flag=True,
    help="Write a `# noqa: CODE` comment on every line with a finding (merged with any there).",
)
@_color_option
@_show_fixes_option
@click.option("--fix", "apply_fixes", is_flag=True, help="Apply the fixes: `fastapi-fix fix`.")
@click.option(
    "--diff", "plain_diff", is_flag=True, help="Show the fixes as a diff: `fastapi-fix --diff`."
)
@_run_options
def check_command(
    paths: tuple[str, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
    exclude: tuple[str, ...],
    config: Path | None,
    unsafe_fixes: bool | None,
    jobs: int,
    no_cache: bool,
    output_format: str = "concise",
    show_statistics: bool = False,
    add_noqa: bool = False,
    color_choice: str = "auto",
    show_fixes: bool = False,
    apply_fixes: bool = False,
    plain_diff: bool = False,
    extend_exclude: tuple[str, ...] = (),
    force_exclude: bool | None = None,
) -> None:
    """Report findings without changing any file (with --fix or --diff: as `fix`)."""
    from fastapi_fixer.reporting import console

    if apply_fixes or plain_diff:  # ruff's `check --fix` and `check --diff`
        if add_noqa:
            raise click.UsageError("--add-noqa cannot be combined with --fix or --diff")
        shared = _shared_options(locals())
        click.get_current_context().invoke(
            fix_command,
            **shared,
            plain_diff=plain_diff,
            show_statistics=show_statistics,
            show_fixes=show_fixes,
        )
        return
    # `--show-fixes` without `--fix` lists nothing, as in ruff: nothing was fixed
    policy = _policy()
    if add_noqa and policy.stdin_filename is not None:
        raise click.UsageError("--add-noqa cannot be combined with --stdin-filename")
    settings = _settings(
        (policy.stdin_filename,) if policy.stdin_filename is not None else paths,
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
    if policy.quiet:
        _print_findings(output_format, show_statistics, engine, result, settings.unsafe_fixes)
    elif output_format != "concise" or show_statistics:
        from fastapi_fixer.reporting.formats import report_check

        report_check(
            output_format,
            show_statistics,
            engine,
            result,
            settings.unsafe_fixes,
            _color(color_choice),
        )
    else:
        console.print_check(result, settings.unsafe_fixes, _color(color_choice))
    console.print_errors(result)
    sys.exit(policy.exit_code(result))


@main.command("report")
@_common
@click.option(
    "--format",
    "report_format",
    type=click.Choice(("html", "markdown")),
    default="html",
    show_default=True,
    help="One self-contained HTML page, or Markdown for a pull request or a wiki.",
)
@click.option(
    "--output-file",
    "-o",
    type=click.Path(dir_okay=False),
    help="Write the report to this file instead of stdout.",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    envvar="FASTAPI_FIX_CACHE_DIR",
    help="The cache folder (default: .fastapi-fix-cache next to the configuration).",
)
@_verify_options
def report_command(
    paths: tuple[str, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
    exclude: tuple[str, ...],
    config: Path | None,
    unsafe_fixes: bool | None,
    jobs: int,
    no_cache: bool,
    report_format: str = "html",
    output_file: str | None = None,
    cache_dir: str | None = None,
    verify: bool | None = None,
    verify_python: str | None = None,
    verify_apps: tuple[str, ...] = (),
    verify_tests: str | None = None,
    extend_exclude: tuple[str, ...] = (),
    force_exclude: bool | None = None,
) -> None:
    """Write a migration report: findings, every fix as a diff (unsafe ones too, marked, unless
    --no-unsafe-fixes), and the order to apply them in. Changes no file; exits 0 once the report
    is written."""
    from fastapi_fixer.engine.cache import Cache
    from fastapi_fixer.reporting import report
    from fastapi_fixer.reporting.progress import ProgressBar

    selection = {"extend_exclude": extend_exclude, "force_exclude": force_exclude}
    unsafe = unsafe_fixes is not False  # the report previews unsafe fixes unless told not to
    settings = _settings(paths, config, select, ignore, extend_select, exclude, unsafe, **selection)
    settings, verify_options = _verify_settings(
        settings, verify, verify_python, verify_apps, verify_tests
    )
    folder = Path(cache_dir) if cache_dir else _cache_dir(settings)
    cache = Cache.disabled() if no_cache else Cache.open(folder, settings)
    with ProgressBar() as progress:
        engine, result = report.run_engine(settings, paths, jobs, cache, progress)
        found, inventory = engine.found, engine.inventory
        verification = None
        if verify_options is not None:
            progress.close()  # the verifier prints its own steps
            _, kept, verification = _verified(
                settings, paths, jobs, False, engine, result, verify_options
            )
            result = kept if kept is not None else result
        flags = [
            *([] if unsafe else ["--no-unsafe-fixes"]),
            *(["--verify"] if verification else []),
        ]
        command = " ".join(["fastapi-fix report", *paths, *flags])
        data = report.build_report(
            found, result, inventory, report.project_name(paths), command, verification, progress
        )
        data.unsafe_previewed = unsafe
        text = report.render(data, report_format, progress)
    for error in data.errors:  # in the report too; the report itself is made: exit 0
        click.echo(f"warning: {error.path}: could not be processed: {error.reason}", err=True)
    if output_file is None:
        click.echo(text, nl=False)
        return
    try:
        report.write_atomically(output_file, text)
    except OSError as exc:
        raise _ConfigurationError(f"{output_file}: {exc.strerror or exc}") from exc
    click.echo(
        f"Wrote {output_file}: {report.plural(data.total, 'finding')} in "
        f"{report.plural(len(data.modules), 'module')}, a plan of "
        f"{report.plural(len(data.plan), 'step')}.",
        err=True,
    )


@main.command("rule")
@click.argument("code", required=False)
@click.option("--all", "every", is_flag=True, help="Every rule's documentation.")
@click.option(
    "--output-format",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
    help="Rendered documentation, or JSON (code, name, severity, fix safety, docs; with "
    "--all, a list).",
)
def rule_command(code: str | None, every: bool = False, output_format: str = "text") -> None:
    """Print a rule's documentation (every rule's with --all)."""
    from fastapi_fixer.registry import all_rules
    from fastapi_fixer.reporting import console

    if every == (code is not None):
        raise click.UsageError("give a rule code, or --all (not both)")
    if every:
        rules = list(all_rules().values())
    else:
        assert code is not None
        found = all_rules().get(code.strip().upper())
        if found is None:
            raise click.UsageError(f"unknown rule code: {code}")
        rules = [found]
    if output_format == "json":
        import json

        from fastapi_fixer.reporting.ruledocs import as_json

        documents = [as_json(rule) for rule in rules]
        shown = documents if every else documents[0]
        click.echo(json.dumps(shown, indent=2, ensure_ascii=False))
        return
    for number, rule in enumerate(rules):
        if number:
            click.echo()
        console.print_rule_docs(rule, color=_color())


@main.command("rules")
@click.option(
    "--output-format",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
    help="A table, or a JSON list (code, name, severity, fix safety, summary, url).",
)
def rules_command(output_format: str = "text") -> None:
    """List every rule: code, name, severity and fix safety."""
    from fastapi_fixer.registry import all_rules
    from fastapi_fixer.reporting import console

    rules = list(all_rules().values())
    if output_format == "json":
        import json

        from fastapi_fixer.reporting.ruledocs import as_summary_json

        click.echo(json.dumps([as_summary_json(rule) for rule in rules], indent=2))
        return
    console.print_rules_table(rules, color=_color())


@main.command("server")
def server_command() -> None:
    """Run the language server over stdin and stdout (editors start it: docs/editors.md)."""
    from fastapi_fixer.server import serve

    serve()


if __name__ == "__main__":  # pragma: no cover
    main()
