"""Rule 18's pure parts: IBAN and BIC checks (18.1's examples and messages), the EPC text, which rows
a SEPA or Wise file takes, execution dates and file names."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.enums import TaxClassification, TaxFormKind
from models.rules.bank_files import (
    checked_bic,
    checked_execution_date,
    checked_iban,
    epc_text,
    sepa_file_name,
    sepa_message_id,
    sepa_verdict,
    wise_file_name,
    wise_receiver_type,
    wise_verdict,
)
from models.rules.commission import RuleError
from tests.api import BANK, ERROR, create_affiliate


def refusal(check, value: str) -> str:
    with pytest.raises(RuleError) as e:
        check(value, "bankWire.x")
    assert e.value.field == "bankWire.x"
    return str(e.value)


def test_iban_examples_of_18_1():
    assert checked_iban("DE89 3704 0044 0532 0130 00", "f") == "DE89370400440532013000"
    assert checked_iban("de89370400440532013000", "f") == "DE89370400440532013000"
    assert refusal(checked_iban, "DE89370400440532013001") == "iban check digits are wrong"
    assert refusal(checked_iban, "DE00370400440532013000") == "iban check digits are wrong"
    assert refusal(checked_iban, "DE8937040044053201300") == "iban has the wrong length for DE: 21 of 22"
    assert refusal(checked_iban, "XX89370400440532013000") == "iban has an unknown country code XX"
    assert refusal(checked_iban, "DE89370400440532O13000") == "iban does not have the account format of DE"


def test_bic_examples_of_18_1():
    assert checked_bic("COBADEFFXXX", "f") == "COBADEFFXXX"
    assert checked_bic("COBADEFF", "f") == "COBADEFF"
    assert checked_bic("cobadeff", "f") == "COBADEFF"
    assert refusal(checked_bic, "COBADEFF1") == "swift has the wrong length: 9 (8 or 11 characters)"
    assert refusal(checked_bic, "COBAXXFF") == "swift has an unknown country code XX"
    assert "is not a BIC" in refusal(checked_bic, "COBA12FF")


@given(st.text(max_size=120))
def test_epc_text_keeps_only_the_epc_set(value):
    cleaned = epc_text(value, 70)
    assert len(cleaned) <= 70
    assert cleaned == cleaned.strip() and "  " not in cleaned
    assert all(c.isascii() and (c.isalnum() or c in "/-?:().,'+ ") for c in cleaned)


def test_epc_text_example():
    assert epc_text("Jörg Müller & Söhne", 70) == "Jorg Muller Sohne"
    assert epc_text("Ann " + "x" * 100, 70) == "Ann " + "x" * 66


def test_sepa_verdicts_of_the_18_3_example():
    holder = {"accountHolder": "Jörg Müller & Söhne"}
    ok = sepa_verdict({**holder, "iban": "FR1420041010050500013M02606", "swift": "PSSTFRPPLIL"}, 1234)
    assert (ok.reason, ok.iban, ok.bic) == (None, "FR1420041010050500013M02606", "PSSTFRPPLIL")
    assert sepa_verdict({**holder, "iban": "NL91ABNA0417164300"}, 500).bic == ""
    assert sepa_verdict({**holder, "iban": "TR330006100519786457841326"}, 700).reason == (
        "IBAN country TR is outside SEPA"
    )
    assert sepa_verdict({**holder, "accountNumber": "123"}, 900).reason == "no IBAN"
    assert sepa_verdict({**holder, "iban": "DE89370400440532013001"}, 900).reason == "IBAN invalid"
    assert sepa_verdict({**holder, "iban": "DE89370400440532013000", "swift": "COBA"}, 9).reason == "BIC invalid"
    assert sepa_verdict({**holder, "iban": "DE89370400440532013000"}, 100_000_000_000).reason == (
        "amount above 999,999,999.99"
    )
    assert sepa_verdict({"accountHolder": "&&&", "iban": "DE89370400440532013000"}, 9).reason is not None
    # Wise needs an IBAN only: any country.
    assert wise_verdict({"iban": "TR330006100519786457841326"}).reason is None


def test_execution_dates_and_names():
    today = date(2026, 11, 30)
    assert checked_execution_date(None, today) == today
    assert checked_execution_date(date(2027, 11, 30), today) == date(2027, 11, 30)
    for bad in (date(2026, 11, 29), date(2027, 12, 1)):
        with pytest.raises(RuleError) as e:
            checked_execution_date(bad, today)
        assert e.value.field == "executionDate"
    assert sepa_message_id(42, date(2026, 12, 1), 1) == "PD-42-S20261201-1"
    assert sepa_file_name(42, date(2026, 12, 1), 2) == "export-42-bank_wire-EUR-sepa-2026-12-01-2.xml"
    assert wise_file_name(42, 3) == "export-42-bank_wire-EUR-wise-3.csv"


UPDATE = f"""mutation($input: PaymentDetailsInput!) {{ updatePaymentDetails(input: $input) {{
  ... on UpdatePaymentDetailsSuccess {{ affiliate {{ paymentMethods {{ type summary }} }} }} {ERROR} }} }}"""


async def test_details_are_checked_when_saved(gql):
    ann = await create_affiliate(gql)
    for iban, swift, field, message in [
        ("DE89370400440532013001", "COBADEFF", "bankWire.iban", "iban check digits are wrong"),
        ("DE8937040044053201300", "COBADEFF", "bankWire.iban", "iban has the wrong length for DE: 21 of 22"),
        ("DE89370400440532013000", "COBAXXFF", "bankWire.swift", "swift has an unknown country code XX"),
        ("DE89370400440532013000", "COBADEFF1", "bankWire.swift", "swift has the wrong length: 9 (8 or 11 characters)"),
    ]:
        data = await gql.ok(UPDATE, input={"affiliateId": ann, "bankWire": {**BANK, "iban": iban, "swift": swift}})
        assert data["updatePaymentDetails"] == {"code": "VALIDATION", "message": message, "field": field}
    data = await gql.ok(
        UPDATE,
        input={"affiliateId": ann, "bankWire": {**BANK, "iban": "DE89 3704 0044 0532 0130 00", "swift": "cobadeff"}},
    )
    assert data["updatePaymentDetails"]["affiliate"]["paymentMethods"] == [
        {"type": "BANK_WIRE", "summary": "IBAN ****3000"}
    ]


def test_wise_receiver_type_follows_the_tax_form():
    assert wise_receiver_type(None, None) == "PERSON"
    assert wise_receiver_type(TaxFormKind.W8BEN, None) == "PERSON"
    assert wise_receiver_type(TaxFormKind.W8BENE, None) == "BUSINESS"
    assert wise_receiver_type(TaxFormKind.W9, TaxClassification.INDIVIDUAL_SOLE_PROPRIETOR) == "PERSON"
    assert wise_receiver_type(TaxFormKind.W9, TaxClassification.LLC_C) == "BUSINESS"
