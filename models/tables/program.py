"""Program-wide settings: minimum sales, minimum payout per currency, default milestones."""

from __future__ import annotations

from decimal import Decimal

from tortoise import fields
from tortoise.models import Model

from models.money import canonical_percent
from models.rules.commission import DEFAULT_MILESTONES, Milestone
from models.rules.status import ProgramRules

SETTINGS_ID = 1


def milestones_to_json(milestones: list[Milestone] | tuple[Milestone, ...]) -> list[list[object]]:
    """Percents are kept as strings so JSON never turns them into floats."""
    return [[canonical_percent(m.percent), m.delay_days] for m in milestones]


def milestones_from_json(raw: list[list[object]] | None) -> tuple[Milestone, ...]:
    return tuple(Milestone(Decimal(str(p)), int(str(d))) for p, d in raw or [])


def default_milestones_json() -> list[list[object]]:
    return milestones_to_json(DEFAULT_MILESTONES)


class ProgramSettings(Model):
    """A single row (id 1) holding the payout requirements of the program."""

    id = fields.IntField(primary_key=True)
    minimum_sales = fields.IntField(default=0)
    minimum_payout: dict[str, int] = fields.JSONField(default=dict)  # currency -> minor units
    default_milestones: list[list[object]] = fields.JSONField(default=default_milestones_json)
    updated_at = fields.DatetimeField(auto_now=True)
    # Rule 17: hold payees without a valid tax form; thresholds entered (year -> USD cents); the tax calendar.
    tax_form_required = fields.BooleanField(default=False, db_default=False)
    tax_thresholds: dict[str, int] | None = fields.JSONField(null=True)
    tax_time_zone = fields.CharField(max_length=64, default="UTC", db_default="UTC")
    sepa_debtor: dict[str, str] | None = fields.JSONField(null=True)  # rule 18.3: the account SEPA files debit
    sepa_max_transactions_per_file = fields.IntField(default=5000, db_default=5000)

    class Meta:
        table = "program_settings"

    def rules(self) -> ProgramRules:
        return ProgramRules(
            minimum_sales=self.minimum_sales,
            minimum_payout=dict(self.minimum_payout),
            default_milestones=milestones_from_json(self.default_milestones) or DEFAULT_MILESTONES,
            tax_form_required=self.tax_form_required,
            tax_time_zone=self.tax_time_zone,
            tax_thresholds={int(year): int(cents) for year, cents in (self.tax_thresholds or {}).items()},
        )
