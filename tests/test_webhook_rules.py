"""Rule 19's pure parts: message ids, bodies, signatures, the schedule, Retry-After, URLs, addresses."""

from __future__ import annotations

import ipaddress
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks import Webhook

from models.rules.commission import RuleError
from models.rules.webhooks import (
    DEFAULT_SCHEDULE,
    WebhookSettings,
    address_allowed,
    body,
    checked_event_types,
    checked_url,
    message_id,
    money,
    new_secret,
    next_delay,
    retry_after,
    retry_at,
    signature_header,
)

AT = datetime(2026, 12, 5, 10, 30, 0, 123456, tzinfo=UTC)
ULID = re.compile(r"msg_[0-9A-HJKMNP-TV-Z]{26}")


def test_message_ids_are_ulids_that_sort_by_time() -> None:
    first = message_id(AT, bytes(10))
    later = message_id(AT + timedelta(milliseconds=1), bytes(10))
    assert ULID.fullmatch(first) and ULID.fullmatch(later) and "." not in first
    assert first < later
    assert message_id(AT, b"\x01" * 10) != first


def test_body_is_compact_json_with_a_utc_timestamp() -> None:
    text = body("payout.paid", AT, {"amount": money(1250, "USD"), "jpy": money(1250, "JPY")})
    assert text == (
        '{"type":"payout.paid","timestamp":"2026-12-05T10:30:00.123456Z",'
        '"data":{"amount":{"amount":"12.50","currency":"USD"},"jpy":{"amount":"1250","currency":"JPY"}}}'
    )
    assert json.loads(text)["type"] == "payout.paid"


@given(st.binary(min_size=32, max_size=32), st.binary(min_size=32, max_size=32), st.text(max_size=200))
def test_signatures_verify_with_standardwebhooks(new: bytes, old: bytes, data: str) -> None:
    secrets = [new_secret(new), new_secret(old)]
    payload = body("sale.recorded", AT, {"note": data})
    now = int(datetime.now(UTC).timestamp())
    msg = message_id(AT, bytes(10))
    header = signature_header(secrets, msg, now, payload)
    headers = {"webhook-id": msg, "webhook-timestamp": str(now), "webhook-signature": header}
    for secret in secrets:
        Webhook(secret).verify(payload, headers)
    assert header.split(" ")[0] == Webhook(secrets[0]).sign(msg, datetime.fromtimestamp(now, UTC), payload)


@given(st.integers(1, 9), st.floats(0, 1), st.floats(0, 1))
def test_delays_follow_the_schedule_stretched_never_earlier(failures: int, jitter: float, draw: float) -> None:
    delay = next_delay(DEFAULT_SCHEDULE, failures, jitter, draw)
    assert delay is not None
    base = DEFAULT_SCHEDULE[failures - 1]
    assert timedelta(seconds=base) <= delay <= timedelta(seconds=base * (1 + jitter))


def test_the_tenth_failure_ends_the_schedule() -> None:
    assert next_delay(DEFAULT_SCHEDULE, 10, 0.1, 0.5) is None
    assert sum(DEFAULT_SCHEDULE) == 75 * 3600 + 35 * 60 + 5  # Standard Webhooks' 75:35:05


def test_retry_after_on_429_and_503_only_when_later() -> None:
    ended = AT
    five = timedelta(seconds=5)
    assert retry_at(ended, five, 503, "120") == ended + timedelta(seconds=120)
    assert retry_at(ended, five, 429, "1") == ended + five  # earlier than scheduled: the schedule stands
    assert retry_at(ended, five, 500, "120") == ended + five  # only 429 and 503
    assert retry_at(ended, five, 503, "Sat, 05 Dec 2026 11:30:00 GMT") == datetime(2026, 12, 5, 11, 30, tzinfo=UTC)
    assert retry_at(ended, five, 503, "999999999") == ended + timedelta(hours=24)  # capped
    assert retry_after("soon", ended) is None and retry_after(None, ended) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",
        "ftp://hooks.example.com/x",
        "https://user@hooks.example.com/x",
        "https://hooks.example.com/x#top",
        "https:///x",
        "/relative",
        "https://hooks.example.com/" + "a" * 2000,
        "https://127.0.0.1/x",
        "https://10.1.2.3/x",
        "https://[::1]/x",
        "https://[::ffff:192.168.0.1]/x",
        "https://[64:ff9b::7f00:1]/x",
        "https://224.0.0.1/x",
        "https://hooks.example.com:99999/x",
    ],
)
def test_urls_refused(url: str) -> None:
    with pytest.raises(RuleError) as refused:
        checked_url(url, allow_private=False)
    assert refused.value.field == "url"


def test_urls_accepted() -> None:
    assert checked_url(" https://hooks.example.com:8443/in?x=1 ", False) == "https://hooks.example.com:8443/in?x=1"
    assert checked_url("https://8.8.8.8/x", False) == "https://8.8.8.8/x"
    assert checked_url("http://127.0.0.1:8080/x", True) == "http://127.0.0.1:8080/x"


def test_event_types() -> None:
    assert checked_event_types(["payout.paid", "sale.recorded", "payout.paid"]) == ["payout.paid", "sale.recorded"]
    for bad in ([], ["webhook.test"], ["payout.*"]):
        with pytest.raises(RuleError):
            checked_event_types(bad)


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata: link-local
        ("100.64.0.1", False),  # CGNAT
        ("192.0.2.1", False),  # documentation
        ("0.0.0.0", False),
        ("240.0.0.1", False),  # reserved
        ("224.0.0.1", False),  # multicast: is_global is true on 3.11
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:8.8.8.8", True),
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1: is_global is true on 3.11
        ("64:ff9b::808:808", True),
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2002:808:808::", True),
    ],
)
def test_address_check(address: str, allowed: bool) -> None:
    assert address_allowed(ipaddress.ip_address(address)) is allowed


def test_settings_from_the_environment() -> None:
    assert WebhookSettings.from_env({}) == WebhookSettings()
    custom = WebhookSettings.from_env(
        {
            "PAYOUTS_WEBHOOK_WORKER": "off",
            "PAYOUTS_WEBHOOK_TIMEOUT_S": "3",
            "PAYOUTS_WEBHOOK_ALLOW_PRIVATE": "yes",
            "PAYOUTS_WEBHOOK_RETRY_SCHEDULE": "1,1,1",
            "PAYOUTS_WEBHOOK_JITTER": "0",
        }
    )
    assert custom == WebhookSettings(False, 3, True, (1, 1, 1), 0.0)
    for name, value in [
        ("PAYOUTS_WEBHOOK_TIMEOUT_S", "0"),
        ("PAYOUTS_WEBHOOK_TIMEOUT_S", "31"),
        ("PAYOUTS_WEBHOOK_RETRY_SCHEDULE", "1,0"),
        ("PAYOUTS_WEBHOOK_RETRY_SCHEDULE", "1,1,1,1,1,1,1,1,1,1"),
        ("PAYOUTS_WEBHOOK_JITTER", "2"),
        ("PAYOUTS_WEBHOOK_PROXY", "socks5://proxy:1080"),
    ]:
        with pytest.raises(ValueError, match=name):
            WebhookSettings.from_env({name: value})
