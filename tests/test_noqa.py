"""`check --add-noqa`, noqa on lines that cannot take a comment, and FF000 unused-noqa."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from fastapi_fixer.cli import main
from fastapi_fixer.codemods.unused_noqa import strip_codes
from fastapi_fixer.fixing.noqa_writer import add_noqa
from fastapi_fixer.registry import select_rules

HEAD = textwrap.dedent(
    """\
    import time

    import requests
    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/")
    async def index():
    """
)


@pytest.fixture
def chdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    # these tests are about the command line, seen through the async rules only
    (tmp_path / "pyproject.toml").write_text('[tool.fastapi-fix]\nselect = ["FF1"]\n')
    return tmp_path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def write(path: Path, body: str, newline: str = "\n") -> None:
    text = HEAD + textwrap.indent(textwrap.dedent(body), "    ")
    path.write_bytes(text.replace("\n", newline).encode())


def test_add_noqa_writes_merges_and_then_check_passes(chdir: Path) -> None:
    write(
        chdir / "app.py",
        """\
        time.sleep(1)
        time.sleep(2)  # noqa: E501
        time.sleep(3)  # keep me
        x = requests.get(
            "https://example.org"
        )
        return x
        """,
    )
    code, out = run("check", "app.py", "--add-noqa")
    assert (code, out.strip()) == (0, "Added 4 noqa directives.")
    body = (chdir / "app.py").read_text().split("async def index():\n")[1]
    assert body == textwrap.indent(
        textwrap.dedent(
            """\
            time.sleep(1)  # noqa: FF101
            time.sleep(2)  # noqa: E501, FF101
            time.sleep(3)  # keep me  # noqa: FF101
            x = requests.get(  # noqa: FF101
                "https://example.org"
            )
            return x
            """
        ),
        "    ",
    )
    assert run("check", "app.py")[0] == 0
    # and FF000 finds every one of them used
    assert run("check", "app.py", "--extend-select", "FF000")[0] == 0
    # a second --add-noqa adds nothing
    assert run("check", "app.py", "--add-noqa")[1].strip() == "Added 0 noqa directives."


def test_add_noqa_keeps_crlf_line_endings(chdir: Path) -> None:
    write(chdir / "app.py", "time.sleep(1)\nreturn 1\n", newline="\r\n")
    assert run("check", "app.py", "--add-noqa")[0] == 0
    data = (chdir / "app.py").read_bytes()
    assert b"    time.sleep(1)  # noqa: FF101\r\n    return 1\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_multi_line_string_takes_the_noqa_on_its_last_line(chdir: Path) -> None:
    # the call starts on a line that ends inside a string: no comment can go there, so the
    # directive goes on the string's last line, and the engine honours it there (as ruff)
    write(
        chdir / "app.py",
        '''\
        x = requests.get("""
        https://example.org
        """)
        y = requests.get("https://example.org/" + \\
            "path")
        return x, y
        ''',
    )
    assert run("check", "app.py", "--add-noqa")[0] == 0
    text = (chdir / "app.py").read_text()
    assert '    """)  # noqa: FF101\n' in text
    assert '        "path")  # noqa: FF101\n' in text
    compile(text, "app.py", "exec")
    assert run("check", "app.py")[0] == 0
    assert run("check", "app.py", "--extend-select", "FF000")[0] == 0


def test_add_noqa_unit_merges_codes() -> None:
    text = "a = 1  # noqa: X1\nb = 2\n"

    class D:
        def __init__(self, line: int, code: str) -> None:
            from fastapi_fixer.models import Span

            self.span = Span(line, 0, line, 1)
            self.code = code

    new, added = add_noqa(text, [D(1, "FF102"), D(1, "FF101"), D(2, "FF101"), D(2, "FF000")])
    assert added == 3
    assert new == "a = 1  # noqa: X1, FF101, FF102\nb = 2  # noqa: FF101\n"


# --- FF000 -----------------------------------------------------------------------------------


def test_ff000_is_off_by_default_and_selected_by_its_code() -> None:
    assert "FF000" not in [rule.CODE for rule in select_rules(["FF"], [])]
    assert "FF000" in [rule.CODE for rule in select_rules(["FF"], [], ["FF000"])]


def test_ff000_reports_and_fixes_unused_codes(chdir: Path) -> None:
    write(
        chdir / "app.py",
        """\
        time.sleep(1)  # noqa: FF101
        a = 1  # noqa: FF101, E501
        b = 2  # type: ignore  # noqa: FF101
        c = 3  # noqa: FF999 reason
        # noqa: FF101
        d = 4  # noqa
        return a, b, c, d
        """,
    )
    code, out = run("check", "app.py", "--extend-select", "FF000")
    assert code == 1
    lines = [line for line in out.splitlines() if "FF000" in line]
    assert [line.split(":")[1] for line in lines] == ["12", "13", "14", "15"]
    assert "Unused `noqa` directive (unused: `FF101`)" in lines[0]
    assert "(unknown: `FF999`)" in lines[2]
    assert run("check", "app.py")[0] == 0  # without FF000 all is quiet
    code, out = run("fix", "app.py", "--extend-select", "FF000")
    assert code == 0, out
    body = (chdir / "app.py").read_text().split("async def index():\n")[1]
    assert body == textwrap.indent(
        textwrap.dedent(
            """\
            time.sleep(1)  # noqa: FF101
            a = 1  # noqa: E501
            b = 2  # type: ignore
            c = 3  # reason
            d = 4  # noqa
            return a, b, c, d
            """
        ),
        "    ",
    )


def test_ff000_leaves_codes_of_rules_not_selected(chdir: Path) -> None:
    write(chdir / "app.py", "a = 1  # noqa: FF102\nreturn a\n")
    assert run("check", "app.py", "--select", "FF101", "--extend-select", "FF000")[0] == 0
    assert run("check", "app.py", "--extend-select", "FF000")[0] == 1


def test_ff000_can_itself_be_suppressed(chdir: Path) -> None:
    write(chdir / "app.py", "a = 1  # noqa: FF101, FF000\nreturn a\n")
    assert run("check", "app.py", "--extend-select", "FF000")[0] == 0


@pytest.mark.parametrize(
    ("comment", "remove", "expected"),
    [
        ("# noqa: FF101", ["FF101"], None),
        ("# noqa: FF101, E501", ["FF101"], "# noqa: E501"),
        ("# noqa:FF101,FF102", ["ff102"], "# noqa:FF101"),
        ("# type: ignore  # noqa: FF101", ["FF101"], "# type: ignore"),
        ("# noqa: FF101 because", ["FF101"], "# because"),
        ("# pragma  # noqa: FF101  # why", ["FF101"], "# pragma  # why"),
    ],
)
def test_strip_codes(comment: str, remove: list[str], expected: str | None) -> None:
    assert strip_codes(comment, remove) == expected
