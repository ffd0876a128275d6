"""Print the SDL: `python -m schema.export FILE` writes it, `--check` fails when FILE is stale."""

from __future__ import annotations

import sys
from pathlib import Path

from schema import default_schema


def sdl() -> str:
    return default_schema().as_str() + "\n"


def main(argv: list[str]) -> int:
    if not argv:
        sys.stdout.write(sdl())
        return 0
    path = Path(argv[0])
    if "--check" in argv:
        if not path.exists() or path.read_text() != sdl():
            print(f"{path} is stale: run python -m schema.export {path}", file=sys.stderr)
            return 1
        return 0
    path.write_text(sdl())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
