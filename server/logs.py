"""The server's log: what goes in, and what never does (docs/operations.md "Logs").

- Our own loggers (`payouts.*`) write one line per record to standard error when nothing else
  handles them (under uvicorn nothing does; under pytest its capture does).
- Uvicorn's access log would print each request's full URL: a GET query's variables, a signed
  link's signature, anything a client puts in a path. `AccessPaths` drops the query string and
  replaces every path segment that is neither a plain word nor an ASCII id with `*`.
"""

from __future__ import annotations

import logging
import re
import sys

_WORD = re.compile(r"[A-Za-z][A-Za-z_.-]{0,40}")
_ID = re.compile(r"[0-9]{1,10}")


def safe_path(target: str) -> str:
    """`/exports/files/12?signature=...` -> `/exports/files/12`; `/files/DE8937...` -> `/files/*`."""
    path = target.split("?", 1)[0]
    return "/".join(s if not s or _WORD.fullmatch(s) or _ID.fullmatch(s) else "*" for s in path.split("/"))


class AccessPaths(logging.Filter):
    """Rewrites uvicorn's access records: (client, method, path, http version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], safe_path(args[2]), args[3], args[4])
        return True


def configure() -> None:
    """Idempotent: called by every app the process creates."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, AccessPaths) for f in access.filters):
        access.addFilter(AccessPaths())
    ours = logging.getLogger("payouts")
    if not ours.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s: %(name)s: %(message)s"))
        ours.addHandler(handler)
        ours.setLevel(logging.INFO)
