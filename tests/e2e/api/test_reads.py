"""Search, credit-file tables, live rating, policies, runs and statistics."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tests.e2e.api.world import AS_OF, BOTH, WATER_ONLY, World
from utilcredit.audit.tables import AuditEntryRow
from utilcredit.localtime import today
from utilcredit.policies.service import policy_at
from utilcredit.rating.runs import service as runs


def test_search_by_name_code_prefix_and_account(client: TestClient, world: World) -> None:
    headers = world.headers("admin")
    by_name = client.get("/api/subjects?q=丙综合", headers=headers).json()
    assert [i["code"] for i in by_name["items"]] == [BOTH]
    by_prefix = client.get(f"/api/subjects?q={WATER_ONLY[:17].lower()}", headers=headers).json()
    assert [i["code"] for i in by_prefix["items"]] == [WATER_ONLY]
    by_account = client.get("/api/subjects?q=P3", headers=headers).json()
    assert [i["code"] for i in by_account["items"]] == [BOTH]
    accounts = client.get("/api/accounts?q=W", headers=world.headers("op-water")).json()
    assert [a["account_no"] for a in accounts["items"]] == ["W1", "W3", "W4"]
    assert client.get("/api/accounts?q=P", headers=world.headers("op-water")).json()["items"] == []


def test_lists_paginate(client: TestClient, world: World) -> None:
    headers = world.headers("admin")
    first = client.get("/api/subjects?limit=2", headers=headers).json()
    second = client.get("/api/subjects?limit=2&offset=2", headers=headers).json()
    assert first["has_more"] is True and second["has_more"] is False
    assert len({i["code"] for i in first["items"] + second["items"]}) == 4
    bills = client.get(f"/api/subjects/{WATER_ONLY}/bills?limit=10", headers=headers).json()
    assert len(bills["items"]) == 10 and bills["has_more"] is True
    assert bills["items"][0] == {
        "bill_no": "B1",
        "account_no": "W1",
        "period_start": "2026-01-01",
        "period_end": "2026-01-31",
        "usage": None,
        "unit": None,
        "amount": "100.00",
        "due_on": "2026-02-15",
        "paid": "0.00",
    }
    payments = client.get(f"/api/subjects/{WATER_ONLY}/payments?limit=200", headers=headers)
    assert len(payments.json()["items"]) == 25


def test_live_rating_explains_with_clauses_and_evidence(client: TestClient, world: World) -> None:
    response = client.get(
        f"/api/subjects/{WATER_ONLY}/rating?policy=lianshui-water&as_of={AS_OF}",
        headers=world.headers("op-water"),
    )
    body = response.json()
    assert body["computed_level"] == "black" == body["effective_level"]
    assert body["explanation"]["fired"] == ["K1"]
    k1 = next(c for c in body["explanation"]["clauses"] if c["id"] == "K1")
    assert k1["status"] == "fired" and k1["text"]
    assert [e["ref"] for e in k1["outcome"]["evidence"]] == ["B1"]
    assert "K1" in body["explanation_text"] and "黑色" in body["explanation_text"]
    assert body["policy"]["key"] == "lianshui-water" and len(body["policy"]["sha256"]) == 64


def test_rating_uses_the_configured_policy_when_none_is_named(
    client: TestClient, world: World
) -> None:
    body = client.get(
        f"/api/subjects/{WATER_ONLY}/rating?as_of={AS_OF}", headers=world.headers("op-water")
    ).json()
    assert body["policy"]["key"] == "lianshui-water"


def test_rating_validation_names_the_field(client: TestClient, world: World) -> None:
    headers = world.headers("op-water")
    bad_date = client.get(f"/api/subjects/{WATER_ONLY}/rating?as_of=2026-02-30", headers=headers)
    assert bad_date.status_code == 422
    assert [f["field"] for f in bad_date.json()["error"]["fields"]] == ["as_of"]
    bad_policy = client.get(f"/api/subjects/{WATER_ONLY}/rating?policy=nope", headers=headers)
    assert bad_policy.status_code == 422
    assert bad_policy.json()["error"]["fields"][0]["field"] == "policy"
    bad_code = client.get("/api/subjects/not-a-code!/rating", headers=headers)
    assert bad_code.status_code == 422
    unknown = client.get("/api/subjects/914403001922038216/rating", headers=headers)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["message_en"].startswith("no subject")


def test_policies_and_criteria(client: TestClient, world: World) -> None:
    headers = world.headers("office")
    policies = client.get("/api/policies", headers=headers).json()
    assert {p["key"] for p in policies} >= {"lianshui-water", "huaiyin-power", "suizhou-water"}
    detail = client.get("/api/policies/suizhou-water", headers=headers).json()
    assert "black" not in detail["summary"]["levels"]
    html = client.get("/api/policies/lianshui-water/criteria", headers=headers)
    assert html.headers["content-type"].startswith("text/html") and "黑色" in html.text
    markdown = client.get("/api/policies/lianshui-water/criteria?format=md", headers=headers)
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert client.get("/api/policies/nope", headers=headers).status_code == 422


def test_runs_are_empty_until_the_runs_module_is_connected(
    client: TestClient, world: World
) -> None:
    headers = world.headers("office")
    assert client.get("/api/rating-runs", headers=headers).json()["items"] == []
    missing = client.get("/api/rating-runs/1", headers=headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_another_utilitys_rating_run_is_not_found_and_audited(
    client: TestClient, world: World, engine: Engine
) -> None:
    with engine.begin() as connection:
        run_id = runs.begin_run(
            connection, policy_at("huaiyin-power", None), today(), engine="reference", actor="t"
        )
    own = client.get(f"/api/rating-runs/{run_id}", headers=world.headers("op-power"))
    assert own.status_code == 200 and own.json()["run"]["utility"] == "power"
    other = client.get(f"/api/rating-runs/{run_id}", headers=world.headers("op-water"))
    unknown = client.get(f"/api/rating-runs/{run_id + 1}", headers=world.headers("op-water"))
    # The same answer as for a run nobody has: its existence does not leak …
    assert other.status_code == unknown.status_code == 404
    assert other.json()["error"]["code"] == unknown.json()["error"]["code"] == "not_found"
    assert other.json()["error"]["message_en"] == f"no rating run {run_id}"
    assert "power" not in other.text
    # … but the refusal is audited.
    with engine.connect() as connection:
        denied = list(
            connection.execute(
                select(AuditEntryRow.actor, AuditEntryRow.entity, AuditEntryRow.entity_key).where(
                    AuditEntryRow.action == "access_denied"
                )
            )
        )
    assert [tuple(d) for d in denied] == [("op-water", "rating_run", str(run_id))]


def test_level_distribution_by_utility_and_area(client: TestClient, world: World) -> None:
    found = client.get(f"/api/stats/levels?as_of={AS_OF}", headers=world.headers("op-water")).json()
    assert [d["utility"] for d in found] == ["water"]
    [water] = found
    assert water["source"] == "live" and water["subjects"] == 3
    assert sum(water["by_level"].values()) == 3 and water["by_level"]["black"] == 1
    assert water["by_area"]["涟城镇"]["black"] == 1


def test_admin_adds_users_only_to_their_utilities(client: TestClient, world: World) -> None:
    body = {
        "username": "new-op",
        "password": "long-enough-1",
        "roles": ["operator"],
        "utilities": ["water"],
    }
    created = client.post("/api/users", json=body, headers=world.headers("admin"))
    assert created.status_code == 201, created.text
    duplicate = client.post("/api/users", json=body, headers=world.headers("admin"))
    assert duplicate.status_code == 422
    short = client.post(
        "/api/users",
        json={**body, "username": "x", "password": "short"},
        headers=world.headers("admin"),
    )
    assert short.json()["error"]["fields"][0]["field"] == "password"
    users = client.get("/api/users", headers=world.headers("admin")).json()
    assert "new-op" in {u["username"] for u in users}


def test_audit_log_reads(client: TestClient, world: World) -> None:
    page = client.get(
        "/api/audit?action=user_create&limit=3", headers=world.headers("auditor-water")
    )
    body = page.json()
    assert len(body["items"]) == 3 and body["has_more"] is True
    assert {e["action"] for e in body["items"]} == {"user_create"}


def test_unknown_route_is_json_404(client: TestClient, world: World) -> None:
    response = client.get("/api/nothing", headers=world.headers("admin"))
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
