"""Program settings: minimum sales, minimum payout per currency, default milestones."""

from __future__ import annotations

from typing import Annotated

import strawberry

from models import ledger
from models.enums import DueCause, Role
from models.rules import ProgramRules
from schema.context import Info
from schema.errors import Errors
from schema.money import Money, MoneyInput, money_list
from schema.permissions import CanReadAll, ProgramWide, mutation
from schema.products import Milestone, MilestoneInput, milestone_pairs


@strawberry.type
class ProgramSettings(ProgramWide):
    minimum_sales: int
    minimum_payout: list[Money]
    default_milestones: list[Milestone]

    @classmethod
    def of(cls, rules: ProgramRules) -> ProgramSettings:
        return cls(
            minimum_sales=rules.minimum_sales,
            minimum_payout=money_list(dict(rules.minimum_payout)),
            default_milestones=[Milestone.of(m) for m in rules.default_milestones],
        )


@strawberry.type
class ProgramQueries:
    @strawberry.field(permission_classes=[CanReadAll])
    async def program_settings(self, info: Info) -> ProgramSettings:
        return ProgramSettings.of(await info.context.loaders.program())


@strawberry.input
class UpdateProgramSettingsInput:
    minimum_sales: int | None = None
    minimum_payout: list[MoneyInput] | None = None
    default_milestones: list[MilestoneInput] | None = None


@strawberry.type
class UpdateProgramSettingsSuccess:
    settings: ProgramSettings


UpdateProgramSettingsPayload = Annotated[
    UpdateProgramSettingsSuccess | Errors,
    strawberry.union("UpdateProgramSettingsPayload"),
]


@strawberry.type
class ProgramMutations:
    @strawberry.mutation
    @mutation(Role.ADMIN)
    async def update_program_settings(
        self, info: Info, input: UpdateProgramSettingsInput
    ) -> UpdateProgramSettingsPayload:
        ctx = info.context
        changed = await ledger.update_program_settings(
            ctx.principal.actor,
            ctx.now,
            minimum_sales=input.minimum_sales,
            minimum_payout=None if input.minimum_payout is None else [m.to_amount() for m in input.minimum_payout],
            default_milestones=milestone_pairs(input.default_milestones),
        )
        await ctx.announce(changed.transitions, DueCause.REQUIREMENTS_MET)
        return UpdateProgramSettingsSuccess(settings=ProgramSettings.of(changed.row.rules()))
