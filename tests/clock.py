"""A clock a test can move forward: time is moved, not waited for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


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
