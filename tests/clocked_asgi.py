"""`server.asgi` for server subprocesses whose time the test moves (tests.servers.start_server(clock=...)):
the same app from the same environment, with a tests.clock.FileClock on $PAYOUTS_TEST_CLOCK_FILE."""

import os
from dataclasses import replace
from pathlib import Path

from server.app import create_app
from server.config import Settings
from tests.clock import FileClock

app = create_app(replace(Settings.from_env(), clock=FileClock(Path(os.environ["PAYOUTS_TEST_CLOCK_FILE"]))))
