"""What the generated references (docs/configuration.md, docs/cli.md) share: print the text,
write it (``--write``) or fail when the committed file differs from it (``--check``)."""

from __future__ import annotations

import sys
from pathlib import Path


def publish(text: str, path: Path, module: str, args: list[str]) -> int:
    """Act on ``args`` for the document ``text`` kept at ``path`` by ``python -m module``."""
    if "--write" in args:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}", file=sys.stderr)
    elif "--check" in args:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{path} is out of date: run python -m {module} --write", file=sys.stderr)
            return 1
    else:
        sys.stdout.write(text)
    return 0
