"""``make test`` on a machine without Chromium: the browser tests are left out with one line that says how to
install it, unless ``CI=true``, where a missing browser fails the run."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BROWSER_TESTS = "tests/browser/test_admin_browser.py"


def pytest_without_chromium(*, ci: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", BROWSER_TESTS],
        env={**os.environ, "CHROMIUM": "/nonexistent/chromium", "CI": ci},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_chromium_a_developer_run_leaves_the_browser_tests_out_and_says_how_to_get_them():
    run = pytest_without_chromium(ci="")
    output = run.stdout + run.stderr

    notes = [line for line in output.splitlines() if "apt-get install chromium" in line]
    assert len(notes) == 1, output
    assert "browser tests not run: Chromium is not installed at /nonexistent/chromium" in notes[0]
    assert " passed" not in output and " failed" not in output
    assert run.returncode == 5  # pytest: no test ran (the file holds browser tests only)


def test_without_chromium_a_ci_run_fails():
    run = pytest_without_chromium(ci="true")

    assert run.returncode != 0 and run.returncode != 5
    assert "CI: " in run.stderr and "apt-get install chromium" in run.stderr
