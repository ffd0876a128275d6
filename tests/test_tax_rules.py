"""Rule 17's pure rules: the section's worked examples, then properties (hypothesis)."""

from __future__ import annotations

import doctest
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.enums import Form1099Expectation, IncompleteReason, TaxClassification, TaxFormKind, TaxFormStatus, TinType
from models.rules import tax
from models.rules.commission import RuleError
from models.rules.tax import (
    AddressInput,
    CurrencyTotal,
    FormOnFile,
    ProfileInput,
    canonical_tin,
    checked_profile,
    form_1099_nec,
    formatted_tin,
    hold,
    masked_tin,
    threshold_entries,
    threshold_for,
    valid_until,
)

TODAY = date(2026, 12, 5)
US_ADDRESS = AddressInput("1 Main St", "Springfield", "US", state="IL", postal_code="62701")
W9 = ProfileInput(
    TaxFormKind.W9,
    "Jane Doe",
    US_ADDRESS,
    date(2026, 1, 10),
    tax_classification=TaxClassification.INDIVIDUAL_SOLE_PROPRIETOR,
    tin_type=TinType.SSN,
    tin="123-45-6789",
)
W8 = ProfileInput(
    TaxFormKind.W8BEN, "Jörg Müller", AddressInput("Hauptstr. 1", "Berlin", "DE"), date(2023, 6, 15), country="de"
)


def test_doctests() -> None:
    assert doctest.testmod(tax).failed == 0


@pytest.mark.parametrize(
    ("tin_type", "tin", "valid"),
    [
        (TinType.SSN, "123-45-6789", True),
        (TinType.SSN, "078-05-1120", False),
        (TinType.SSN, "666-12-3456", False),
        (TinType.ITIN, "912-70-1234", True),
        (TinType.ITIN, "912-93-1234", False),
        (TinType.EIN, "12-3456789", True),
        (TinType.EIN, "07-3456789", False),
        (TinType.SSN, "123 45 6789", True),
        (TinType.SSN, "12345678", False),
        (TinType.SSN, "12345678a", False),
        (TinType.FOREIGN, "DE 123/456.7-8", True),
        (TinType.FOREIGN, "x" * 31, False),
        (TinType.FOREIGN, "ab_c", False),
    ],
)
def test_the_sections_tins(tin_type: TinType, tin: str, valid: bool) -> None:
    if valid:
        assert canonical_tin(tin_type, tin)
    else:
        with pytest.raises(RuleError) as caught:
            canonical_tin(tin_type, tin)
        assert caught.value.field == "tin"


def test_a_w9_is_checked_masked_and_never_expires() -> None:
    profile = checked_profile(W9, TODAY)
    assert (profile.country, profile.tin, profile.tin_masked) == ("US", "123456789", "*****6789")
    assert profile.valid_until is None and profile.received_at == TODAY
    assert formatted_tin(TinType.SSN, "123456789") == "123-45-6789"
    assert formatted_tin(TinType.EIN, "123456789") == "12-3456789"


def test_a_w8ben_is_valid_to_the_end_of_the_third_year() -> None:
    profile = checked_profile(W8, TODAY)
    assert (profile.country, profile.valid_until, profile.tin) == ("DE", date(2026, 12, 31), None)
    assert tax.form_status(profile.valid_until, date(2026, 12, 31)) is TaxFormStatus.VALID
    assert tax.form_status(profile.valid_until, date(2027, 1, 1)) is TaxFormStatus.EXPIRED
    assert valid_until(TaxFormKind.W8BENE, date(2027, 1, 5)) == date(2030, 12, 31)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"country": "CA"}, "country"),
        ({"tin": None}, "tin"),
        ({"tin_type": TinType.FOREIGN}, "tinType"),
        ({"tax_classification": None}, "taxClassification"),
        ({"legal_name": " "}, "legalName"),
        ({"legal_name": "x" * 201}, "legalName"),
        ({"signed_at": date(1999, 12, 31)}, "signedAt"),
        ({"signed_at": date(2026, 12, 6)}, "signedAt"),
        ({"received_at": date(2026, 1, 9)}, "receivedAt"),
        ({"received_at": date(2026, 12, 6)}, "receivedAt"),
        ({"address": AddressInput("1 Main St", "Springfield", "US", state="IL")}, "address.postalCode"),
        ({"address": AddressInput("1 Main St", "Springfield", "USA")}, "address.country"),
    ],
)
def test_a_bad_w9_names_its_field(changes: dict[str, object], field: str) -> None:
    from dataclasses import replace

    with pytest.raises(RuleError) as caught:
        checked_profile(replace(W9, **changes), TODAY)  # type: ignore[arg-type]
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"country": None}, "country"),
        ({"country": "US"}, "country"),
        ({"tax_classification": TaxClassification.OTHER}, "taxClassification"),
        ({"business_name": "Acme"}, "businessName"),
        ({"tin": "12-3456789", "tin_type": TinType.SSN}, "tinType"),
        ({"tin": "12-3456789"}, "tinType"),
        ({"tin_type": TinType.FOREIGN}, "tin"),
    ],
)
def test_a_bad_w8_names_its_field(changes: dict[str, object], field: str) -> None:
    from dataclasses import replace

    with pytest.raises(RuleError) as caught:
        checked_profile(replace(W8, **changes), TODAY)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_the_hold_example() -> None:
    form = FormOnFile(TaxFormKind.W8BEN, date(2023, 6, 15), date(2026, 12, 31))
    assert hold(True, form, date(2026, 12, 31)) is None
    assert hold(True, form, date(2027, 1, 1)) == (
        IncompleteReason.TAX_FORM_EXPIRED,
        "W8BEN signed 2023-06-15 expired on 2026-12-31",
    )
    assert hold(False, None, date(2027, 1, 1)) is None
    assert hold(True, None, date(2027, 1, 1)) == (
        IncompleteReason.TAX_FORM_MISSING,
        "no tax form on file; a W-9 or W-8 is required before payment",
    )
    assert tax.expires_at(date(2026, 12, 31), "UTC") == datetime(2027, 1, 1, tzinfo=UTC)
    assert tax.expires_at(date(2026, 12, 31), "America/Los_Angeles") == datetime(2027, 1, 1, 8, tzinfo=UTC)


def test_thresholds_default_and_entries() -> None:
    assert tax.thresholds({}) == {2025: 60_000, 2026: 200_000}
    assert threshold_entries([(2027, Decimal("2100.00"))]) == {2027: 210_000}
    for bad, field in [
        ([(1999, Decimal("1"))], "taxReportingThresholds[0].year"),
        ([(2027, Decimal("0"))], "taxReportingThresholds[0].amount"),
        ([(2027, Decimal("1.005"))], "taxReportingThresholds[0].amount"),
        ([(2027, Decimal("1")), (2027, Decimal("2"))], "taxReportingThresholds[1].year"),
    ]:
        with pytest.raises(RuleError) as caught:
            threshold_entries(bad)
        assert caught.value.field == field
    with pytest.raises(RuleError):
        tax.check_time_zone("Mars/Olympus")
    assert tax.check_time_zone("America/Los_Angeles") == "America/Los_Angeles"


SOLE = FormOnFile(TaxFormKind.W9, date(2026, 1, 10), classification=TaxClassification.INDIVIDUAL_SOLE_PROPRIETOR)


def test_the_yearly_totals_example() -> None:
    usd = CurrencyTotal("USD", 240_000, 30_000, 5_000, 3)
    eur = CurrencyTotal("EUR", 10_000, 0, 0, 1)
    assert usd.other_paid == 210_000
    assert [t.currency for t in tax.ordered([eur, usd])] == ["USD", "EUR"]
    verdict, reason = form_1099_nec([usd, eur], 200_000, SOLE, TODAY)
    assert verdict is Form1099Expectation.EXPECTED
    assert reason == "USD 2100.00 paid outside PayPal, threshold USD 2000.00, W-9 INDIVIDUAL_SOLE_PROPRIETOR"
    lower = CurrencyTotal("USD", 220_000, 30_000, 5_000, 3)
    assert form_1099_nec([lower, eur], 200_000, SOLE, TODAY)[0] is Form1099Expectation.REVIEW
    assert form_1099_nec([lower], 200_000, SOLE, TODAY)[0] is Form1099Expectation.NOT_EXPECTED


def test_the_five_steps() -> None:
    usd = [CurrencyTotal("USD", 300_000, 0, 0, 1)]
    w8 = FormOnFile(TaxFormKind.W8BEN, date(2025, 1, 1), date(2028, 12, 31))
    corp = FormOnFile(TaxFormKind.W9, date(2025, 1, 1), classification=TaxClassification.LLC_S)
    expired = FormOnFile(TaxFormKind.W8BENE, date(2020, 1, 1), date(2023, 12, 31))
    assert form_1099_nec(usd, 200_000, w8, TODAY)[0] is Form1099Expectation.NOT_EXPECTED
    assert form_1099_nec(usd, 200_000, corp, TODAY)[0] is Form1099Expectation.NOT_EXPECTED
    assert form_1099_nec(usd, 200_000, None, TODAY)[0] is Form1099Expectation.REVIEW
    assert form_1099_nec(usd, 200_000, expired, TODAY)[0] is Form1099Expectation.REVIEW
    assert form_1099_nec(usd, 300_000, SOLE, TODAY)[0] is Form1099Expectation.EXPECTED  # "at least"


totals = st.builds(
    lambda cur, other, paypal, n: CurrencyTotal(cur, other + paypal, paypal, 0, n),
    st.sampled_from(["USD", "EUR", "JPY", "GBP"]),
    st.integers(0, 10**9),
    st.integers(0, 10**9),
    st.integers(1, 50),
)
forms = st.one_of(
    st.none(),
    st.builds(
        FormOnFile,
        st.sampled_from(list(TaxFormKind)),
        st.dates(date(2000, 1, 1), date(2030, 12, 31)),
        st.one_of(st.none(), st.dates(date(2003, 12, 31), date(2033, 12, 31))),
        st.one_of(st.none(), st.sampled_from(list(TaxClassification))),
    ),
)


@given(
    st.lists(totals, max_size=4, unique_by=lambda t: t.currency), forms, st.integers(1, 10**8), st.integers(0, 10**9)
)
def test_paypal_never_counts_toward_the_threshold(
    listed: list[CurrencyTotal], form: FormOnFile | None, threshold: int, more_paypal: int
) -> None:
    richer = [CurrencyTotal(t.currency, t.paid + more_paypal, t.paypal_paid + more_paypal, 0, 1) for t in listed]
    assert form_1099_nec(listed, threshold, form, TODAY)[0] is form_1099_nec(richer, threshold, form, TODAY)[0]


@given(st.text(min_size=1, max_size=30))
def test_a_mask_keeps_the_length_and_shows_at_most_four(tin: str) -> None:
    masked = masked_tin(tin)
    assert len(masked) == len(tin)
    assert len(masked.replace("*", "")) <= len(tin.replace("*", "")) and masked.endswith(
        tin[-4:] if len(tin) > 4 else "*"
    )


@given(st.dates(date(2000, 1, 1), date(2090, 12, 31)))
def test_a_w8_is_valid_at_least_three_years(signed: date) -> None:
    until = valid_until(TaxFormKind.W8BEN, signed)
    assert until is not None and until.month == 12 and until.day == 31
    assert until.year - signed.year == 3 and (until - signed).days >= 3 * 365


@given(st.integers(2000, 2100), st.dictionaries(st.integers(2000, 2100), st.integers(1, 10**9), max_size=5))
def test_a_year_takes_its_own_or_the_nearest_earlier_entry(year: int, entries: dict[int, int]) -> None:
    merged = tax.thresholds(entries)
    found = threshold_for(year, entries)
    earlier = [y for y in merged if y <= year]
    assert found == (merged[max(earlier)] if earlier else merged[min(merged)])
    if year in entries:
        assert found == entries[year]


FIELDS = {
    "legalName",
    "businessName",
    "taxClassification",
    "country",
    "tinType",
    "tin",
    "signedAt",
    "receivedAt",
    "address.line1",
    "address.city",
    "address.state",
    "address.postalCode",
    "address.country",
}


@given(
    st.sampled_from(list(TaxFormKind)),
    st.text(max_size=210),
    st.one_of(st.none(), st.sampled_from(list(TinType))),
    st.one_of(st.none(), st.text(max_size=40), st.from_regex(r"[0-9]{3}-[0-9]{2}-[0-9]{4}", fullmatch=True)),
    st.one_of(st.none(), st.text(max_size=3), st.sampled_from(["US", "de", "GB"])),
    st.one_of(st.none(), st.sampled_from(list(TaxClassification))),
    st.dates(date(1990, 1, 1), date(2030, 12, 31)),
)
def test_any_input_is_a_profile_or_names_its_field(
    kind: TaxFormKind,
    name: str,
    tin_type: TinType | None,
    tin: str | None,
    country: str | None,
    classification: TaxClassification | None,
    signed: date,
) -> None:
    given_input = ProfileInput(
        kind, name, US_ADDRESS, signed, tax_classification=classification, country=country, tin_type=tin_type, tin=tin
    )
    try:
        profile = checked_profile(given_input, TODAY)
    except RuleError as e:
        assert e.field in FIELDS
        assert tin is None or len(tin.strip()) < 5 or tin.strip() not in str(e)  # a TIN is never echoed
        return
    assert profile.signed_at <= TODAY and (profile.kind is TaxFormKind.W9) == (profile.country == "US")
    if profile.tin is not None:
        assert profile.tin_masked == masked_tin(profile.tin)
