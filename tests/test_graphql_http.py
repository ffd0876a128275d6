"""GraphQL over HTTP: `Accept: application/graphql-response+json` gets 400 for requests that never ran."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.clients import ADMIN_TOKEN

GRAPHQL_RESPONSE = "application/graphql-response+json"


async def post(client: httpx.AsyncClient, accept: str, query: str, **variables: Any) -> httpx.Response:
    return await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Accept": accept},
    )


BAD = {
    "GRAPHQL_PARSE_FAILED": ("{ products { ", {}),
    "GRAPHQL_VALIDATION_FAILED": ("{ products { noSuchField } }", {}),
    "variables": ("query($first: Int) { products(first: $first) { totalCount } }", {"first": "ten"}),
}


@pytest.mark.parametrize("case", BAD)
async def test_a_request_error_is_400_with_the_graphql_response_media_type(
    client: httpx.AsyncClient, case: str
) -> None:
    query, variables = BAD[case]
    for accept in (GRAPHQL_RESPONSE, f"{GRAPHQL_RESPONSE}, application/json;q=0.9"):
        response = await post(client, accept, query, **variables)
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == GRAPHQL_RESPONSE
        body = response.json()
        assert "data" not in body and body["errors"]
        if case != "variables":
            assert body["errors"][0]["extensions"]["code"] == case


@pytest.mark.parametrize("case", BAD)
async def test_with_plain_json_a_request_error_stays_200(client: httpx.AsyncClient, case: str) -> None:
    query, variables = BAD[case]
    for accept in ("application/json", "*/*", f"application/json, {GRAPHQL_RESPONSE};q=0"):
        response = await post(client, accept, query, **variables)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        assert response.json()["errors"]


async def test_an_executed_request_is_200_with_the_media_type_it_asked_for(client: httpx.AsyncClient) -> None:
    ok = await post(client, GRAPHQL_RESPONSE, "{ products { totalCount } }")
    assert ok.status_code == 200 and ok.headers["content-type"] == GRAPHQL_RESPONSE
    assert ok.json() == {"data": {"products": {"totalCount": 0}}}
    # a field error that nulls all of `data` still ran: 200, and `data` is there (null)
    field_error = await post(
        client, GRAPHQL_RESPONSE, "query($a: String) { auditLog(action: $a) { totalCount } }", a="x" * 500
    )
    assert field_error.status_code == 200, field_error.text
    assert field_error.json()["data"] is None and field_error.json()["errors"][0]["path"] == ["auditLog"]
