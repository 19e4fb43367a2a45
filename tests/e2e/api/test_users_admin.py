"""User administration through the API (issue 8 items 4, 8, 12): an administrator grants and
manages only within its reach, passwords follow the rules, users can be disabled, enabled,
given a new password and unlocked, and all of it is audited."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tests.e2e.api.test_auth import login_console
from tests.e2e.api.world import PASSWORD, World
from utilcredit.access import service as access
from utilcredit.access.model import Role
from utilcredit.audit.tables import AuditEntryRow
from utilcredit.customers.model import Utility

NEW_PASSWORD = "river-lantern-42"


@pytest.fixture
def water_admin(engine: Engine, world: World) -> dict[str, str]:
    """Headers of an administrator of the water utility only."""
    with engine.begin() as connection:
        access.create_user(
            connection,
            username="admin-water",
            display_name="供水管理员",
            password=PASSWORD,
            roles=frozenset({Role.ADMIN}),
            utilities=frozenset({Utility.WATER}),
            actor="setup",
        )
        principal = access.authenticate(connection, "admin-water", PASSWORD)
        assert principal is not None
        token = access.issue_token(connection, principal)
    return {"Authorization": f"Bearer {token}"}


def entries(engine: Engine, action: str) -> list[Any]:
    table = AuditEntryRow.__table__
    with engine.connect() as connection:
        return list(
            connection.execute(select(table).where(table.c.action == action).order_by(table.c.id))
        )


def new_user(username: str, roles: list[str], utilities: list[str], **extra: str) -> dict[str, Any]:
    return {
        "username": username,
        "password": NEW_PASSWORD,
        "roles": roles,
        "utilities": utilities,
        **extra,
    }


def test_an_admin_cannot_grant_the_credit_office(
    client: TestClient, engine: Engine, water_admin: dict[str, str], world: World
) -> None:
    for headers in (water_admin, world.headers("admin")):  # not even an admin of every utility
        refused = client.post(
            "/api/users",
            json=new_user("office2", ["credit_office"], ["water"]),
            headers=headers,
        )
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "forbidden"
        assert "reach every utility" in refused.json()["error"]["message_en"]
    assert [e.entity_key for e in entries(engine, "access_denied")] == ["office2", "office2"]
    with engine.connect() as connection:
        assert "office2" not in {u.principal.username for u in access.all_users(connection)}


def test_an_admin_grants_only_its_own_utilities(
    client: TestClient, water_admin: dict[str, str]
) -> None:
    refused = client.post(
        "/api/users", json=new_user("op2", ["operator"], ["water", "power"]), headers=water_admin
    )
    assert refused.status_code == 403
    created = client.post(
        "/api/users",
        json=new_user("op2", ["operator", "auditor"], ["water"], display_name="二号"),
        headers=water_admin,
    )
    assert created.status_code == 201, created.text
    assert created.json() == {
        "username": "op2",
        "display_name": "二号",
        "roles": ["auditor", "operator"],
        "utilities": ["water"],
        "active": True,
        "locked_until": None,
    }


def test_an_admin_lists_only_the_users_within_its_reach(
    client: TestClient, water_admin: dict[str, str], world: World
) -> None:
    listed = client.get("/api/users", headers=water_admin)
    assert listed.status_code == 200
    assert [u["username"] for u in listed.json()] == [
        "admin-water",
        "auditor-water",
        "op-water",
        "rev-water",
    ]
    # An admin of both utilities sees every user but the credit office.
    everyone = {
        u["username"] for u in client.get("/api/users", headers=world.headers("admin")).json()
    }
    assert "office" not in everyone and {"op-power", "op-both", "admin-water"} <= everyone


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("password", "common or breached"),
        ("12345678", "common or breached"),
        ("newbie2026", "user name"),
    ],
)
def test_weak_passwords_are_refused_naming_the_field(
    client: TestClient, world: World, password: str, reason: str
) -> None:
    response = client.post(
        "/api/users",
        json={**new_user("newbie", ["operator"], ["water"]), "password": password},
        headers=world.headers("admin"),
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert [f["field"] for f in error["fields"]] == ["password"]
    assert reason in error["message_en"]


def test_disabling_a_user_ends_its_tokens_and_sessions_at_once(
    client: TestClient, engine: Engine, water_admin: dict[str, str], world: World
) -> None:
    with TestClient(client.app) as browser:
        login_console(browser, "op-water")
        assert browser.get("/api/me").status_code == 200
        assert client.get("/api/me", headers=world.headers("op-water")).status_code == 200

        disabled = client.post("/api/users/op-water/disable", headers=water_admin)
        assert disabled.status_code == 200, disabled.text
        assert disabled.json()["active"] is False
        assert client.get("/api/me", headers=world.headers("op-water")).status_code == 401
        assert browser.get("/api/me").status_code == 401
        assert browser.get("/subjects", follow_redirects=False).status_code == 303
        login = client.post("/api/auth/token", json={"username": "op-water", "password": PASSWORD})
        assert login.status_code == 401

        enabled = client.post("/api/users/op-water/enable", headers=water_admin)
        assert enabled.json()["active"] is True
        # Enabling does not bring old sessions or tokens back; a new login works.
        assert client.get("/api/me", headers=world.headers("op-water")).status_code == 401
        assert browser.get("/api/me").status_code == 401
        login = client.post("/api/auth/token", json={"username": "op-water", "password": PASSWORD})
        assert login.status_code == 200
    disable = entries(engine, "user_disable")
    assert [(e.actor, e.entity_key) for e in disable] == [("admin-water", "op-water")]
    assert disable[0].detail["sessions_ended"] == 1 and disable[0].detail["tokens_revoked"] == 1
    assert [(e.actor, e.entity_key) for e in entries(engine, "user_enable")] == [
        ("admin-water", "op-water")
    ]


def test_users_beyond_reach_are_not_found_and_self_is_refused(
    client: TestClient, engine: Engine, water_admin: dict[str, str], world: World
) -> None:
    for username in ("op-power", "op-both", "office", "no-such-user"):
        for action in ("disable", "enable", "unlock"):
            response = client.post(f"/api/users/{username}/{action}", headers=water_admin)
            assert response.status_code == 404, (username, action)
            assert response.json()["error"]["code"] == "not_found"
        reset = client.post(
            f"/api/users/{username}/reset-password",
            json={"password": NEW_PASSWORD},
            headers=water_admin,
        )
        assert reset.status_code == 404
    assert len(entries(engine, "access_denied")) == 4 * 4
    assert client.get("/api/me", headers=world.headers("op-power")).status_code == 200
    itself = client.post("/api/users/admin-water/disable", headers=water_admin)
    assert itself.status_code == 403
    not_admin = client.post("/api/users/op-water/disable", headers=world.headers("rev-water"))
    assert not_admin.status_code == 403


def test_resetting_a_password(
    client: TestClient, engine: Engine, water_admin: dict[str, str], world: World
) -> None:
    weak = client.post(
        "/api/users/op-water/reset-password", json={"password": "12345678"}, headers=water_admin
    )
    assert weak.status_code == 422
    assert [f["field"] for f in weak.json()["error"]["fields"]] == ["password"]
    reset = client.post(
        "/api/users/op-water/reset-password",
        json={"password": NEW_PASSWORD},
        headers=water_admin,
    )
    assert reset.status_code == 200, reset.text
    assert client.get("/api/me", headers=world.headers("op-water")).status_code == 401
    old = client.post("/api/auth/token", json={"username": "op-water", "password": PASSWORD})
    assert old.status_code == 401
    new = client.post("/api/auth/token", json={"username": "op-water", "password": NEW_PASSWORD})
    assert new.status_code == 200
    resets = entries(engine, "password_reset")
    assert [(e.actor, e.entity_key) for e in resets] == [("admin-water", "op-water")]
    assert NEW_PASSWORD not in str(resets[0].detail)


def test_an_admin_lifts_a_login_lockout(
    client: TestClient, engine: Engine, water_admin: dict[str, str]
) -> None:
    for _ in range(10):  # the default limit per account name
        client.post("/api/auth/token", json={"username": "op-water", "password": "wrong"})
    locked = client.post("/api/auth/token", json={"username": "op-water", "password": PASSWORD})
    assert locked.status_code == 429
    listed = {u["username"]: u for u in client.get("/api/users", headers=water_admin).json()}
    assert listed["op-water"]["locked_until"] is not None
    unlocked = client.post("/api/users/op-water/unlock", headers=water_admin)
    assert unlocked.status_code == 200 and unlocked.json()["locked_until"] is None
    again = client.post("/api/auth/token", json={"username": "op-water", "password": PASSWORD})
    assert again.status_code == 200
    lifts = entries(engine, "login_unlock")
    assert [(e.actor, e.entity, e.entity_key) for e in lifts] == [
        ("admin-water", "user", "op-water")
    ]
    assert lifts[0].detail["locked_until"] is not None
