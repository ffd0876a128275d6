"""Disputes (rule 13): an open dispute holds the unpaid commission of its sale until it closes.

A sale remembers its disputes by id, so a `closed` that overtakes its `created` is not undone by
it, and a sale with two disputes stays held until both are closed.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from models.enums import DueCause
from models.ledger import audit
from models.ledger.announcements import announce_due
from models.ledger.balances import Changed, refresh_affiliates
from models.ledger.commissions import lock_sale_payees
from models.tables.sales import Installment, Sale

OPEN, CLOSED = "open", "closed"


async def _set_dispute(
    actor: str, now: datetime, action: str, sale_id: int, dispute_id: str, state: str
) -> Changed[Sale]:
    async with in_transaction():
        payees = await lock_sale_payees(sale_id)  # a dispute holds every commission of the sale (rule 16.5)
        sale = await Sale.get(id=sale_id)
        if state == CLOSED or sale.disputes.get(dispute_id) != CLOSED:
            sale.disputes = {**sale.disputes, dispute_id: state}
            await sale.save(update_fields=["disputes"])
        held = OPEN in sale.disputes.values()
        # Paid installments too: if their payout is voided during the dispute, they come back held.
        await Installment.filter(sale_id=sale.id).update(disputed=held)
        transitions = await refresh_affiliates(payees, now)
        await announce_due(transitions, DueCause.REQUIREMENTS_MET, now)
        await audit.record(actor, action, "Sale", sale.id, dispute=dispute_id, held=held)
    return Changed(sale, transitions)


async def open_dispute(actor: str, now: datetime, *, sale_id: int, dispute_id: str) -> Changed[Sale]:
    return await _set_dispute(actor, now, "openDispute", sale_id, dispute_id, OPEN)


async def close_dispute(actor: str, now: datetime, *, sale_id: int, dispute_id: str) -> Changed[Sale]:
    """Lift this dispute's hold whatever its outcome; a lost dispute's chargeback is booked by the caller."""
    return await _set_dispute(actor, now, "closeDispute", sale_id, dispute_id, CLOSED)
