"""The report in a real browser: headless Chromium (the system's, Debian's `chromium`, driven by
playwright; never a downloaded browser) loads the bundled example's page from a file:// URL with
no network, runs its script without an error, shows the numbers `check --statistics` reports,
sorts a table and opens a module when clicked, and takes a screenshot."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from fastapi_fixer.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = "examples/legacy-app"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _browser_or_skip() -> None:
    missing = []
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        missing.append("chromium (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright (pip install -e '.[test]')")
    if missing:
        reason = "no " + " and no ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(f"the browser test must run in CI: {reason}")
        pytest.skip(reason)


@pytest.fixture
def page():
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
            args=ARGS,
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 1000})
            # nothing may come from the network: every request but the page itself fails
            context.route(
                "**/*",
                lambda route: (
                    route.continue_() if route.request.url.startswith("file://") else route.abort()
                ),
            )
            yield context.new_page()
        finally:
            browser.close()


def test_report_in_chromium(page, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    out = tmp_path / "report.html"
    runner = CliRunner()
    made = runner.invoke(main, ["report", "--no-cache", EXAMPLE, "-o", str(out)])
    assert made.exit_code == 0, made.output
    stats = json.loads(
        runner.invoke(
            main, ["check", "--no-cache", "--statistics", "--output-format", "json", EXAMPLE]
        ).output
    )

    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else 0)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(out.as_uri())
    page.wait_for_load_state("load")
    assert problems == []
    assert requests == [out.as_uri()]  # the page loads nothing else

    # the summary is what `check --statistics` says
    total = sum(row["count"] for row in stats)
    assert page.inner_text("#count-findings") == str(total)
    assert int(page.inner_text("#count-safe")) == sum(row["fixable_count"] for row in stats)
    assert (
        int(page.inner_text("#count-safe"))
        + int(page.inner_text("#count-unsafe"))
        + int(page.inner_text("#count-manual"))
        == total
    )
    shown = page.eval_on_selector_all(
        "#rules-table tbody tr",
        "rows => rows.map(r => [r.dataset.code, +r.cells[3].textContent, +r.cells[4].textContent])",
    )
    assert sorted(shown) == sorted(
        [row["code"], row["count"], row["fixable_count"]] for row in stats
    )
    assert int(page.inner_text("#count-files")) == 10  # the example's Python files
    assert int(page.inner_text("#count-routes")) == 6

    # a click on a header sorts the rules table (numbers: largest first, then smallest)
    header = page.locator("#rules-table th", has_text="Findings")
    header.click()
    assert header.get_attribute("aria-sort") == "descending"
    counts = page.eval_on_selector_all(
        "#rules-table tbody tr", "rows => rows.map(r => +r.cells[3].textContent)"
    )
    before = [count for _, count, _ in shown]
    assert before != sorted(before, reverse=True)  # so the click changed the order
    assert counts == sorted(counts, reverse=True)
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    counts = page.eval_on_selector_all(
        "#rules-table tbody tr", "rows => rows.map(r => +r.cells[3].textContent)"
    )
    assert counts == sorted(counts)

    # a module opens on a click and shows its highlighted diff
    module = page.locator("details.module", has_text="routers/items.py").first
    assert module.evaluate("d => d.open") is False
    assert not module.locator("table.diff").first.is_visible()
    module.locator("summary").first.click()
    assert module.evaluate("d => d.open") is True
    diff = module.locator("table.diff").first
    assert diff.is_visible()
    assert diff.locator("tr.a").count() > 0 and diff.locator("span.hk").count() > 0

    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert problems == []
