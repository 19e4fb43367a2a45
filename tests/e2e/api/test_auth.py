"""Authentication: tokens, 401 for anonymous calls, console sessions with CSRF."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tests.e2e.api.world import PASSWORD, WATER_ONLY, World
from utilcredit.audit.tables import AuditEntryRow
from utilcredit.config import ConsoleSettings, Settings
from utilcredit.server import create_app

PROTECTED = [
    ("get", "/api/me"),
    ("get", "/api/subjects"),
    ("get", f"/api/subjects/{WATER_ONLY}"),
    ("get", f"/api/subjects/{WATER_ONLY}/rating?policy=lianshui-water"),
    ("get", f"/api/subjects/{WATER_ONLY}/bills"),
    ("get", "/api/accounts"),
    ("get", "/api/rating-runs"),
    ("get", "/api/rating-runs/1"),
    ("get", "/api/stats/levels"),
    ("get", "/api/imports"),
    ("post", "/api/imports"),
    ("get", "/api/policies"),
    ("get", "/api/policies/lianshui-water/criteria"),
    ("get", "/api/overrides"),
    ("post", "/api/overrides/1/approve"),
    ("get", "/api/users"),
    ("get", "/api/audit"),
]


def actions(engine: Engine, action: str) -> list[Any]:
    table = AuditEntryRow.__table__
    with engine.connect() as connection:
        return list(connection.execute(select(table).where(table.c.action == action)))


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_anonymous_api_calls_get_401_json(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 401
    body = response.json()["error"]
    assert body["code"] == "unauthenticated"
    assert body["message_zh"] and body["message_en"] == "authentication required"
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_wrong_token_is_401(client: TestClient) -> None:
    response = client.get("/api/me", headers={"Authorization": "Bearer uc_forged"})
    assert response.status_code == 401


def test_login_issues_a_token_that_works(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/auth/token", json={"username": "op-water", "password": PASSWORD, "name": "cli"}
    )
    assert response.status_code == 200
    token = response.json()["token"]
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["username"] == "op-water"
    assert me["roles"] == ["operator"] and me["utilities"] == ["water"]
    assert "import" in me["permissions"] and "decide_override" not in me["permissions"]


def test_wrong_password_is_401_and_audited(client: TestClient, engine: Engine) -> None:
    response = client.post("/api/auth/token", json={"username": "op-water", "password": "nope"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"
    failed = actions(engine, "login_failed")
    assert [(e.actor, e.entity_key) for e in failed] == [("op-water", "op-water")]


def test_revoked_token_stops_working(client: TestClient, world: World) -> None:
    headers = world.headers("op-water")
    assert client.post("/api/auth/revoke", headers=headers).status_code == 204
    assert client.get("/api/me", headers=headers).status_code == 401


def test_login_validation_names_the_field(client: TestClient) -> None:
    response = client.post("/api/auth/token", json={"username": "x"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert [f["field"] for f in error["fields"]] == ["password"]


def login_console(client: TestClient, username: str) -> str:
    """Log in through the form; return the session's CSRF token as the pages carry it."""
    page = client.get("/login")
    login_csrf = page.cookies.get("uc_login_csrf") or client.cookies.get("uc_login_csrf")
    assert login_csrf
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": login_csrf, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    home = client.get("/subjects")
    marker = 'data-csrf="'
    start = home.text.index(marker) + len(marker)
    return str(home.text[start : home.text.index('"', start)])


def test_console_session_cookie_authenticates_the_api(client: TestClient, world: World) -> None:
    login_console(client, "op-water")
    assert client.get("/api/me").json()["username"] == "op-water"


def test_cookie_writes_need_the_csrf_token(
    client: TestClient, world: World, engine: Engine
) -> None:
    csrf = login_console(client, "op-water")
    body = {
        "policy": "lianshui-water",
        "level": "red",
        "reason": "已签订还款协议",
        "expires_on": "2027-01-31",
    }
    refused = client.post(f"/api/subjects/{WATER_ONLY}/overrides", json=body)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    assert [e.entity for e in actions(engine, "access_denied")] == ["csrf"]
    accepted = client.post(
        f"/api/subjects/{WATER_ONLY}/overrides", json=body, headers={"X-CSRF-Token": csrf}
    )
    assert accepted.status_code == 201, accepted.text


def test_console_login_form_needs_its_csrf_cookie(client: TestClient, world: World) -> None:
    response = client.post(
        "/login",
        data={"username": "op-water", "password": PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_console_pages_redirect_anonymous_users_to_login(client: TestClient) -> None:
    response = client.get("/subjects", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/subjects"


def test_login_next_never_leaves_the_site(client: TestClient, world: World) -> None:
    client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": "op-water",
            "password": PASSWORD,
            "csrf_token": client.cookies["uc_login_csrf"],
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_logout_is_audited(client: TestClient, world: World, engine: Engine) -> None:
    csrf = login_console(client, "op-water")
    response = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert client.get("/api/me").status_code == 401
    assert [(e.actor, e.entity_key) for e in actions(engine, "logout")] == [
        ("op-water", "op-water")
    ]


def _login_through(client: TestClient, headers: dict[str, str]) -> Any:
    """Log in as a browser behind ``headers``' proxy would (the test client speaks plain HTTP,
    so it would not send back a Secure cookie by itself)."""
    page = client.get("/login", headers=headers)
    csrf = page.cookies["uc_login_csrf"]
    return client.post(
        "/login",
        data={"username": "op-water", "password": PASSWORD, "csrf_token": csrf},
        headers={**headers, "Cookie": f"uc_login_csrf={csrf}"},
        follow_redirects=False,
    )


FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}


def test_a_trusted_proxy_makes_cookies_secure_and_names_the_client(
    settings: Settings, engine: Engine, world: World
) -> None:
    console = ConsoleSettings(trusted_proxies=["10.0.0.0/24"])
    app = create_app(settings.model_copy(update={"console": console}), engine=engine)
    with TestClient(app, client=("10.0.0.5", 50000)) as client:
        response = _login_through(client, FORWARDED)
        assert response.status_code == 303
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("uc_session=") and "Secure" in cookie and "HttpOnly" in cookie
        client.post(
            "/api/auth/token",
            json={"username": "op-water", "password": "wrong"},
            headers=FORWARDED,
        )
    assert [e.detail["address"] for e in actions(engine, "login_failed")] == ["203.0.113.9"]


def test_forwarded_headers_from_anyone_else_are_ignored(
    settings: Settings, engine: Engine, world: World
) -> None:
    # Default: no trusted proxy at all; and a listed proxy does not vouch for other clients.
    for proxies in ([], ["10.0.0.1"]):
        console = ConsoleSettings(trusted_proxies=proxies)
        app = create_app(settings.model_copy(update={"console": console}), engine=engine)
        with TestClient(app, client=("10.0.0.5", 50000)) as client:
            response = _login_through(client, FORWARDED)
            assert response.status_code == 303
            assert "Secure" not in response.headers["set-cookie"]
            client.post(
                "/api/auth/token",
                json={"username": "op-water", "password": "wrong"},
                headers=FORWARDED,
            )
    assert {e.detail["address"] for e in actions(engine, "login_failed")} == {"10.0.0.5"}


def test_trusted_proxies_setting_takes_a_comma_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UTILCREDIT_CONSOLE_TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/16")
    assert ConsoleSettings().trusted_proxies == ["10.0.0.1", "192.168.0.0/16"]
    monkeypatch.setenv("UTILCREDIT_CONSOLE_TRUSTED_PROXIES", '["10.0.0.2"]')
    assert ConsoleSettings().trusted_proxies == ["10.0.0.2"]
    monkeypatch.delenv("UTILCREDIT_CONSOLE_TRUSTED_PROXIES")
    assert ConsoleSettings().trusted_proxies == []
