"""A progress bar on stderr for long CLI commands (seed, import): stdout stays machine-readable."""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30
EVERY = 0.2  # seconds between redraws


class Progress:
    """`label [#####.....]  45%  12,345/27,000  3.1 s  4,000/s`, redrawn in place."""

    def __init__(self, label: str, total: int, out: TextIO = sys.stderr) -> None:
        self.label, self.total, self.out = label, max(total, 1), out
        self.done = 0
        self.started = self.drawn = time.monotonic()

    def advance(self, n: int) -> None:
        self.done += n
        if time.monotonic() - self.drawn >= EVERY or self.done >= self.total:
            self.draw()

    def draw(self) -> None:
        self.drawn = time.monotonic()
        elapsed = self.drawn - self.started
        share = min(self.done / self.total, 1.0)
        bar = "#" * int(share * WIDTH)
        rate = self.done / elapsed if elapsed > 0 else 0.0
        self.out.write(
            f"\r{self.label} [{bar:<{WIDTH}}] {share:4.0%}  {self.done:,}/{self.total:,}  "
            f"{elapsed:.1f} s  {rate:,.0f}/s"
        )
        self.out.flush()

    def close(self) -> float:
        """Finish the line; the seconds it took."""
        self.draw()
        self.out.write("\n")
        return self.drawn - self.started
