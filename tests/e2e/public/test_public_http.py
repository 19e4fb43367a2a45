"""The public site over HTTP: no login, every page reachable from the index, personal data
masked, no internal field in any response, the look-up, the rate limit and the cache headers."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.e2e.public.conftest import ClientFactory
from tests.integration.disclosure.world import (
    COMPANY_CODE,
    COMPANY_NAME,
    EXPECTED_COMMITMENTS,
    INTERNAL,
    OTHER_NAME,
    PERSON_CODE,
    PERSON_MASKED,
    PERSON_NAME,
    PERSON_NAME_MASKED,
    World,
)
from utilcredit.policies.service import policy_at, policy_keys

pytestmark = pytest.mark.sqlite_only

# Internal ids and keys: none of them is public either.
INTERNAL_PATTERNS = [r"record:\d+", r"commitment:CN-", r"\bid-\d+", r"derivation", r"subject_id"]


def _links(html: str) -> set[str]:
    return set(re.findall(r'href="(/public/[^"]*)"', html))


def _crawl(client: TestClient) -> dict[str, str]:
    """Every public page reachable from the index (both languages), by URL."""
    seen: dict[str, str] = {}
    queue = ["/public/", "/public/?lang=en"]
    while queue:
        url = queue.pop().replace("&amp;", "&")
        if url in seen:
            continue
        response = client.get(url)
        assert response.status_code == 200, url
        seen[url] = response.text
        queue.extend(_links(response.text) - set(seen))
    return seen


def test_no_login_and_everything_is_linked_from_the_index(client: TestClient, world: World) -> None:
    pages = _crawl(client)
    for key in policy_keys():
        assert f"/public/policies/{key}" in pages
        assert f"/public/policies/{key}?lang=en" in pages
    for path in ("/public/commitments", "/public/records", "/public/lookup"):
        assert path in pages and f"{path}?lang=en" in pages
    assert "供水供电信用信息公示" in pages["/public/"]
    assert "Utility credit disclosure" in pages["/public/?lang=en"]


def test_the_console_still_needs_a_login(client: TestClient, world: World) -> None:
    assert client.get("/records", follow_redirects=False).status_code == 303
    assert client.get("/publicity", follow_redirects=False).status_code == 303
    assert client.get("/api/records").status_code == 401


def test_policy_pages_carry_the_issuer_date_and_every_clause(
    client: TestClient, world: World
) -> None:
    for key in policy_keys():
        policy = policy_at(key, None).policy
        html = client.get(f"/public/policies/{key}").text
        assert policy.issuer is not None and policy.issuer in html
        assert policy.effective_from.isoformat() in html
        for clause in policy.clauses:
            assert clause.text.replace("&", "&amp;").replace("<", "&lt;") in html, clause.id
    assert client.get("/public/policies/no-such-policy").status_code == 404


def test_entries_are_masked(client: TestClient, world: World) -> None:
    records = client.get("/public/records").text
    commitments = client.get("/public/commitments").text
    for html in (records, commitments):
        assert PERSON_MASKED in html and PERSON_NAME_MASKED in html
        assert COMPANY_CODE in html or "CN-LASTING-1" in html
    assert COMPANY_NAME in records and COMPANY_CODE in records
    for code in EXPECTED_COMMITMENTS:
        assert code in commitments
    assert "CN-HIDDEN-1" not in commitments and "CN-MADE-1" not in commitments


def test_no_internal_field_in_any_public_response(client: TestClient, world: World) -> None:
    pages = _crawl(client)
    for query in (COMPANY_CODE, COMPANY_NAME, OTHER_NAME, "x" * 300, "   "):
        for lang in ("", "&lang=en"):
            response = client.get(f"/public/lookup?q={query}{lang}")
            pages[response.url.path + "?" + str(response.url.query)] = response.text
    pages["404"] = client.get("/public/policies/none").text
    pages["page 2"] = client.get("/public/records?page=2").text
    for url, html in pages.items():
        leaked = [name for name, value in INTERNAL.items() if value in html]
        assert leaked == [], url
        found = [p for p in INTERNAL_PATTERNS if re.search(p, html)]
        assert found == [], url


def test_look_up_finds_legal_persons_only(client: TestClient, world: World) -> None:
    by_code = client.get("/public/lookup", params={"q": COMPANY_CODE.lower()}).text
    by_name = client.get("/public/lookup", params={"q": COMPANY_NAME}).text
    for html in (by_code, by_name):
        assert html.count('class="entry ') == 3  # two records and a commitment
        assert "CN-PUBLIC-1" in html
    for query in (PERSON_CODE, PERSON_NAME, COMPANY_NAME[:4]):
        html = client.get("/public/lookup", params={"q": query}).text
        assert 'class="entry ' not in html and PERSON_MASKED not in html
        assert "未查询到公示信息" in html
    refused = client.get("/public/lookup", params={"q": "x" * 201, "lang": "en"})
    assert refused.status_code == 422
    assert "longer than 200 characters" in refused.text


def test_rate_limit_per_client(make_client: ClientFactory, world: World) -> None:
    client = make_client(public_burst=3, public_requests_per_minute=6)
    codes = [client.get("/public/lookup", params={"q": COMPANY_CODE}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = client.get("/public/")
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.headers["cache-control"] == "no-store"
    # The console's log-in page is not on the public site's budget.
    assert client.get("/login").status_code == 200


def test_cache_headers_and_conditional_requests(client: TestClient, world: World) -> None:
    for path in (
        "/public/",
        "/public/records",
        "/public/commitments",
        "/public/policies/shaoguan-water",
    ):
        response = client.get(path)
        assert response.headers["cache-control"] == "public, max-age=300"
        etag = response.headers["etag"]
        assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    listed = client.get("/public/records")
    assert re.fullmatch(
        r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT", listed.headers["last-modified"]
    )
    english = client.get("/public/records?lang=en")
    assert english.headers["etag"] != listed.headers["etag"]  # each language its own copy
