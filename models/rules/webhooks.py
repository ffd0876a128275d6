"""Outgoing webhooks (rule 19), the pure part: event types, message ids and bodies, signatures,
the retry schedule, the endpoint URL check and the SSRF address check. No I/O, no clock, no ORM.

Standard Webhooks 1.0: the signed content is `{webhook-id}.{webhook-timestamp}.{body}`, HMAC-SHA256
keyed with the base64-decoded part of the secret after `whsec_`, sent as `v1,<base64>`; several
signatures (a rotation's overlap) are space-separated, the newest first.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from models.money import from_minor, plain
from models.rules.commission import RuleError

EVENT_TYPES: dict[str, str] = {
    "payout.became_due": "A payee became DUE or its due rose (rule 10: same transitions, announced once).",
    "payout.paid": "A payout was created (markAsPaid, or a PayPal Instant Payment at the sale).",
    "payout.voided": "A payout was voided (voidPayout, a payment return, a result import).",
    "sale.recorded": "A sale was booked (recordSale, the bulk path, Stripe), with its commissions.",
    "sale.refunded": "A refund or chargeback was booked against a sale.",
    "export.created": "A payment export was created, with its files (never payment details).",
}
TEST_EVENT = "webhook.test"  # sendTestWebhook only: not subscribable

MAX_ENDPOINTS = 20
MAX_URL = 2000
MAX_DESCRIPTION = 200
MAX_OVERLAP_HOURS = 168
MAX_LISTED_FILES = 100  # export.created lists at most this many files (bodies stay under 20 kB)
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
RESPONSE_EXCERPT = 1000  # bytes of a response body kept per attempt
LEASE_MARGIN = timedelta(seconds=30)  # a claim holds for the timeout plus this
RETAIN = timedelta(days=30)  # deliveries and messages are kept this long after their last attempt
FAILING_AFTER = timedelta(days=5)  # no success for this long when a delivery fails: the endpoint is disabled
RETRY_AFTER_CAP = timedelta(hours=24)
DEFAULT_SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
BLOCKED = "destination address not allowed"

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ON = {"1", "on", "true", "yes"}
OFF = {"off", "0", "false", "no"}


# --- settings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookSettings:
    """PAYOUTS_WEBHOOK_*: read once at start; a bad value stops the server (`from_env` raises)."""

    worker: bool = True
    timeout_s: int = 15
    allow_private: bool = False
    schedule: tuple[int, ...] = DEFAULT_SCHEDULE
    jitter: float = 0.1
    proxy: str | None = None

    @property
    def attempts(self) -> int:
        """Attempts in one schedule: the first, then one after each delay."""
        return len(self.schedule) + 1

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.timeout_s) + LEASE_MARGIN

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WebhookSettings:
        worker = env.get("PAYOUTS_WEBHOOK_WORKER", "on").strip().lower() not in OFF
        allow = env.get("PAYOUTS_WEBHOOK_ALLOW_PRIVATE", "").strip().lower() in ON
        raw_timeout = env.get("PAYOUTS_WEBHOOK_TIMEOUT_S", "15").strip()
        if not raw_timeout.isdigit() or not 1 <= int(raw_timeout) <= 30:
            raise ValueError("PAYOUTS_WEBHOOK_TIMEOUT_S must be a whole number of seconds from 1 to 30")
        raw_schedule = env.get("PAYOUTS_WEBHOOK_RETRY_SCHEDULE", "").strip()
        schedule: tuple[int, ...] = DEFAULT_SCHEDULE
        if raw_schedule:
            parts = [p.strip() for p in raw_schedule.split(",")]
            if not 1 <= len(parts) <= 9 or not all(p.isdigit() and int(p) > 0 for p in parts):
                raise ValueError("PAYOUTS_WEBHOOK_RETRY_SCHEDULE: 1 to 9 positive whole seconds, comma-separated")
            schedule = tuple(int(p) for p in parts)
        try:
            jitter = float(env.get("PAYOUTS_WEBHOOK_JITTER", "0.1"))
        except ValueError:
            raise ValueError("PAYOUTS_WEBHOOK_JITTER must be a number from 0 to 1") from None
        if not 0 <= jitter <= 1:
            raise ValueError("PAYOUTS_WEBHOOK_JITTER must be a number from 0 to 1")
        proxy = env.get("PAYOUTS_WEBHOOK_PROXY", "").strip() or None
        if proxy is not None and urlsplit(proxy).scheme not in {"http", "https"}:
            raise ValueError("PAYOUTS_WEBHOOK_PROXY must be an http:// or https:// URL")
        return cls(worker, int(raw_timeout), allow, schedule, jitter, proxy)


# --- endpoints -----------------------------------------------------------------------------------


def checked_url(url: str, allow_private: bool) -> str:
    """An endpoint URL as rule 19.1 wants it, else a RuleError on `url`."""
    url = url.strip()
    if len(url) > MAX_URL:
        raise RuleError(f"url has at most {MAX_URL} characters", "url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise RuleError("url is not a valid URL", "url") from None
    schemes = {"https", "http"} if allow_private else {"https"}
    if parts.scheme not in schemes:
        raise RuleError("url must be an absolute https:// URL", "url")
    if not parts.hostname or parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise RuleError("url needs a host and no user info", "url")
    if parts.fragment or url.endswith("#"):
        raise RuleError("url must not have a fragment", "url")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise RuleError("url must not contain spaces or control characters", "url")
    if port == 0:
        raise RuleError("url has an invalid port", "url")
    literal = ip_literal(parts.hostname)
    if literal is not None and not allow_private and not address_allowed(literal):
        raise RuleError(f"url: {BLOCKED}", "url")
    return url


def ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def checked_event_types(types: Iterable[str]) -> list[str]:
    """Non-empty, each subscribable, duplicates dropped (first order kept)."""
    unique = list(dict.fromkeys(types))
    if not unique:
        raise RuleError("eventTypes needs at least one event type", "eventTypes")
    unknown = [t for t in unique if t not in EVENT_TYPES]
    if unknown:
        raise RuleError(f"eventTypes: {unknown[0]!r} is not one of {', '.join(EVENT_TYPES)}", "eventTypes")
    return unique


def new_secret(raw: bytes) -> str:
    """`whsec_` + base64 of the random bytes given (32 of them)."""
    return SECRET_PREFIX + base64.b64encode(raw).decode()


def secret_hint(tail: str) -> str:
    """What an endpoint shows of its secret: the prefix and the last 4 characters."""
    return f"{SECRET_PREFIX}****{tail}"


# --- messages ------------------------------------------------------------------------------------


def message_id(at: datetime, entropy: bytes) -> str:
    """`msg_` + a ULID: 48 bits of milliseconds since the epoch, 80 random bits, Crockford base32."""
    ms = int(at.timestamp() * 1000) & (2**48 - 1)
    value = (ms << 80) | int.from_bytes(entropy[:10], "big")
    return "msg_" + "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def iso(moment: datetime) -> str:
    """UTC, ISO 8601 with microseconds and `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def money(minor: int, currency: str) -> dict[str, str]:
    return {"amount": plain(from_minor(minor, currency)), "currency": currency}


def money_list(amounts: Mapping[str, int]) -> list[dict[str, str]]:
    return [money(amount, currency) for currency, amount in sorted(amounts.items())]


def body(event_type: str, at: datetime, data: Mapping[str, Any]) -> str:
    """The JSON body, without insignificant whitespace: written once, sent byte for byte."""
    return json.dumps({"type": event_type, "timestamp": iso(at), "data": data}, separators=(",", ":"))


@dataclass(frozen=True)
class Event:
    """One message to write: its type, the change's time and its data."""

    type: str
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)


# --- signing -------------------------------------------------------------------------------------


def signature(secret: str, msg_id: str, timestamp: int, payload: str) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.{payload}".encode()
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signature_header(secrets: Sequence[str], msg_id: str, timestamp: int, payload: str) -> str:
    """Every secret's signature, space-separated, in the order given (the newest first)."""
    return " ".join(signature(s, msg_id, timestamp, payload) for s in secrets)


# --- the schedule --------------------------------------------------------------------------------


def next_delay(schedule: Sequence[int], failures: int, jitter: float, draw: float) -> timedelta | None:
    """The wait after the `failures`-th failure of a schedule (1-based), stretched by `jitter` times a
    random `draw` in [0, 1]; None when the schedule is exhausted (the delivery FAILED)."""
    if failures > len(schedule):
        return None
    return timedelta(seconds=schedule[failures - 1] * (1 + jitter * draw))


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A Retry-After header (seconds or an HTTP date) as a wait from now, capped at 24 h; None if unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        wait = timedelta(seconds=int(value[:12]))
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        wait = when - now
    return min(max(wait, timedelta(0)), RETRY_AFTER_CAP)


def retry_at(ended: datetime, delay: timedelta, status: int | None, retry_after_header: str | None) -> datetime:
    """When the next attempt is due: the scheduled time, unless a 429/503 asked for later."""
    scheduled = ended + delay
    if status in (429, 503):
        asked = retry_after(retry_after_header, ended)
        if asked is not None and ended + asked > scheduled:
            return ended + asked
    return scheduled


# --- the SSRF guard (19.6) -----------------------------------------------------------------------

NAT64 = ipaddress.ip_network("64:ff9b::/96")
SIX_TO_FOUR = ipaddress.ip_network("2002::/16")


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, NAT64 or 6to4 IPv6 address."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    return None


def address_allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Global and not multicast; an IPv6 address embedding an IPv4 one only if that one is."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            return address_allowed(inner)
    return address.is_global and not address.is_multicast
