"""Dependencies point one way (STYLE.md, "The shape we aim for"): ``config`` → everything; the portal (an
edge, like the admin and the API) → reports and reminders → ``audits``, ``minerals`` → ``suppliers`` →
``common``. ``suppliers`` reaches the apps above it
only through seams, and ``audits`` and ``minerals`` do not import each other.

Read from the source with ``ast`` (every import, including those inside functions), not from
``sys.modules``, so that an import only some code path runs is caught too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = {"common", "suppliers", "audits", "minerals", "reports", "reminders", "portal", "config", "devtools"}

MUST_NOT_IMPORT = {
    "common": APPS - {"common"},
    "suppliers": {"audits", "minerals", "reports", "reminders", "portal", "config", "devtools"},
    "audits": {"minerals", "reports", "reminders", "portal", "config", "devtools"},
    "minerals": {"audits", "reports", "reminders", "portal", "config", "devtools"},
    # The product runs without the development tools (DJANGO_DEV_TOOLS=false).
    "reports": {"portal", "devtools"},
    "reminders": {"portal", "devtools"},
    "portal": {"config", "devtools"},
    "config": {"devtools"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    """``(line, absolute module name)`` for every import in the file; relative ones are resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return found


def _imports_of(app: str) -> list[tuple[str, str]]:
    return [
        (f"{path.relative_to(ROOT)}:{line}", name)
        for path in sorted((ROOT / app).rglob("*.py"))
        for line, name in _imported_modules(path)
    ]


@pytest.mark.parametrize("app", sorted(MUST_NOT_IMPORT))
def test_an_app_imports_no_app_above_it(app):
    forbidden = MUST_NOT_IMPORT[app]

    wrong = [f"{where} imports {name}" for where, name in _imports_of(app) if name.split(".")[0] in forbidden]

    assert not wrong, f"{app} must not import {', '.join(sorted(forbidden))}:\n" + "\n".join(wrong)


def test_the_layer_check_sees_relative_and_nested_imports():
    imports = {(where.partition(":")[0], name) for where, name in _imports_of("audits")}

    assert (
        "audits/api/views/audits.py",
        "audits.api.permissions",
    ) in imports  # from ..permissions import ...
    assert (
        "audits/apps.py",
        "suppliers",
    ) in imports  # inside AuditsConfig.ready(): from suppliers import seams
