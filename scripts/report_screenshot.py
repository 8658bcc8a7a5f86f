"""Regenerate docs/report.png, the README's picture of `fastapi-fix report` on the bundled
example: the report is built, opened in headless Chromium (Debian's `chromium`, driven by
playwright, which downloads nothing) and its first screen is saved.

    python scripts/report_screenshot.py [--output docs/report.png] [--height 1500]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "report.png")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1500)
    options = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        page_file = Path(folder) / "report.html"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "fastapi_fixer",
                "report",
                "--no-cache",
                "examples/legacy-app",
                "-o",
                str(page_file),
            ],
            cwd=ROOT,
            check=True,
        )
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": options.width, "height": options.height})
            page.goto(page_file.as_uri())
            page.screenshot(path=str(options.output))
            browser.close()
    print(f"wrote {options.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
