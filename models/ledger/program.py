"""The program's settings: one change, every affiliate's status refreshed in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from tortoise.transactions import in_transaction

from models.enums import DueCause
from models.errors import Invalid
from models.ledger import audit
from models.ledger.announcements import announce_due
from models.ledger.balances import Changed, refresh_all
from models.ledger.tax import TaxSettings, apply_tax_settings
from models.rules.commission import milestones_to_json
from models.tables.program import SETTINGS_ID, ProgramSettings
from models.transactions import retried
from models.validation import Amount, milestones, minor

MAX_SALES_MINIMUM = 1_000_000


@retried
async def update_program_settings(
    actor: str,
    now: datetime,
    *,
    minimum_sales: int | None = None,
    minimum_payout: Sequence[Amount] | None = None,
    default_milestones: Sequence[tuple[Decimal, int]] | None = None,
    tax: TaxSettings | None = None,
) -> Changed[ProgramSettings]:
    """Change only the fields given; an empty minimumPayout list removes every minimum."""
    if minimum_sales is not None and not 0 <= minimum_sales <= MAX_SALES_MINIMUM:
        raise Invalid(f"minimumSales is between 0 and {MAX_SALES_MINIMUM}", "minimumSales")
    minimums: dict[str, int] | None = None
    if minimum_payout is not None:
        minimums = {}
        for i, amount in enumerate(minimum_payout):
            value = minor(amount, f"minimumPayout[{i}]", allow_zero=True)
            if amount.currency in minimums:
                raise Invalid(f"{amount.currency} is listed twice", f"minimumPayout[{i}].currency")
            if value:
                minimums[amount.currency] = value
    parsed = milestones(default_milestones, "defaultMilestones") if default_milestones is not None else None
    async with in_transaction():
        settings, _ = await ProgramSettings.get_or_create(id=SETTINGS_ID)
        changed: dict[str, object] = {}
        if minimum_sales is not None:
            settings.minimum_sales = changed["minimumSales"] = minimum_sales
        if minimums is not None:
            settings.minimum_payout = changed["minimumPayout"] = minimums
        if parsed is not None:
            settings.default_milestones = changed["defaultMilestones"] = milestones_to_json(parsed)
        if tax is not None:
            changed.update(await apply_tax_settings(settings, tax))
        await settings.save()
        transitions = await refresh_all(now)
        await announce_due(transitions, DueCause.REQUIREMENTS_MET, now)
        await audit.record(actor, "updateProgramSettings", "ProgramSettings", SETTINGS_ID, **changed)
    return Changed(settings, transitions)
