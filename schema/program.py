"""Program settings: minimum sales, minimum payout per currency, default milestones."""

from __future__ import annotations

from typing import Annotated

import strawberry

from models.enums import DueCause, Role
from models.ledger import program
from models.ledger.bank_files import SepaSettings, checked_sepa_settings, update_sepa_settings
from models.rules.status import ProgramRules
from schema.bank_files import SepaDebtor, SepaDebtorInput, sepa_settings
from schema.context import Info
from schema.errors import Errors
from schema.money import Money, MoneyInput, money_list
from schema.permissions import CanReadAll, ProgramWide, mutation
from schema.products import Milestone, MilestoneInput, milestone_pairs
from schema.tax import TaxThreshold, TaxThresholdInput, tax_settings_change, threshold_list


@strawberry.type(description="Program-wide payout requirements (payout-rules.md 6).")
class ProgramSettings(ProgramWide):
    minimum_sales: int = strawberry.field(
        description="Sales an affiliate needs (salesCount) before being DUE; 0: none."
    )
    minimum_payout: list[Money] = strawberry.field(
        description="The smallest due amount paid out, per currency; a currency not listed has no minimum."
    )
    default_milestones: list[Milestone] = strawberry.field(
        description="The payout schedule of products without their own (default: 100% after 0 days)."
    )
    tax_form_required: bool = strawberry.field(
        description="When true, a payee needs a valid tax form on file before any payout (rule 17)."
    )
    tax_reporting_thresholds: list[TaxThreshold] = strawberry.field(
        description="The USD reporting threshold per calendar year: the program's entries plus the defaults "
        "(rule 17), by year."
    )
    tax_time_zone: str = strawberry.field(
        description="The IANA time zone whose calendar years the tax figures use (rule 17.2), e.g. "
        '"America/Los_Angeles"; default "UTC".'
    )

    @strawberry.field(description="The account SEPA files debit; null: no SEPA files are made.")
    async def sepa_debtor(self) -> SepaDebtor | None:
        return SepaDebtor.of((await sepa_settings()).sepa_debtor)

    @strawberry.field(
        description="At most this many transactions per SEPA file; more rows go to further parts (default 5000)."
    )
    async def sepa_max_transactions_per_file(self) -> int:
        return (await sepa_settings()).sepa_max_transactions_per_file

    @classmethod
    def of(cls, rules: ProgramRules) -> ProgramSettings:
        return cls(
            minimum_sales=rules.minimum_sales,
            minimum_payout=money_list(dict(rules.minimum_payout)),
            default_milestones=[Milestone.of(m) for m in rules.default_milestones],
            tax_form_required=rules.tax_form_required,
            tax_reporting_thresholds=threshold_list(rules),
            tax_time_zone=rules.tax_time_zone,
        )


@strawberry.type
class ProgramQueries:
    @strawberry.field(permission_classes=[CanReadAll], description="The program's payout requirements.")
    async def program_settings(self, info: Info) -> ProgramSettings:
        return ProgramSettings.of(await info.context.loaders.program())


@strawberry.input(description="Changes to the program settings: only the fields given change.")
class UpdateProgramSettingsInput:
    minimum_sales: int | None = strawberry.field(default=None, description="Sales needed before being DUE (>= 0).")
    minimum_payout: list[MoneyInput] | None = strawberry.field(
        default=None, description="The minimum payout per currency, replacing the whole list; [] removes every minimum."
    )
    default_milestones: list[MilestoneInput] | None = strawberry.field(
        default=None, description="The default payout schedule (percents add up to 100); applies to later sales."
    )
    tax_form_required: bool | None = strawberry.field(
        default=None, description="Require a valid tax form before any payout (rule 17)."
    )
    tax_reporting_thresholds: list[TaxThresholdInput] | None = strawberry.field(
        default=None,
        description="Thresholds to set, by year (other years keep theirs; a year given twice is VALIDATION).",
    )
    tax_time_zone: str | None = strawberry.field(
        default=None,
        description="The IANA time zone of the tax calendar year (rule 17.2); an unknown name is VALIDATION.",
    )
    sepa_debtor: SepaDebtorInput | None = strawberry.field(default=None, description="Set the SEPA debtor account.")
    clear_sepa_debtor: bool | None = strawberry.field(
        default=None,
        description="true: remove the SEPA debtor account (no SEPA files from then on); not with sepaDebtor.",
    )
    sepa_max_transactions_per_file: int | None = strawberry.field(
        default=None, description="Transactions per SEPA file, 1 to 100000."
    )


@strawberry.type(description="The answer when updateProgramSettings succeeded.")
class UpdateProgramSettingsSuccess:
    settings: ProgramSettings = strawberry.field(description="The settings as they are now.")


UpdateProgramSettingsPayload = Annotated[
    UpdateProgramSettingsSuccess | Errors,
    strawberry.union("UpdateProgramSettingsPayload", description="The new settings, or why not."),
]


@strawberry.type
class ProgramMutations:
    @strawberry.mutation(description="Change the payout requirements (ADMIN); statuses are recomputed at once.")
    @mutation(Role.ADMIN)
    async def update_program_settings(
        self, info: Info, input: Annotated[UpdateProgramSettingsInput, strawberry.argument(description="The changes.")]
    ) -> UpdateProgramSettingsPayload:
        ctx = info.context
        sepa = SepaSettings(
            None if input.sepa_debtor is None else input.sepa_debtor.to_dict(),
            bool(input.clear_sepa_debtor),
            input.sepa_max_transactions_per_file,
        )
        checked_sepa_settings(sepa)  # refused before anything else changes
        changed = await program.update_program_settings(
            ctx.principal.actor,
            ctx.now,
            minimum_sales=input.minimum_sales,
            minimum_payout=None if input.minimum_payout is None else [m.to_amount() for m in input.minimum_payout],
            default_milestones=milestone_pairs(input.default_milestones),
            tax=tax_settings_change(input.tax_form_required, input.tax_reporting_thresholds, input.tax_time_zone),
        )
        await update_sepa_settings(ctx.principal.actor, sepa)
        await ctx.announce(changed.transitions, DueCause.REQUIREMENTS_MET)
        return UpdateProgramSettingsSuccess(settings=ProgramSettings.of(changed.row.rules()))
