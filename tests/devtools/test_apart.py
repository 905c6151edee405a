"""The product runs without the development tools: production leaves them out with DJANGO_DEV_TOOLS=false."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, dev_tools: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env={**os.environ, "DJANGO_DEV_TOOLS": dev_tools, "DJANGO_DEBUG": "true"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_the_development_tools_the_project_checks_clean_and_has_no_demo_or_bench_commands():
    checked = manage("check", dev_tools="false")
    assert checked.returncode == 0, checked.stderr

    listed = manage("help", "--commands", dev_tools="false").stdout.split()
    assert "seed_demo" not in listed and "bench_reminders" not in listed and "parse_cmrt" not in listed
    assert {"ensure_admin", "import_suppliers", "send_reminders", "esg_report"} <= set(listed)

    assert "seed_demo" in manage("help", "--commands", dev_tools="true").stdout.split()
