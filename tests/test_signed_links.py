"""Signed download links (operations.md, second release): a plain browser link fetches an export file.

Only a `downloadUrl` read with an ADMIN token is signed; it works without a header for 15 minutes,
for one file; tampered, expired and other-file links are 403; downloads stay audited.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from models.enums import Role
from models.ledger import access
from models.signed_links import LIFETIME, LinkSigner, SignedLink
from models.tables.audit import AuditEntry
from tests.api import create_product, due_affiliate, export
from tests.clients import SECRET_KEY, GraphQLClient

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
FILES = "{ paymentExports { edges { node { groups { files { downloadUrl } } } } } }"


def link_of(url: str) -> SignedLink:
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    return SignedLink(expires=query["expires"], by=query["by"], signature=query["signature"])


def with_params(url: str, **changes: str) -> str:
    path, _, query = url.partition("?")
    params = {k: v[0] for k, v in parse_qs(query).items()}
    return f"{path}?{urlencode({**params, **changes})}"


def test_a_link_is_valid_for_fifteen_minutes_for_its_file_only() -> None:
    signer = LinkSigner(SECRET_KEY)
    url = signer.url(7, "admin-token", NOW)
    assert urlsplit(url).path == "/exports/files/7"
    link = link_of(url)
    assert LIFETIME == timedelta(minutes=15)
    assert signer.check(7, link, NOW)
    assert signer.check(7, link, NOW + LIFETIME - timedelta(seconds=1))
    assert not signer.check(7, link, NOW + LIFETIME)  # expired
    assert not signer.check(8, link, NOW)  # another file
    assert not LinkSigner(SECRET_KEY.replace("0", "1")).check(7, link, NOW)  # another server's key


@pytest.mark.parametrize(
    "tamper",
    [
        {"expires": "9999999999"},  # a later expiry
        {"by": "token:1"},  # another issuer
        {"signature": "A" * 43},
        {"signature": ""},
        {"expires": "-1"},
        {"expires": "1" * 300},
    ],
)
def test_a_tampered_link_is_refused(tamper: dict[str, str]) -> None:
    signer = LinkSigner(SECRET_KEY)
    link = link_of(signer.url(7, "admin-token", NOW))
    assert not signer.check(7, SignedLink(**{**vars(link), **tamper}), NOW)


async def file_url(gql: GraphQLClient) -> str:
    product = await create_product(gql)
    await due_affiliate(gql, product, "Ann Lee", "ann-1")
    result = await export(gql, scope="PREFERRED")
    return str(result["export"]["groups"][0]["files"][0]["downloadUrl"])


async def test_an_admin_reads_a_signed_link_that_downloads_without_a_header(
    gql: GraphQLClient, client: httpx.AsyncClient
) -> None:
    url = await file_url(gql)
    assert "signature=" in url and "expires=" in url
    response = await client.get(url)  # no Authorization header at all: a plain browser link
    assert response.status_code == 200, response.text
    assert "ann.pay@example.com" in response.text
    assert response.headers["content-disposition"].startswith("attachment;")
    entry = await AuditEntry.filter(action="downloadExportFile").order_by("-id").first()
    assert entry is not None and entry.actor == "admin-token"
    assert entry.details["via"] == "signedLink"
    # the bearer header keeps working on the plain path
    plain = url.partition("?")[0]
    assert (await client.get(plain, headers={"Authorization": f"Bearer {gql.token}"})).status_code == 200
    assert (await client.get(plain)).status_code == 401


async def test_a_viewer_reads_a_plain_link_that_refuses_viewer_bearers(
    gql: GraphQLClient, client: httpx.AsyncClient
) -> None:
    await file_url(gql)
    _, viewer = await access.create_token("test", Role.VIEWER)
    url = (await gql.as_token(viewer).ok(FILES))["paymentExports"]["edges"][0]["node"]["groups"][0]["files"][0][
        "downloadUrl"
    ]
    assert "?" not in url and url.startswith("/exports/files/")
    assert (await client.get(url)).status_code == 401
    assert (await client.get(url, headers={"Authorization": f"Bearer {viewer}"})).status_code == 403
    assert (await client.get(url, headers={"Authorization": f"Bearer {gql.token}"})).status_code == 200


async def test_tampered_expired_and_other_file_links_are_403(gql: GraphQLClient, client: httpx.AsyncClient) -> None:
    url = await file_url(gql)
    signature = link_of(url).signature
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]
    file_id = int(urlsplit(url).path.rsplit("/", 1)[1])
    expired = LinkSigner(SECRET_KEY).url(file_id, "admin-token", datetime.now(UTC) - LIFETIME - timedelta(seconds=1))
    other_file = url.replace(f"/exports/files/{file_id}?", f"/exports/files/{file_id + 1}?")
    for bad in (
        with_params(url, signature=flipped),
        with_params(url, expires="9999999999"),
        expired,
        other_file,
        with_params(url, by="token:1"),
    ):
        response = await client.get(bad)
        assert response.status_code == 403, (bad, response.text)
        assert "ann.pay" not in response.text
    assert await AuditEntry.filter(action="downloadExportFile").count() == 0


async def test_a_link_dies_with_the_admin_token_that_read_it(gql: GraphQLClient, client: httpx.AsyncClient) -> None:
    await file_url(gql)
    row, admin = await access.create_token("test", Role.ADMIN)
    url = (await gql.as_token(admin).ok(FILES))["paymentExports"]["edges"][0]["node"]["groups"][0]["files"][0][
        "downloadUrl"
    ]
    assert link_of(url).by == f"token:{row.id}"
    assert (await client.get(url)).status_code == 200
    await access.revoke_token("test", datetime.now(UTC), token_id=row.id)
    assert (await client.get(url)).status_code == 403
