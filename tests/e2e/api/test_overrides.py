"""Manual level overrides over the API: operator requests, reviewer approves, computed stays."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tests.e2e.api.world import POWER_ONLY, WATER_ONLY, World
from utilcredit.audit.tables import AuditEntryRow
from utilcredit.localtime import today


def request_body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "policy": "lianshui-water",
        "level": "red",
        "reason": "已签订分期还款协议并按期履行",
        "expires_on": (today() + dt.timedelta(days=60)).isoformat(),
    }
    body.update(overrides)
    return body


def audit_actions(engine: Engine) -> list[tuple[str, str]]:
    table = AuditEntryRow.__table__
    with engine.connect() as connection:
        rows = connection.execute(
            select(table.c.actor, table.c.action)
            .where(table.c.action.like("override%"))
            .order_by(table.c.id)
        )
        return [(row.actor, row.action) for row in rows]


def test_request_approve_and_the_level_in_force(
    client: TestClient, world: World, engine: Engine
) -> None:
    created = client.post(
        f"/api/subjects/{WATER_ONLY}/overrides",
        json=request_body(),
        headers=world.headers("op-water"),
    )
    assert created.status_code == 201, created.text
    override = created.json()
    assert override["state"] == "requested" and override["computed_level"] == "black"

    rating_path = f"/api/subjects/{WATER_ONLY}/rating?policy=lianshui-water"
    before = client.get(rating_path, headers=world.headers("op-water")).json()
    assert before["effective_level"] == "black" and before["override"] is None

    approved = client.post(
        f"/api/overrides/{override['id']}/approve",
        json={"note": "核实协议属实"},
        headers=world.headers("rev-water"),
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "approved" and approved.json()["decided_by"] == "rev-water"

    after = client.get(rating_path, headers=world.headers("op-water")).json()
    assert after["computed_level"] == "black"  # the computed level stays visible
    assert after["effective_level"] == "red"
    assert after["override"]["reason"] == "已签订分期还款协议并按期履行"
    assert audit_actions(engine) == [
        ("op-water", "override_request"),
        ("rev-water", "override_approve"),
    ]


def test_the_requester_cannot_approve_and_an_operator_is_no_reviewer(
    client: TestClient, world: World
) -> None:
    created = client.post(
        f"/api/subjects/{WATER_ONLY}/overrides",
        json=request_body(),
        headers=world.headers("op-water"),
    ).json()
    by_operator = client.post(
        f"/api/overrides/{created['id']}/approve", json={}, headers=world.headers("op-water")
    )
    assert by_operator.status_code == 403


def test_another_utilitys_override_is_not_found_for_reads_and_decisions(
    client: TestClient, world: World, engine: Engine
) -> None:
    created = client.post(
        f"/api/subjects/{WATER_ONLY}/overrides",
        json=request_body(),
        headers=world.headers("op-water"),
    ).json()
    path = f"/api/overrides/{created['id']}"
    attempts = [
        client.post(f"{path}/approve", json={}, headers=world.headers("rev-power")),
        client.post(f"{path}/reject", json={"note": "不同意"}, headers=world.headers("rev-power")),
        client.post(f"{path}/withdraw", headers=world.headers("op-power")),
        client.get(path, headers=world.headers("rev-power")),
    ]
    unknown = client.get("/api/overrides/999999", headers=world.headers("rev-power"))
    # Existence does not leak: the same answer as for an id nobody has …
    for response in attempts:
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "not_found"
        assert response.json()["error"]["message_en"] == f"no override request {created['id']}"
    assert unknown.status_code == 404
    # … but the refusals are audited, the unknown id is not.
    table = AuditEntryRow.__table__
    with engine.connect() as connection:
        denied = list(
            connection.execute(
                select(table.c.actor, table.c.entity, table.c.entity_key).where(
                    table.c.action == "access_denied"
                )
            )
        )
    assert [tuple(d) for d in denied] == [
        ("rev-power", "override", str(created["id"])),
        ("rev-power", "override", str(created["id"])),
        ("op-power", "override", str(created["id"])),
        ("rev-power", "override", str(created["id"])),
    ]
    listed = client.get("/api/overrides", headers=world.headers("rev-power")).json()
    assert listed["items"] == []
    state = client.get(path, headers=world.headers("rev-water")).json()["override"]["state"]
    assert state == "requested"


def test_reject_needs_a_note_and_withdraw_is_the_requesters(
    client: TestClient, world: World
) -> None:
    created = client.post(
        f"/api/subjects/{WATER_ONLY}/overrides",
        json=request_body(),
        headers=world.headers("op-water"),
    ).json()
    no_note = client.post(
        f"/api/overrides/{created['id']}/reject", json={}, headers=world.headers("rev-water")
    )
    assert no_note.status_code == 422
    assert (
        client.post(
            f"/api/overrides/{created['id']}/withdraw", headers=world.headers("op-both")
        ).status_code
        == 422
    )
    withdrawn = client.post(
        f"/api/overrides/{created['id']}/withdraw", headers=world.headers("op-water")
    )
    assert withdrawn.json()["state"] == "withdrawn"
    again = client.post(
        f"/api/overrides/{created['id']}/approve", json={}, headers=world.headers("rev-water")
    )
    assert again.status_code == 422
    assert "withdrawn" in again.json()["error"]["message_en"]


@pytest.mark.parametrize(
    ("changes", "field_or_text"),
    [
        ({"level": "black"}, "equals the computed level"),
        ({"reason": "短"}, "reason"),
        ({"expires_on": "2000-01-01"}, "after today"),
        ({"level": "purple"}, "level"),
        ({"policy": "huaiyin-power"}, "forbidden"),
        ({"policy": "no-such"}, "policy"),
    ],
)
def test_invalid_requests_are_refused(
    client: TestClient, world: World, changes: dict[str, object], field_or_text: str
) -> None:
    response = client.post(
        f"/api/subjects/{WATER_ONLY}/overrides",
        json=request_body(**changes),
        headers=world.headers("op-water"),
    )
    assert response.status_code in (403, 422), response.text
    assert field_or_text in response.text


def test_operator_cannot_request_for_a_subject_outside_their_utility(
    client: TestClient, world: World
) -> None:
    response = client.post(
        f"/api/subjects/{POWER_ONLY}/overrides",
        json=request_body(policy="huaiyin-power"),
        headers=world.headers("op-water"),
    )
    assert response.status_code == 404


def test_unknown_override_is_404(client: TestClient, world: World) -> None:
    response = client.get("/api/overrides/999", headers=world.headers("rev-water"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
