"""payoutBecameDue over real WebSockets against the real app served by uvicorn (rule 10).

The server runs in this test's event loop, so the test can also reach the bus (to know when a
subscription is registered) and the models (to make an AFFILIATE token).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
import websockets

from models.enums import DueCause, Role
from models.tables.tokens import ApiToken
from models.tokens import hash_token, new_token
from schema.events import DueEvent
from schema.ids import parse_global_id
from server.pubsub import Bus
from tests.api import KARTRA, create_product, payable_affiliate, record_sale
from tests.live import BUSES, Live
from tests.ws import connect, eventually, subscribe


async def affiliate_token(affiliate_gid: str) -> str:
    """Stand-in for createAffiliateToken (built elsewhere): a stored AFFILIATE token."""
    _, pk = parse_global_id(affiliate_gid)  # type: ignore[misc]
    token = new_token()
    await ApiToken.create(token_hash=hash_token(token), role=Role.AFFILIATE, affiliate_id=pk, label="test")
    return token


def iso(moment: datetime) -> str:
    return moment.isoformat()


@pytest.mark.parametrize("bus_kind", BUSES)
async def test_a_sale_with_an_immediate_milestone_is_announced(live: Live) -> None:
    product = await create_product(live.gql, milestones=KARTRA)
    ann = await payable_affiliate(live.gql)
    async with subscribe(live.url, live.gql.token) as events:
        await live.subscribed()
        await record_sale(live.gql, externalId="o-1", productId=product, affiliateId=ann)
        event = await events.next()
        assert event["affiliate"] == {"id": ann, "name": "Ann Lee", "salesCount": 1}
        assert event["cause"] == "SALE_RECORDED"
        assert event["newlyDue"] == [{"amount": "4.00", "currency": "USD"}]
        assert event["due"] == [{"amount": "4.00", "currency": "USD"}]

        # A second event on the same connection reads fresh rows, not the first event's loaders.
        await record_sale(live.gql, externalId="o-2", productId=product, affiliateId=ann)
        event = await events.next()
        assert event["affiliate"]["salesCount"] == 2
        assert event["newlyDue"] == [{"amount": "4.00", "currency": "USD"}]
        assert event["due"] == [{"amount": "8.00", "currency": "USD"}]

        # A sale whose commission is all held makes nothing due: no event.
        held = await create_product(live.gql, name="Held", milestones=[{"percent": "100", "delayDays": 30}])
        await record_sale(live.gql, externalId="o-3", productId=held, affiliateId=ann)
        await events.nothing_within(0.5)


async def test_a_maturity_is_announced_within_two_seconds_without_any_request(live: Live) -> None:
    """The one test that waits for real time: the clock wakes at a real release instant on its own.

    The sale is recorded a minute before its release (a busy machine cannot pass it first), then time is
    moved to one real second before it: that second is waited for.
    """
    product = await create_product(live.gql, milestones=KARTRA)
    ann = await payable_affiliate(live.gql)
    async with subscribe(live.url, live.gql.token, ann) as events:
        await live.subscribed()
        occurred = live.clock() - timedelta(days=60) + timedelta(minutes=1)
        sale = await record_sale(
            live.gql, externalId="o-1", productId=product, affiliateId=ann, occurredAt=iso(occurred)
        )
        release = datetime.fromisoformat(sale["sale"]["installments"][1]["releaseAt"])
        assert (await events.next())["cause"] == "SALE_RECORDED"

        live.advance(release - live.clock() - timedelta(seconds=1))
        event = await events.next(within=10)  # no request is made meanwhile: the clock does it
        arrived = live.clock()
        assert event["cause"] == "MATURED"
        assert event["newlyDue"] == [{"amount": "6.01", "currency": "USD"}]
        assert event["due"] == [{"amount": "10.01", "currency": "USD"}]
        assert timedelta(0) <= arrived - release < timedelta(seconds=2), arrived - release
        assert datetime.fromisoformat(event["at"]) >= release
        await events.nothing_within(0.5)  # announced once


@pytest.mark.parametrize("bus_kind", BUSES)
async def test_the_maturity_clock_announces_a_release_once_on_every_bus(live: Live) -> None:
    """Time is moved past the release: the maturity clock, not a request, announces it, once."""
    product = await create_product(live.gql, milestones=KARTRA)
    ann = await payable_affiliate(live.gql)
    async with subscribe(live.url, live.gql.token, ann) as events:
        await live.subscribed()
        sale = await record_sale(live.gql, externalId="o-1", productId=product, affiliateId=ann)
        release = datetime.fromisoformat(sale["sale"]["installments"][1]["releaseAt"])
        assert (await events.next())["cause"] == "SALE_RECORDED"
        await events.nothing_within(0.3)  # 60 days to go

        live.advance(release - live.clock() + timedelta(seconds=1))
        event = await events.next()  # no request is made meanwhile: the clock does it
        assert event["cause"] == "MATURED"
        assert event["newlyDue"] == [{"amount": "6.01", "currency": "USD"}]
        assert event["due"] == [{"amount": "10.01", "currency": "USD"}]
        assert release <= datetime.fromisoformat(event["at"]) <= live.clock()
        await events.nothing_within(0.5)  # announced once


async def test_an_affiliate_token_only_ever_sees_its_own_events(live: Live) -> None:
    product = await create_product(live.gql, milestones=KARTRA)
    ann = await payable_affiliate(live.gql, "Ann Lee")
    bob = await payable_affiliate(live.gql, "Bob Ray")
    ann_token = await affiliate_token(ann)
    async with (
        subscribe(live.url, ann_token, bob) as ann_asking_for_bob,
        subscribe(live.url, ann_token) as ann_asking_for_all,
        subscribe(live.url, live.gql.token, bob) as admin_filtering_bob,
        subscribe(live.url, live.gql.token) as admin_all,
    ):
        await live.subscribed(4)
        await record_sale(live.gql, externalId="b-1", productId=product, affiliateId=bob)
        await record_sale(live.gql, externalId="a-1", productId=product, affiliateId=ann)
        assert (await ann_asking_for_bob.next())["affiliate"]["id"] == ann
        assert (await ann_asking_for_all.next())["affiliate"]["id"] == ann
        assert (await admin_filtering_bob.next())["affiliate"]["id"] == bob
        assert [(await admin_all.next())["affiliate"]["id"] for _ in range(2)] == [bob, ann]
        for subscription in (ann_asking_for_bob, ann_asking_for_all, admin_filtering_bob):
            await subscription.nothing_within(0.3)


@pytest.mark.parametrize(
    "payload", [None, {}, {"authorization": "Bearer wrong"}, {"authorization": "wrong"}, {"authorization": 42}]
)
async def test_a_missing_or_bad_token_is_refused_with_4403(live: Live, payload: dict[str, object] | None) -> None:
    async with connect(live.url, payload) as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    assert live.bus.subscriber_count == 0


async def test_an_invalid_affiliate_id_is_a_typed_error(live: Live) -> None:
    async with connect(live.url, {"authorization": f"Bearer {live.gql.token}"}) as ws:
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": 'subscription { payoutBecameDue(affiliateId: "nope") { cause } }'},
                }
            )
        )
        message = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert message["type"] in {"next", "error"}, message
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_disconnect_unsubscribes(live: Live) -> None:
    async with subscribe(live.url, live.gql.token):
        await live.subscribed()
    await eventually(lambda: live.bus.subscriber_count == 0)


async def test_a_slow_subscriber_loses_events_alone_and_publishing_never_waits() -> None:
    bus = Bus(queue_size=2)
    event = DueEvent(1, {"USD": 100}, {"USD": 100}, DueCause.SALE_RECORDED, datetime.now(UTC))
    async with bus.subscribe(None) as slow, bus.subscribe(1) as reader:
        received = []
        for _ in range(5):
            await asyncio.wait_for(bus.publish([event], changed=False), 0.1)  # full queues do not block
            received.append(await anext(reader))
        assert received == [event] * 5
        assert [await anext(slow), await anext(slow)] == [event, event]
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(anext(slow), 0.05)  # the other three were dropped


async def test_affiliate_sockets_sharing_executions_see_only_their_own_affiliate(live: Live) -> None:
    """Two sockets per AFFILIATE token share one execution per event; a token only ever shares with itself."""
    product = await create_product(live.gql, milestones=KARTRA)
    ann = await payable_affiliate(live.gql, "Ann Lee")
    bob = await payable_affiliate(live.gql, "Bob Ray")
    ann_token, bob_token = await affiliate_token(ann), await affiliate_token(bob)
    async with (
        subscribe(live.url, ann_token) as ann_1,
        subscribe(live.url, ann_token) as ann_2,
        subscribe(live.url, bob_token) as bob_1,
        subscribe(live.url, bob_token) as bob_2,
    ):
        await live.subscribed(4)
        await record_sale(live.gql, externalId="b-1", productId=product, affiliateId=bob)
        await record_sale(live.gql, externalId="a-1", productId=product, affiliateId=ann)
        for mine, owner in ((ann_1, ann), (ann_2, ann), (bob_1, bob), (bob_2, bob)):
            assert (await mine.next())["affiliate"]["id"] == owner
            await mine.nothing_within(0.3)
