"""``parse_cmrt FILE [--json]``: print what a CMRT/EMRT holds and what is wrong with it.

Exit status: 0 without errors, 1 with errors (warnings alone do not count), 2 when the file cannot be read
as a CMRT/EMRT (one line saying why).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import TextIO

from .parser import parse_workbook
from .result import ParseResult, UnreadableWorkbook

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_UNREADABLE = 2


def run(
    path: str, *, as_json: bool = False, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        result = parse_workbook(path)
    except UnreadableWorkbook as exc:
        stderr.write(f"{exc}\n")
        return EXIT_UNREADABLE
    stdout.write(render_json(result) if as_json else render_text(result, path=path))
    return EXIT_ERRORS if result.has_errors else EXIT_OK


def render_json(result: ParseResult) -> str:
    return json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n"


def render_text(result: ParseResult, *, path: str) -> str:
    company = result.company
    per_metal = Counter(smelter.metal or "?" for smelter in result.smelters)
    lines = [
        f"{path}: {result.template} {result.version}" + (f" ({result.language})" if result.language else ""),
        f"company: {company.name or '-'}; scope: {company.scope or '-'}; effective date: "
        f"{company.effective_date.isoformat() if company.effective_date else '-'}",
        f"minerals in scope: {', '.join(result.minerals_in_scope) or '-'}",
        f"smelters: {len(result.smelters)}"
        + (
            f" ({', '.join(f'{metal} {count}' for metal, count in sorted(per_metal.items()))})"
            if per_metal
            else ""
        ),
        f"products: {len(result.products)}" + (f"; mines: {len(result.mines)}" if result.mines else ""),
        f"errors: {len(result.errors)}; warnings: {len(result.warnings)}",
    ]
    lines += [f"  {issue}" for issue in result.issues]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(prog="parse_cmrt", description="Parse a CMRT/EMRT workbook.")
    parser.add_argument("file", metavar="FILE", help="a filled CMRT or EMRT (.xlsx)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    return run(args.file, as_json=args.json, stdout=stdout, stderr=stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
