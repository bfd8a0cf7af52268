"""Write (or check) the JSON Schemas in reconciler/schemas/ from reconciler/kinds.py.

Run after changing kinds.py: `python scripts/gen_schemas.py`. With `--check` it writes
nothing and exits 1 when a committed schema differs, which is what CI and the test use, so
the schemas editors read can never silently disagree with what `reconciler validate` checks.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reconciler.manifest.schema import all_schemas, render

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "reconciler" / "schemas"


def main(argv: list[str] | None = None) -> int:
    """Write every schema, or with --check report the stale ones; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if any file differs")
    parser.add_argument("--dir", type=Path, default=SCHEMA_DIR, help="where the schemas live")
    args = parser.parse_args(argv)
    stale = []
    for name, schema in all_schemas().items():
        path = args.dir / name
        text = render(schema)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(name)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
    if args.check and stale:
        print(f"stale schemas (run scripts/gen_schemas.py): {', '.join(stale)}", file=sys.stderr)
        return 1
    for name in stale:
        print(f"wrote {args.dir / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
