"""Rule 18 in GraphQL: the SEPA debtor setting, export file formats, omitted rows, requestSepaFile."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry

from models.enums import ExportFileFormat, Role
from models.ledger import bank_files
from models.tables.exports import payment_reference
from models.tables.program import SETTINGS_ID, ProgramSettings
from schema.context import Info
from schema.described import described_enum
from schema.errors import Errors
from schema.ids import decode_id
from schema.loaders import load_existing
from schema.money import Money
from schema.permissions import ProgramWide, mutation

if TYPE_CHECKING:
    from schema.affiliates import Affiliate
    from schema.payments import ExportFile

described_enum(
    ExportFileFormat,
    "ExportFileFormat",
    "The format of an export file (rule 18).",
    CSV="CSV with a header row (BANK_WIRE and CHECK groups).",
    PAYPAL_BULK="PayPal Payouts bulk upload: no header, six columns (PAYPAL groups).",
    SEPA_PAIN_001_001_09="SEPA credit transfer initiation, ISO 20022 pain.001.001.09 XML (BANK_WIRE, EUR rows "
    "with a SEPA IBAN).",
    WISE_BATCH_CSV="Wise batch payment CSV, the 'send to bank accounts' template with an IBAN column (BANK_WIRE, "
    "EUR rows with an IBAN).",
)


@strawberry.type(
    description="A row of the group that a SEPA or Wise file leaves out, with why (the group's CSV still has it)."
)
class OmittedExportRow(ProgramWide):
    reference: str = strawberry.field(description="The row's payment reference, `PD-<export>-<row>`.")
    amount: Money = strawberry.field(description="What the row pays.")
    reason: str = strawberry.field(
        description='Why it is not in this file (e.g. "no IBAN", "IBAN country TR is outside SEPA").'
    )
    affiliate_id: strawberry.Private[int]

    @strawberry.field(description="The payee of the row.")
    async def affiliate(self, info: Info) -> Annotated[Affiliate, strawberry.lazy("schema.affiliates")]:
        from schema.affiliates import Affiliate

        return Affiliate.of(await load_existing(info.context.loaders.affiliate_by_id, self.affiliate_id))


async def omitted_rows_of(export_id: int, file_id: int) -> list[OmittedExportRow]:
    """The rows a SEPA or Wise file leaves out (listed on its part 1), in row order."""
    from models.tables.exports import ExportRow

    links = await bank_files.omitted_rows(file_id).order_by("row_id").values_list("row_id", "omitted_reason")
    rows = {
        r["id"]: r
        for r in await ExportRow.filter(id__in=[i for i, _ in links]).values("id", "affiliate_id", "amount", "currency")
    }
    return [
        OmittedExportRow(
            reference=payment_reference(export_id, row_id),
            amount=Money.of(rows[row_id]["amount"], rows[row_id]["currency"]),
            reason=str(reason),
            affiliate_id=rows[row_id]["affiliate_id"],
        )
        for row_id, reason in links
    ]


@strawberry.type(description="The merchant's account that SEPA files debit (rule 18). The IBAN is shown masked.")
class SepaDebtor(ProgramWide):
    name: str = strawberry.field(description="Debtor and initiating party name (EPC character set, at most 70).")
    iban_masked: str = strawberry.field(description='The debtor IBAN, masked: "IBAN ****3000".')
    bic: str = strawberry.field(description="The debtor bank's BIC (8 or 11 characters).")
    town_name: str = strawberry.field(description="Town name of the debtor's address.")
    country: str = strawberry.field(description="Country of the debtor's address (ISO 3166 alpha-2).")
    postal_code: str | None = strawberry.field(description="Postal code, if any.")
    address_line1: str | None = strawberry.field(description="First address line (street and number), if any.")
    address_line2: str | None = strawberry.field(description="Second address line, if any.")

    @classmethod
    def of(cls, debtor: dict[str, str] | None) -> SepaDebtor | None:
        if not debtor:
            return None
        return cls(
            name=debtor["name"],
            iban_masked=f"IBAN ****{debtor['iban'][-4:]}",
            bic=debtor["bic"],
            town_name=debtor["townName"],
            country=debtor["country"],
            postal_code=debtor.get("postalCode"),
            address_line1=debtor.get("addressLine1"),
            address_line2=debtor.get("addressLine2"),
        )


async def sepa_settings() -> ProgramSettings:
    """The settings row (rule 18's columns): the defaults when it was never written."""
    return await ProgramSettings.get_or_none(id=SETTINGS_ID) or ProgramSettings(id=SETTINGS_ID)


@strawberry.input(description="The SEPA debtor account to set (rule 18).")
class SepaDebtorInput:
    name: str = strawberry.field(
        description="Debtor name: 1-70 characters of the EPC character set after transliteration."
    )
    iban: str = strawberry.field(description="A valid IBAN of a SEPA country (spaces allowed).")
    bic: str = strawberry.field(description="A valid BIC (8 or 11 characters).")
    town_name: str = strawberry.field(description="Town name (1-35 characters).")
    country: str = strawberry.field(description="ISO 3166 alpha-2 country code.")
    postal_code: str | None = strawberry.field(default=None, description="Postal code (at most 16 characters).")
    address_line1: str | None = strawberry.field(default=None, description="Address line 1 (at most 70 characters).")
    address_line2: str | None = strawberry.field(default=None, description="Address line 2 (at most 70 characters).")

    def to_dict(self) -> dict[str, str | None]:
        return {
            "name": self.name,
            "iban": self.iban,
            "bic": self.bic,
            "townName": self.town_name,
            "country": self.country,
            "postalCode": self.postal_code,
            "addressLine1": self.address_line1,
            "addressLine2": self.address_line2,
        }


@strawberry.type(description="The SEPA file(s) made for the requested execution date.")
class RequestSepaFileSuccess:
    files: list[Annotated[ExportFile, strawberry.lazy("schema.payments")]] = strawberry.field(
        description="The new file (several parts when the rows exceed sepaMaxTransactionsPerFile), or the "
        "existing ones for that date."
    )


RequestSepaFilePayload = Annotated[
    RequestSepaFileSuccess | Errors,
    strawberry.union("RequestSepaFilePayload", description="The result of requestSepaFile."),
]


@strawberry.type
class BankFileMutations:
    @strawberry.mutation(
        description="Make the export's SEPA file for another execution date (ADMIN); earlier SEPA files of the "
        "export become superseded."
    )
    @mutation(Role.ADMIN)
    async def request_sepa_file(
        self,
        info: Info,
        export_id: Annotated[strawberry.ID, strawberry.argument(description="The export.")],
        execution_date: Annotated[
            date,
            strawberry.argument(description="The requested execution date: not in the past, at most 365 days ahead."),
        ],
    ) -> RequestSepaFilePayload:
        from schema.payments import ExportFile

        ctx = info.context
        files = await bank_files.request_sepa_file(
            ctx.principal.actor,
            ctx.now,
            ctx.cipher,
            export_id=decode_id(export_id, "PaymentExport", "exportId"),
            execution_date=execution_date,
        )
        return RequestSepaFileSuccess(files=[ExportFile.of(f) for f in files])
