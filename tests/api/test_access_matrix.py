"""Role × utility access matrix: a forbidden read is a 403/404 with an audit entry, never data."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tests.api.world import BOTH, PERSON, POWER_ONLY, USERS, WATER_ONLY, World
from utilcredit.audit.tables import AuditEntryRow

# Which subjects each user may read (through their utilities; the credit office reads all).
VISIBLE = {
    "admin": {WATER_ONLY, POWER_ONLY, BOTH, PERSON},
    "op-water": {WATER_ONLY, BOTH, PERSON},
    "op-power": {POWER_ONLY, BOTH},
    "op-both": {WATER_ONLY, POWER_ONLY, BOTH, PERSON},
    "rev-water": {WATER_ONLY, BOTH, PERSON},
    "rev-power": {POWER_ONLY, BOTH},
    "office": {WATER_ONLY, POWER_ONLY, BOTH, PERSON},
    "auditor-water": {WATER_ONLY, BOTH, PERSON},
}
SUBJECTS = [WATER_ONLY, POWER_ONLY, BOTH, PERSON]
READS = ["", "/rating", "/bills", "/payments", "/incidents"]


def denials(engine: Engine) -> list[Any]:
    table = AuditEntryRow.__table__
    with engine.connect() as connection:
        return list(connection.execute(select(table).where(table.c.action == "access_denied")))


def test_matrix_covers_every_user() -> None:
    assert VISIBLE.keys() == USERS.keys()


@pytest.mark.parametrize("username", sorted(USERS))
def test_subject_reads_follow_utility_membership(
    client: TestClient, world: World, engine: Engine, username: str
) -> None:
    denied = 0
    for code in SUBJECTS:
        for suffix in READS:
            response = client.get(f"/api/subjects/{code}{suffix}", headers=world.headers(username))
            if code in VISIBLE[username]:
                assert response.status_code == 200, (username, code, suffix, response.text)
            else:
                denied += 1
                assert response.status_code == 404, (username, code, suffix)
                body = response.json()
                assert set(body) == {"error"} and body["error"]["code"] == "not_found"
                assert "涟水县" not in response.text and "张三丰" not in response.text
    entries = denials(engine)
    assert len(entries) == denied
    assert all(e.actor == username for e in entries)


@pytest.mark.parametrize("username", sorted(USERS))
def test_search_lists_only_visible_subjects(
    client: TestClient, world: World, username: str
) -> None:
    found = client.get("/api/subjects?limit=50", headers=world.headers(username)).json()
    codes = {item["code"] for item in found["items"]}
    expected = {c if c != PERSON else "3208261980****004X" for c in VISIBLE[username]}
    # The natural person's ID number is masked in every listing.
    masked = {c for c in codes if "*" in c}
    assert {c for c in codes if "*" not in c} == expected - {"3208261980****004X"}
    assert (PERSON in VISIBLE[username]) == bool(masked)


def test_rating_under_a_policy_of_another_utility_is_refused(
    client: TestClient, world: World, engine: Engine
) -> None:
    # op-water sees BOTH (it has a water account) but not its power rating.
    response = client.get(
        f"/api/subjects/{BOTH}/rating?policy=huaiyin-power", headers=world.headers("op-water")
    )
    assert response.status_code == 403
    assert "level" not in response.text
    assert [e.entity for e in denials(engine)] == ["rating"]


@pytest.mark.parametrize(
    ("username", "method", "path", "status"),
    [
        ("office", "post", "/api/imports", 403),
        ("auditor-water", "post", "/api/imports", 403),
        ("rev-water", "post", "/api/imports", 403),
        ("op-water", "get", "/api/users", 403),
        ("office", "get", "/api/users", 403),
        ("op-water", "get", "/api/audit", 403),
        ("rev-water", "get", "/api/audit", 403),
        ("auditor-water", "get", "/api/audit", 200),
        ("admin", "get", "/api/audit", 200),
        ("office", "get", "/api/imports", 403),
        ("op-water", "get", "/api/imports", 200),
    ],
)
def test_role_permissions(
    client: TestClient,
    world: World,
    engine: Engine,
    username: str,
    method: str,
    path: str,
    status: int,
) -> None:
    files = (
        {"files": ("subjects.csv", b"code,kind,name\n", "text/csv")} if method == "post" else None
    )
    response = client.request(method, path, headers=world.headers(username), files=files)
    assert response.status_code == status, response.text
    if status == 403:
        assert response.json()["error"]["code"] == "forbidden"
        assert len(denials(engine)) == 1


def test_credit_office_cannot_see_personal_data_in_clear(
    client: TestClient, world: World, engine: Engine
) -> None:
    response = client.get(f"/api/subjects/{PERSON}?unmasked=true", headers=world.headers("office"))
    assert response.status_code == 403
    assert "张三丰" not in response.text
    assert len(denials(engine)) == 1


def test_unmasked_view_is_audited(client: TestClient, world: World, engine: Engine) -> None:
    masked = client.get(f"/api/subjects/{PERSON}", headers=world.headers("op-water")).json()
    assert masked["subject"]["code"] == "3208261980****004X"
    assert masked["subject"]["name"] == "张**" and masked["subject"]["masked"] is True
    assert masked["subject"]["phone"] == "136****3333"
    clear = client.get(
        f"/api/subjects/{PERSON}?unmasked=true", headers=world.headers("op-water")
    ).json()
    assert clear["subject"]["code"] == PERSON and clear["subject"]["name"] == "张三丰"
    with engine.connect() as connection:
        views = list(
            connection.execute(select(AuditEntryRow).where(AuditEntryRow.action == "view_unmasked"))
        )
    assert [(v.actor, v.entity_key) for v in views] == [("op-water", PERSON)]
