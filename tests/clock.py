"""A clock a test can move forward: time is moved, not waited for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path


class MovableClock:
    """The real time plus an offset that only grows; `Settings.clock` for the app under test.

    It keeps running (so a test's own `datetime.now` and the app agree until the test moves it), and
    `advance` jumps it forward, as if the time had been waited for.
    """

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        assert delta >= timedelta(0), "time only moves forward"
        self.offset += delta


class FileClock:
    """MovableClock for server subprocesses (tests.servers.start_server(clock=...)): the offset is kept in a
    file that the test advances and every server process reads on each call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.exists():
            self._write(timedelta(0))

    @property
    def offset(self) -> timedelta:
        return timedelta(seconds=float(self.path.read_text()))

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        assert delta >= timedelta(0), "time only moves forward"
        self._write(self.offset + delta)

    def _write(self, offset: timedelta) -> None:
        part = self.path.with_name(f"{self.path.name}.part")
        part.write_text(repr(offset.total_seconds()))
        part.replace(self.path)  # a rename: a reader never sees half a number
