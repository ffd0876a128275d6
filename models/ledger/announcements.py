"""Announcing what became payable from inside the change's own transaction (rules 10 and 19).

A transition that makes something payable is written, in the transaction of the change that caused
it, twice: as a bus outbox row (the `payoutBecameDue` event every server process relays to its
subscribers, server/pubsub.py) and as a `payout.became_due` webhook message. The row's id is set on
the transition (`bus_id`): after the commit the publisher sends the event under that id, and the
other processes, which also read the recent outbox rows on their own, deliver it once. A change that
rolls back announces nothing; a process killed between its commit and its publish loses nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from models.enums import DueCause
from models.ledger.webhooks import emit
from models.rules.status import Transition
from models.rules.webhook_events import became_due
from models.rules.webhooks import Event
from models.sql import insert_rows
from models.tables.outbox import BusMessage


def bus_message(transition: Transition, cause: DueCause, at: datetime) -> str:
    """The bus message of one transition: what server/pubsub.py encodes for one `DueEvent`."""
    event = {
        "affiliate": transition.affiliate_id,
        "newly_due": transition.newly_due,
        "due": {c: a for c, a in transition.after_due.items() if a},
        "cause": cause.value,
        "at": at.isoformat(),
    }
    return f'{{"changed":true,"events":[{json.dumps(event, separators=(",", ":"))}]}}'


async def announce_due(
    transitions: list[Transition], cause: DueCause, now: datetime, also: Callable[[], Sequence[Event]] | None = None
) -> None:
    """Write the announcements of these transitions (and the other webhook events `also` makes, made
    only if an endpoint is enabled) in the caller's transaction; the transitions that announce
    something get their outbox row's id, in place."""
    due = [i for i, t in enumerate(transitions) if t.newly_due]
    if due:
        messages = {bus_message(transitions[i], cause, now): i for i in due}
        conn = BusMessage._choose_db(True)
        rows = await insert_rows(
            conn, BusMessage, ("created_at", "message"), [(now, m) for m in messages], now, returning=("id", "message")
        )
        for row in rows:
            i = messages[row["message"]]
            transitions[i] = replace(transitions[i], bus_id=int(row["id"]))
    if due or also is not None:
        await emit(lambda: [*(also() if also else ()), *became_due(transitions, cause, now)])
