"""The SEPA credit transfer file (pain.001.001.09, rule 18.3), written as text a transaction at a time,
and its check against the ISO XSD that the `sepaxml` package ships.

sepaxml 2.7 draws MsgId and PmtInfId at random, so the document is written here; `xmlschema`
validates it against sepaxml's copy of the ISO schema, reading it lazily (constant memory).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any
from xml.sax.saxutils import escape

import xmlschema

from models.money import from_minor
from models.rules.bank_files import (
    LINE_LENGTH,
    NAME_LENGTH,
    POSTAL_CODE_LENGTH,
    TOWN_LENGTH,
    SepaVerdict,
    epc_text,
    sepa_message_id,
)

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
XSD = "pain.001.001.09.xsd"


class SepaFileInvalid(RuntimeError):
    """A SEPA file that does not validate: a bug, never served."""


@cache
def schema() -> xmlschema.XMLSchema:
    """The ISO 20022 pain.001.001.09 XSD as shipped in the sepaxml package."""
    with resources.as_file(resources.files("sepaxml") / "schemas" / XSD) as path:
        return xmlschema.XMLSchema(str(path))


def validate(head: str, transactions: Sequence[str]) -> None:
    """Raise SepaFileInvalid unless this part of a file is valid: its envelope (everything but the
    transactions: `head` and the tail) around these transactions, checked by the ISO XSD.

    A file checked in parts is checked whole: the schema's only repetition is CdtTrfTxInf (1..n) and
    it has no identity constraint across transactions.
    """
    error = next(schema().iter_errors(head + "".join(transactions) + DOCUMENT_TAIL), None)
    if error is not None:
        raise SepaFileInvalid(f"SEPA file does not validate against {XSD}: {error.reason} at {error.path}")


def _el(name: str, value: str) -> str:
    return f"<{name}>{escape(value)}</{name}>"


def _address(postal_code: str | None, town: str, state: str | None, country: str, lines: Iterable[str | None]) -> str:
    """A hybrid address: PstCd, TwnNm, CtrySubDvsn, Ctry, then up to two AdrLine (never unstructured)."""
    parts = []
    if postal_code and (code := epc_text(postal_code, POSTAL_CODE_LENGTH)):
        parts.append(_el("PstCd", code))
    parts.append(_el("TwnNm", epc_text(town, TOWN_LENGTH)))
    if state and (sub := epc_text(state, TOWN_LENGTH)):
        parts.append(_el("CtrySubDvsn", sub))
    parts.append(_el("Ctry", country.upper()))
    parts.extend(_el("AdrLine", text) for line in lines if line and (text := epc_text(line, LINE_LENGTH)))
    return f"<PstlAdr>{''.join(parts)}</PstlAdr>"


def _amount(minor: int) -> str:
    return str(from_minor(minor, "EUR"))


def document_head(
    export_id: int,
    execution_date: date,
    part: int,
    created_at: datetime,
    count: int,
    total: int,
    debtor: dict[str, str],
) -> str:
    """Everything before the first transaction: GrpHdr and the one PmtInf's own elements."""
    msg_id = sepa_message_id(export_id, execution_date, part)
    name = epc_text(debtor["name"], NAME_LENGTH)
    address = _address(
        debtor.get("postalCode"),
        debtor["townName"],
        None,
        debtor["country"],
        (debtor.get("addressLine1"), debtor.get("addressLine2")),
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="{NAMESPACE}"><CstmrCdtTrfInitn>'
        f"<GrpHdr>{_el('MsgId', msg_id)}{_el('CreDtTm', created_at.strftime('%Y-%m-%dT%H:%M:%S'))}"
        f"{_el('NbOfTxs', str(count))}{_el('CtrlSum', _amount(total))}<InitgPty>{_el('Nm', name)}</InitgPty></GrpHdr>"
        f"<PmtInf>{_el('PmtInfId', msg_id + '-P1')}<PmtMtd>TRF</PmtMtd><BtchBookg>true</BtchBookg>"
        f"{_el('NbOfTxs', str(count))}{_el('CtrlSum', _amount(total))}"
        "<PmtTpInf><SvcLvl><Cd>SEPA</Cd></SvcLvl></PmtTpInf>"
        f"<ReqdExctnDt>{_el('Dt', execution_date.isoformat())}</ReqdExctnDt>"
        f"<Dbtr>{_el('Nm', name)}{address}</Dbtr>"
        f"<DbtrAcct><Id>{_el('IBAN', debtor['iban'])}</Id></DbtrAcct>"
        f"<DbtrAgt><FinInstnId>{_el('BICFI', debtor['bic'])}</FinInstnId></DbtrAgt>"
        "<ChrgBr>SLEV</ChrgBr>"
    )


DOCUMENT_TAIL = "</PmtInf></CstmrCdtTrfInitn></Document>\n"


def transaction(reference: str, amount: int, details: dict[str, Any], verdict: SepaVerdict) -> str:
    """One CdtTrfTxInf: the row's reference end to end, its creditor, IBAN, BIC when on file."""
    agent = f"<CdtrAgt><FinInstnId>{_el('BICFI', verdict.bic)}</FinInstnId></CdtrAgt>" if verdict.bic else ""
    address = ""
    if details.get("beneficiaryCity") and details.get("beneficiaryCountry"):
        address = _address(
            details.get("beneficiaryPostalCode"),
            details["beneficiaryCity"],
            details.get("beneficiaryState"),
            details["beneficiaryCountry"],
            (details.get("beneficiaryAddressLine1"), details.get("beneficiaryAddressLine2")),
        )
    return (
        f"<CdtTrfTxInf><PmtId>{_el('EndToEndId', reference)}</PmtId>"
        f'<Amt><InstdAmt Ccy="EUR">{_amount(amount)}</InstdAmt></Amt>{agent}'
        f"<Cdtr>{_el('Nm', epc_text(details['accountHolder'], NAME_LENGTH))}{address}</Cdtr>"
        f"<CdtrAcct><Id>{_el('IBAN', verdict.iban)}</Id></CdtrAcct>"
        f"<RmtInf>{_el('Ustrd', 'Commission ' + reference)}</RmtInf></CdtTrfTxInf>"
    )
