"""Rule 18 end to end: the SEPA debtor setting, SEPA and Wise files of an export (18.3's example),
requestSepaFile, file names and content types, and markAsPaid(exportFileId)."""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import os
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import xmlschema

from models.enums import Role
from models.ledger import bank_files
from models.ledger.sepa import SepaFileInvalid
from models.tables.exports import ExportFile
from models.tables.tokens import ApiToken, hash_token, new_token
from tests.api import ERROR, create_affiliate, create_product, details, export, pay, record_sale
from tests.clients import SECRET_KEY, GraphQLClient

ROOT = Path(__file__).resolve().parent.parent

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
DEBTOR = {
    "name": "Acme Software GmbH",
    "iban": "DE89 3704 0044 0532 0130 00",
    "bic": "COBADEFFXXX",
    "townName": "Berlin",
    "country": "DE",
    "postalCode": "10115",
    "addressLine1": "Invalidenstraße 1",
}
SETTINGS = f"""mutation($input: UpdateProgramSettingsInput!) {{ updateProgramSettings(input: $input) {{
  ... on UpdateProgramSettingsSuccess {{ settings {{ sepaMaxTransactionsPerFile
    sepaDebtor {{ name ibanMasked bic townName country postalCode addressLine1 addressLine2 }} }} }} {ERROR} }} }}"""
FILES = """query($id: ID!) { node(id: $id) { ... on PaymentExport { groups { method paid totals { amount currency }
  files { id format fileName executionDate paid superseded currency rows total { amount } downloadUrl
    omittedRows { reference reason amount { amount currency } affiliate { id } } } } } } }"""
REQUEST = f"""mutation($id: ID!, $date: Date!) {{ requestSepaFile(exportId: $id, executionDate: $date) {{
  ... on RequestSepaFileSuccess {{ files {{ id fileName executionDate superseded rows }} }} {ERROR} }} }}"""
PAY_FILE = f"""mutation($input: MarkAsPaidInput!) {{ markAsPaid(input: $input) {{
  ... on MarkAsPaidSuccess {{ payouts {{ amount {{ amount }} method }} skipped {{ reason }} }} {ERROR} }} }}"""


def xsd() -> xmlschema.XMLSchema:
    """The ISO XSD as the sepaxml package ships it: the tests check every SEPA file against it themselves."""
    with resources.as_file(resources.files("sepaxml") / "schemas" / "pain.001.001.09.xsd") as path:
        return xmlschema.XMLSchema(str(path))


async def download(client: Any, url: str) -> Any:
    response = await client.get(url, headers={"Authorization": "Bearer test-admin-token"})
    assert response.status_code == 200, response.text
    return response


async def sepa_document(client: Any, url: str) -> ET.Element:
    response = await download(client, url)
    assert response.headers["content-type"] == "application/xml"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    xsd().validate(response.content.decode())
    return ET.fromstring(response.content)


async def export_files(gql: GraphQLClient, export_id: str) -> list[dict[str, Any]]:
    data = await gql.ok(FILES, id=export_id)
    return [f for g in data["node"]["groups"] for f in g["files"]]


async def example(gql: GraphQLClient) -> dict[str, str]:
    """18.3's example: four EUR bank-wire payees (and one USD one), due at once."""
    assert "settings" in (await gql.ok(SETTINGS, input={"sepaDebtor": DEBTOR}))["updateProgramSettings"]
    product = await create_product(gql, price={"amount": "123.40", "currency": "EUR"})  # 12.34 at 10%
    usd = await create_product(gql, name="Course US", price={"amount": "100.00", "currency": "USD"})
    payees = {
        "jorg": {"accountHolder": "Jörg Müller & Söhne", "iban": "FR1420041010050500013M02606", "swift": "PSSTFRPPLIL"},
        "anne": {
            "accountHolder": "Anne Dupont",
            "iban": "NL91ABNA0417164300",
            "beneficiaryAddressLine1": "Keizersgracht 1",
            "beneficiaryCity": "Amsterdam",
            "beneficiaryPostalCode": "1015 CJ",
            "beneficiaryCountry": "NL",
        },
        "emre": {"accountHolder": "Emre Yilmaz", "iban": "TR330006100519786457841326"},
        "paul": {"accountHolder": "Paul Roe", "accountNumber": "12345678", "routingNumber": "021000021"},
    }
    ids = {}
    for n, (name, bank) in enumerate(payees.items()):
        ids[name] = await create_affiliate(gql, name.title())
        await details(gql, ids[name], bankWire={"country": "DE", **bank})
        await record_sale(gql, externalId=f"s-{name}", productId=product, affiliateId=ids[name])
        if n == 0:
            await record_sale(gql, externalId="s-usd", productId=usd, affiliateId=ids[name])
    return ids


async def test_debtor_setting_is_checked_and_masked(gql):
    data = await gql.ok(SETTINGS, input={"sepaDebtor": DEBTOR, "sepaMaxTransactionsPerFile": 2})
    settings = data["updateProgramSettings"]["settings"]
    assert settings["sepaMaxTransactionsPerFile"] == 2
    assert settings["sepaDebtor"] == {
        "name": "Acme Software GmbH",
        "ibanMasked": "IBAN ****3000",
        "bic": "COBADEFFXXX",
        "townName": "Berlin",
        "country": "DE",
        "postalCode": "10115",
        "addressLine1": "Invalidenstrasse 1",
        "addressLine2": None,
    }
    for bad, field in [
        ({**DEBTOR, "iban": "TR330006100519786457841326"}, "sepaDebtor.iban"),
        ({**DEBTOR, "iban": "DE89370400440532013001"}, "sepaDebtor.iban"),
        ({**DEBTOR, "bic": "COBAXXFF"}, "sepaDebtor.bic"),
        ({**DEBTOR, "townName": "x" * 36}, "sepaDebtor.townName"),
        ({**DEBTOR, "name": "&&&"}, "sepaDebtor.name"),
    ]:
        refused = (await gql.ok(SETTINGS, input={"sepaDebtor": bad, "minimumSales": 3}))["updateProgramSettings"]
        assert (refused["code"], refused["field"]) == ("VALIDATION", field), refused
    refused = (await gql.ok(SETTINGS, input={"sepaMaxTransactionsPerFile": 0}))["updateProgramSettings"]
    assert refused["field"] == "sepaMaxTransactionsPerFile"
    both = await gql.ok(SETTINGS, input={"sepaDebtor": DEBTOR, "clearSepaDebtor": True})
    assert both["updateProgramSettings"]["field"] == "clearSepaDebtor"
    unchanged = await gql.ok("{ programSettings { minimumSales sepaMaxTransactionsPerFile } }")
    assert unchanged["programSettings"] == {"minimumSales": 0, "sepaMaxTransactionsPerFile": 2}
    cleared = await gql.ok(SETTINGS, input={"clearSepaDebtor": True})
    assert cleared["updateProgramSettings"]["settings"]["sepaDebtor"] is None


async def test_the_sepa_and_wise_files_of_the_18_3_example(gql, client, clock):
    ids = await example(gql)
    run = clock().date() + timedelta(days=10)
    made = await export(gql, scope="PROVIDED", affiliateIds=list(ids.values()), executionDate=run.isoformat())
    export_id = made["export"]["id"]
    number = await gql.ok("{ paymentExports { edges { node { id } } } }")  # the export's own number:
    assert number["paymentExports"]["edges"][0]["node"]["id"] == export_id
    files = await export_files(gql, export_id)
    by_format = {f["format"]: f for f in files if f["currency"] == "EUR"}
    assert set(by_format) == {"CSV", "SEPA_PAIN_001_001_09", "WISE_BATCH_CSV"}
    e = by_format["CSV"]["fileName"].split("-")[1]
    sepa, wise = by_format["SEPA_PAIN_001_001_09"], by_format["WISE_BATCH_CSV"]
    assert sepa["fileName"] == f"export-{e}-bank_wire-EUR-sepa-{run.isoformat()}-1.xml"
    assert wise["fileName"] == f"export-{e}-bank_wire-EUR-wise-1.csv"
    assert (sepa["executionDate"], sepa["rows"], sepa["total"], sepa["superseded"]) == (
        run.isoformat(),
        2,
        {"amount": "24.68"},
        False,
    )
    assert [(o["reason"], o["affiliate"]["id"]) for o in sepa["omittedRows"]] == [
        ("IBAN country TR is outside SEPA", ids["emre"]),
        ("no IBAN", ids["paul"]),
    ]
    assert [(o["reason"], o["affiliate"]["id"]) for o in wise["omittedRows"]] == [("no IBAN", ids["paul"])]
    assert by_format["CSV"]["omittedRows"] == []
    # The group's totals count its rows once, whatever files repeat them.
    wire = next(g for g in (await gql.ok(FILES, id=export_id))["node"]["groups"] if g["method"] == "BANK_WIRE")
    assert {t["currency"]: t["amount"] for t in wire["totals"]} == {"EUR": "49.36", "USD": "10.00"}

    doc = await sepa_document(client, sepa["downloadUrl"])
    msg = f"PD-{e}-S{run:%Y%m%d}-1"
    assert doc.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId", namespaces=NS) == msg
    assert doc.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS) == "2"
    assert doc.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=NS) == "24.68"
    created = datetime.strptime(
        doc.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CreDtTm", namespaces=NS) or "", "%Y-%m-%dT%H:%M:%S"
    )
    assert abs(created.replace(tzinfo=UTC) - clock()) < timedelta(seconds=30)
    info = doc.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert info is not None
    assert info.findtext("p:PmtInfId", namespaces=NS) == f"{msg}-P1"
    assert info.findtext("p:ReqdExctnDt/p:Dt", namespaces=NS) == run.isoformat()
    assert info.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == "DE89370400440532013000"
    assert info.findtext("p:Dbtr/p:PstlAdr/p:TwnNm", namespaces=NS) == "Berlin"
    txs = info.findall("p:CdtTrfTxInf", NS)
    refs = [t.findtext("p:PmtId/p:EndToEndId", namespaces=NS) for t in txs]
    assert all(r and r.startswith(f"PD-{e}-") for r in refs)
    jorg, anne = txs
    assert jorg.findtext("p:Cdtr/p:Nm", namespaces=NS) == "Jorg Muller Sohne"
    assert jorg.findtext("p:CdtrAgt/p:FinInstnId/p:BICFI", namespaces=NS) == "PSSTFRPPLIL"
    assert jorg.find("p:Cdtr/p:PstlAdr", NS) is None
    assert jorg.findtext("p:RmtInf/p:Ustrd", namespaces=NS) == f"Commission {refs[0]}"
    assert anne.find("p:CdtrAgt", NS) is None
    assert anne.findtext("p:Amt/p:InstdAmt", namespaces=NS) == "12.34"
    address = anne.find("p:Cdtr/p:PstlAdr", NS)
    assert address is not None
    assert [c.tag.split("}")[1] for c in address] == ["PstCd", "TwnNm", "Ctry", "AdrLine"]

    response = await download(client, wise["downloadUrl"])
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="{wise["fileName"]}"'
    assert response.content.split(b"\r\n")[0] == (
        b"name,recipientEmail,paymentReference,referenceNumber,receiverType,amountCurrency,amount,"
        b"sourceCurrency,targetCurrency,IBAN"
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["name"], r["IBAN"], r["amount"], r["amountCurrency"]) for r in rows] == [
        ("Jörg Müller & Söhne", "FR1420041010050500013M02606", "12.34", "target"),
        ("Anne Dupont", "NL91ABNA0417164300", "12.34", "target"),
        ("Emre Yilmaz", "TR330006100519786457841326", "12.34", "target"),
    ]
    assert [r["paymentReference"] for r in rows[:2]] == refs
    csv_file = await download(client, by_format["CSV"]["downloadUrl"])
    assert csv_file.text.split("\r\n")[0] == (
        "reference,affiliate_id,account_holder,beneficiary_address_line1,beneficiary_address_line2,"
        "beneficiary_city,beneficiary_state,beneficiary_postal_code,beneficiary_country,iban,account_number,"
        "routing_number,swift,bank_name,bank_country,amount,currency,also_in"
    )


async def test_request_sepa_file_for_another_date(gql, client, clock):
    ids = await example(gql)
    later = f"{clock().date() + timedelta(days=30):%Y-%m-%d}"
    export_id = (await export(gql, scope="PROVIDED", affiliateIds=list(ids.values())))["export"]["id"]
    first = next(f for f in await export_files(gql, export_id) if f["format"] == "SEPA_PAIN_001_001_09")
    made = (await gql.ok(REQUEST, id=export_id, date=later))["requestSepaFile"]["files"]
    assert [(f["executionDate"], f["superseded"], f["rows"]) for f in made] == [(later, False, 2)]
    again = (await gql.ok(REQUEST, id=export_id, date=later))["requestSepaFile"]["files"]
    assert [f["id"] for f in again] == [made[0]["id"]]
    audit = await gql.ok('{ auditLog(action: "requestSepaFile") { edges { node { objectId details } } } }')
    assert [e["node"]["objectId"] for e in audit["auditLog"]["edges"]] == [export_id, export_id]
    files = {f["id"]: f for f in await export_files(gql, export_id)}
    assert files[first["id"]]["superseded"] is True and files[made[0]["id"]]["superseded"] is False
    doc = await sepa_document(client, files[made[0]["id"]]["downloadUrl"])
    assert doc.findtext("p:CstmrCdtTrfInitn/p:PmtInf/p:ReqdExctnDt/p:Dt", namespaces=NS) == later
    past = (await gql.ok(REQUEST, id=export_id, date=f"{clock().date() - timedelta(days=1):%Y-%m-%d}"))[
        "requestSepaFile"
    ]
    assert (past["code"], past["field"]) == ("VALIDATION", "executionDate")
    await gql.ok(SETTINGS, input={"clearSepaDebtor": True})
    gone = (await gql.ok(REQUEST, id=export_id, date=later[:-2] + "01"))["requestSepaFile"]
    assert gone["code"] == "SEPA_UNAVAILABLE"
    viewer = new_token()
    await ApiToken.create(token_hash=hash_token(viewer), role=Role.VIEWER)
    refused = await gql.as_token(viewer).ok(REQUEST, id=export_id, date=later)
    assert refused["requestSepaFile"]["code"] == "FORBIDDEN"


async def test_no_sepa_file_without_debtor_and_parts_split(gql, client, clock, monkeypatch):
    monkeypatch.setattr(bank_files, "WISE_MAX_ROWS", 1)
    ids = await example(gql)
    await gql.ok(SETTINGS, input={"sepaMaxTransactionsPerFile": 1})
    files = await export_files(
        gql, (await export(gql, scope="PROVIDED", affiliateIds=list(ids.values())))["export"]["id"]
    )
    names = sorted(f["fileName"].split("-", 2)[2] for f in files if f["format"] != "CSV")
    today = f"{clock():%Y-%m-%d}"
    assert names == [
        f"bank_wire-EUR-sepa-{today}-1.xml",
        f"bank_wire-EUR-sepa-{today}-2.xml",
        "bank_wire-EUR-wise-1.csv",
        "bank_wire-EUR-wise-2.csv",
        "bank_wire-EUR-wise-3.csv",
    ]
    for f in files:
        if f["format"] == "SEPA_PAIN_001_001_09":
            doc = await sepa_document(client, f["downloadUrl"])
            assert doc.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS) == "1"
    await gql.ok(SETTINGS, input={"clearSepaDebtor": True})
    await record_sale(
        gql,
        externalId="s-more",
        productId=await create_product(gql, name="B", price={"amount": "10.00", "currency": "EUR"}),
        affiliateId=ids["anne"],
    )
    later = await export_files(gql, (await export(gql, scope="PROVIDED", affiliateIds=[ids["anne"]]))["export"]["id"])
    assert [f["format"] for f in later] == ["CSV", "WISE_BATCH_CSV"]


async def test_mark_a_sepa_file_paid(gql):
    ids = await example(gql)
    export_id = (await export(gql, scope="PROVIDED", affiliateIds=list(ids.values())))["export"]["id"]
    files = await export_files(gql, export_id)
    sepa = next(f for f in files if f["format"] == "SEPA_PAIN_001_001_09")
    wise = next(f for f in files if f["format"] == "WISE_BATCH_CSV")
    bad = (await gql.ok(PAY_FILE, input={"exportFileId": sepa["id"], "method": "BANK_WIRE"}))["markAsPaid"]
    assert (bad["code"], bad["field"]) == ("VALIDATION", "method")
    paid = (await gql.ok(PAY_FILE, input={"exportFileId": sepa["id"]}))["markAsPaid"]
    assert paid["payouts"] == [{"amount": {"amount": "12.34"}, "method": "BANK_WIRE"}] * 2
    again = (await gql.ok(PAY_FILE, input={"exportFileId": sepa["id"]}))["markAsPaid"]
    assert again["code"] == "ALREADY_PAID"
    by_id = {f["id"]: f for f in await export_files(gql, export_id)}
    assert by_id[sepa["id"]]["paid"] is True and by_id[wise["id"]]["paid"] is False
    # The Wise file shares two of its three rows with the SEPA file: only the third is paid.
    wise_paid = (await gql.ok(PAY_FILE, input={"exportFileId": wise["id"]}))["markAsPaid"]
    assert len(wise_paid["payouts"]) == 1 and len(wise_paid["skipped"]) == 2
    assert all("already settled since the export" in s["reason"] for s in wise_paid["skipped"])
    group = await pay(gql, exportId=export_id, method="BANK_WIRE", currency="EUR")
    assert len(group["payouts"]) == 1 and len(group["skipped"]) == 3  # paul's row alone is left
    assert all(f["paid"] for f in await export_files(gql, export_id) if f["currency"] == "EUR")


@pytest.mark.parametrize("field", ["exportId", "currency"])
async def test_export_file_id_alone(gql, field):
    value = {"exportId": "UGF5bWVudEV4cG9ydDox", "currency": "EUR"}[field]
    refused = (await gql.ok(PAY_FILE, input={"exportFileId": "RXhwb3J0RmlsZTox", field: value}))["markAsPaid"]
    assert (refused["code"], refused["field"]) == ("VALIDATION", field)


async def run_cli(database_url: str, *args: str) -> tuple[int, str]:
    env = {**os.environ, "PAYOUTS_DATABASE_URL": database_url, "PAYOUTS_SECRET_KEY": SECRET_KEY}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", *args, cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
    )
    _, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, err.decode()


async def test_cli_export_writes_the_sepa_and_wise_files(gql, database_url, tmp_path, clock):
    await example(gql)
    out = tmp_path / "files"
    past = f"{clock().date() - timedelta(days=1):%Y-%m-%d}"
    code, err = await run_cli(
        database_url, "export", "--scope", "PROVIDED", "--out", str(out), "--execution-date", past
    )
    assert code == 2 and "in the past" in err and not list(out.iterdir())
    run = f"{clock().date() + timedelta(days=3):%Y-%m-%d}"
    code, err = await run_cli(database_url, "export", "--scope", "PROVIDED", "--out", str(out), "--execution-date", run)
    assert code == 0, err
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "export-1-bank_wire-EUR-1.csv",
        f"export-1-bank_wire-EUR-sepa-{run}-1.xml",
        "export-1-bank_wire-EUR-wise-1.csv",
        "export-1-bank_wire-USD-1.csv",
    ]
    xsd().validate(str(out / names[1]))
    assert (out / names[2]).read_bytes().startswith(b"name,recipientEmail,paymentReference,")


def test_the_documented_examples_are_valid():
    examples = ROOT / "docs" / "examples"
    sepa = sorted(examples.glob("*-sepa-*.xml"))
    assert sepa, "docs/examples holds a SEPA file"
    for path in sepa:
        xsd().validate(str(path))
    wise = sorted(examples.glob("*-wise-*.csv"))
    assert wise and all(p.read_bytes().startswith(b"name,recipientEmail,paymentReference,") for p in wise)


async def test_a_file_that_would_not_validate_is_never_served(gql, client):
    ids = await example(gql)
    export_id = (await export(gql, scope="PROVIDED", affiliateIds=list(ids.values())))["export"]["id"]
    sepa = next(f for f in await export_files(gql, export_id) if f["format"] == "SEPA_PAIN_001_001_09")
    file = await ExportFile.get(id=int(base64.urlsafe_b64decode(sepa["id"]).decode().split(":")[1]))
    file.debtor = {**(file.debtor or {}), "bic": "NOT A BIC"}  # as if a bug wrote it
    await file.save(update_fields=["debtor"])
    with pytest.raises(SepaFileInvalid):
        await client.get(sepa["downloadUrl"], headers={"Authorization": "Bearer test-admin-token"})
