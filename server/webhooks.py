"""`POST /webhooks/stripe`: Stripe's signed events, booked by `models.ledger.stripe` (rule 13).

The signature is checked over the raw body before anything parses it: `Stripe-Signature:
t=<unix>,v1=<hex>[,v1=...]`, each v1 a hex HMAC-SHA256 of "{t}.{body}" keyed with an endpoint
secret; any secret of PAYOUTS_STRIPE_WEBHOOK_SECRET (comma-separated, for rotation) may match, and
`t` must be within TOLERANCE seconds of now. Answers: 200 (booked, ignored or a replay), 400 (bad
signature, not an event, or a hostile string in it: nothing recorded), 409 (the event needs a sale
that may still arrive: Stripe retries), 404 when no secret is configured, 413 for an oversized body.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from models.clock import Clock
from models.errors import LedgerError
from models.ledger.stripe import actor_of, receive
from models.rules.stripe_events import EventError, parse_event
from models.transactions import is_unavailable
from schema.context import Announce
from server.guards import read_body

log = logging.getLogger("payouts.webhooks")

TOLERANCE = 300  # seconds between the signature's timestamp and now
MAX_BODY = 512 * 1024  # Stripe events are a few kB
MAX_HEADER = 4096


def signature_valid(
    payload: bytes, header: str | None, secrets: Sequence[str], now: float, tolerance: int = TOLERANCE
) -> bool:
    """Stripe's documented scheme, compared in constant time; a malformed header is simply not valid."""
    if not header or len(header) > MAX_HEADER:
        return False
    timestamp: str | None = None
    candidates: list[bytes] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            timestamp = value
        elif key == "v1":
            candidates.append(value.encode("utf-8", "surrogatepass"))
    if timestamp is None or not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return False
    if abs(now - int(timestamp)) > tolerance or not candidates:
        return False
    signed = timestamp.encode() + b"." + payload
    valid = False
    for secret in secrets:
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest().encode()
        for candidate in candidates:  # no early exit: every comparison is made
            valid |= hmac.compare_digest(expected, candidate)
    return valid


def _refused(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _body(request: Request) -> bytes | Response:
    """The raw body, or the refusal: 413 past MAX_BODY (read no further), 408 stalled, 400 the client left."""
    declared = request.headers.get("content-length", "")
    body: bytes | int | None = 413 if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY else None
    body = body or await read_body(request.receive, MAX_BODY)
    if body == 413:
        return _refused(413, f"the body is larger than {MAX_BODY} bytes")
    if body == 408:
        return _refused(408, "the body did not arrive in time")
    return body if isinstance(body, bytes) else Response(status_code=400)


def escaped(value: str) -> str:
    """A value from an event, safe in a log line: no newline or control character survives (rule 21)."""
    return value.encode("unicode_escape").decode("ascii")[:100]


def stripe_webhook_route(
    secrets: Sequence[str], announce: Announce, clock: Clock, *, live: bool = True
) -> Callable[[Request], object]:
    async def stripe_webhook(request: Request) -> Response:
        if not secrets:
            return _refused(404, "Stripe webhooks are not configured (PAYOUTS_STRIPE_WEBHOOK_SECRET)")
        payload = await _body(request)
        if isinstance(payload, Response):
            return payload
        now = clock()
        if not signature_valid(payload, request.headers.get("stripe-signature"), secrets, now.timestamp()):
            return _refused(400, "missing or invalid Stripe-Signature")
        try:
            event = parse_event(payload)
        except EventError as e:
            return _refused(400, str(e))
        try:
            receipt = await receive(actor_of(event), now, event=event, live=live)
        except LedgerError as e:  # CONFLICT after the retries: nothing was written, Stripe delivers it again
            return _refused(409, e.message)
        except Exception as e:
            if not is_unavailable(e):
                raise
            log.warning("stripe event %s not booked: the database is unavailable", escaped(event.id))
            return _refused(503, "the database is unavailable; nothing was written")
        await announce(receipt.transitions, receipt.cause)
        row = receipt.event
        log.info(
            "stripe event %s (%s): %s%s",
            escaped(event.id),
            escaped(event.type),
            row.status.value,
            " (replay)" if receipt.replay else "",
        )
        return JSONResponse(
            {"received": True, "status": row.status.value, "replay": receipt.replay, "reason": row.reason},
            status_code=receipt.http_status,
        )

    return stripe_webhook
