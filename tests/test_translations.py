"""Every string of the portal and of the e-mails to outside users exists in Simplified Chinese.

The catalogue is extracted afresh from a copy of the code and templates (Django's ``makemessages``, as
``make messages`` runs it), so a string marked for translation but missing from the committed catalogue, left
untranslated or marked fuzzy fails here, as does a committed compiled catalogue that is older than its source.
Needs GNU gettext (``apt-get install gettext``; ``.ci/run`` installs it).
"""

from __future__ import annotations

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES"
IGNORED = shutil.ignore_patterns(".*", "__pycache__", "*.pyc", "var", "tests", "node_modules", "*.egg-info")

pytestmark = pytest.mark.skipif(
    shutil.which("msgfmt") is None and not os.environ.get("CI"),
    reason="GNU gettext is not installed (apt-get install gettext)",
)


def _entries(po: Path, *flags: str) -> list[str]:
    out = subprocess.run(
        ["msgattrib", *flags, "--no-wrap", "--no-location", str(po)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [
        line[len("msgid ") :]
        for line in out.splitlines()
        if line.startswith('msgid "') and line != 'msgid ""'
    ]


@pytest.fixture(scope="module")
def fresh_catalogue(tmp_path_factory) -> Path:
    """The catalogue as ``makemessages`` makes it today from a copy of the project, merged with the committed
    translations."""
    copy = tmp_path_factory.mktemp("project")
    for entry in ROOT.iterdir():
        if entry.name.startswith(".") or entry.name in {"var", "tests", "devtools", "static"}:
            continue
        if entry.is_dir():
            shutil.copytree(entry, copy / entry.name, ignore=IGNORED)
        else:
            shutil.copy2(entry, copy / entry.name)
    env = {
        **os.environ,
        "DATA_DIR": str(copy / "var"),
        "DJANGO_SECRET_KEY": "x" * 64,
        "DJANGO_DEBUG": "true",
        "DJANGO_DEV_TOOLS": "false",
    }
    made = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "--locale",
            "zh_Hans",
            "--no-obsolete",
            "--ignore",
            "var/*",
        ],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    return copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_every_portal_and_e_mail_string_has_a_chinese_translation(fresh_catalogue):
    missing = _entries(fresh_catalogue, "--untranslated")

    assert not missing, (
        f"{len(missing)} string(s) have no Simplified Chinese translation; run `make messages`, translate "
        "them in locale/zh_Hans/LC_MESSAGES/django.po, run `make messages` again and commit both files:\n"
        + "\n".join(missing[:40])
    )


def test_no_translation_is_left_fuzzy(fresh_catalogue):
    fuzzy = _entries(fresh_catalogue, "--only-fuzzy")

    assert not fuzzy, "Fuzzy (unchecked) translations, not used at run time:\n" + "\n".join(fuzzy[:40])


def test_translations_keep_the_placeholders_of_their_source():
    result = subprocess.run(
        ["msgfmt", "--check-format", "--check-header", "-o", os.devnull, str(CATALOGUE / "django.po")],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr


def test_the_committed_compiled_catalogue_matches_its_source(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(compiled), str(CATALOGUE / "django.po")], check=True)

    def catalogue(path: Path) -> dict:
        with path.open("rb") as handle:
            return dict(gettext.GNUTranslations(handle)._catalog)

    assert catalogue(CATALOGUE / "django.mo") == catalogue(compiled), (
        "locale/zh_Hans/LC_MESSAGES/django.mo is out of date: run `make messages` and commit it."
    )
