"""The users page (/admin/users) and the audit log page (/admin/audit) over HTTP: who may open
them, the user changes as a round trip (add, refuse, disable, enable, new password, roles and
utilities: each audited), the audit filters, the exports and the times with their zone.

Entry-point checks, SQLite only like the other console pages: the services and queries behind
them run on both stores in tests/integration/access/test_admin_store.py."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, select

from tests.e2e.api.world import PASSWORD, World
from tests.support.apps import app_for
from tests.support.console import post_login
from utilcredit.audit.tables import AuditEntryRow
from utilcredit.config import Settings
from utilcredit.localtime import SHANGHAI, today

pytestmark = pytest.mark.sqlite_only

NEW_PASSWORD = "lantern-orchard-58"
CJK = re.compile(r"[\u4e00-\u9fff]")
ROW = re.compile(r'<tr class="audit-row" data-id="(\d+)" data-action="([^"]+)">')


def _client(settings: Settings, engine: Engine, lang: str | None = None) -> TestClient:
    client = TestClient(app_for(settings, engine), raise_server_exceptions=False)
    if lang:
        client.cookies.set("lang", lang)
    return client


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> int:
    return post_login(client, username, password).status_code


def csrf_of(page: str) -> str:
    found = re.search(r'data-csrf="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def session(
    settings: Settings, engine: Engine, username: str, lang: str | None = None
) -> TestClient:
    client = _client(settings, engine, lang)
    assert log_in(client, username) == 303
    return client


def row_of(page: str, username: str) -> str:
    found = re.search(
        rf'<tr class="user-row" data-user="{re.escape(username)}".*?</tr>', page, re.S
    )
    assert found is not None, f"no row for {username}"
    return found.group(0)


def audit_actions(engine: Engine, actor: str) -> list[tuple[str, str | None]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(AuditEntryRow.action, AuditEntryRow.entity_key)
            .where(
                AuditEntryRow.actor == actor,
                AuditEntryRow.entity == "user",
                AuditEntryRow.action.not_in(["login", "login_failed"]),
            )
            .order_by(AuditEntryRow.id)
        )
        return [(row.action, row.entity_key) for row in rows]


# ---- who may open the pages ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "users", "audit"),
    [("op-water", 403, 403), ("auditor-water", 403, 200), ("admin", 200, 200)],
)
def test_each_page_opens_for_its_permission_only(
    settings: Settings, engine: Engine, world: World, username: str, users: int, audit: int
) -> None:
    with session(settings, engine, username) as client:
        assert client.get("/admin/users").status_code == users
        assert client.get("/admin/audit").status_code == audit
        assert client.get("/admin/audit/export.csv").status_code == audit
        assert client.get("/admin/audit/export.xlsx").status_code == audit
        nav = client.get("/policies").text
        assert ('href="/admin/users"' in nav) is (users == 200)
        assert ('href="/admin/audit"' in nav) is (audit == 200)


def test_an_operator_cannot_post_user_changes(
    settings: Settings, engine: Engine, world: World
) -> None:
    with session(settings, engine, "op-water") as client:
        csrf = csrf_of(client.get("/policies").text)
        response = client.post(
            "/admin/users/rev-water/disable", data={"csrf_token": csrf}, follow_redirects=False
        )
        assert response.status_code == 403
    assert ("user_disable", "rev-water") not in audit_actions(engine, "op-water")


# ---- the users page as a round trip -----------------------------------------------------------


def test_add_refuse_disable_enable_reset_and_regrant_a_user(
    settings: Settings, engine: Engine, world: World
) -> None:
    admin = session(settings, engine, "admin")
    page = admin.get("/admin/users")
    assert page.status_code == 200
    csrf = csrf_of(page.text)
    assert "业务操作员" in row_of(page.text, "op-water") and "供水" in row_of(page.text, "op-water")
    # Logged in during the world's set-up: the last log-in is a local time with its offset.
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+08:00", row_of(page.text, "op-water"))

    # A weak password is refused on the form, with what was typed but the password.
    weak = admin.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "username": "clerk",
            "display_name": "王小红",
            "password": "password1",
            "roles": ["operator"],
            "utilities": ["water"],
        },
        follow_redirects=False,
    )
    assert weak.status_code == 422
    assert 'data-field="password"' in weak.text
    assert 'value="clerk"' in weak.text and "password1" not in weak.text
    assert 'data-user="clerk"' not in weak.text

    added = admin.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "username": "clerk",
            "display_name": "王小红",
            "password": NEW_PASSWORD,
            "roles": ["operator"],
            "utilities": ["water"],
        },
        follow_redirects=False,
    )
    assert added.status_code == 303 and added.headers["location"] == "/admin/users"
    listed = admin.get("/admin/users").text
    assert 'id="flash"' in listed and ">clerk</strong>" in listed
    assert 'id="flash"' not in admin.get("/admin/users").text  # shown once
    assert "王小红" in row_of(listed, "clerk") and 'data-active="true"' in row_of(listed, "clerk")
    clerk = _client(settings, engine)
    assert log_in(clerk, "clerk", NEW_PASSWORD) == 303

    # Disabled: the session ends and the password no longer logs in; enabled again, it does.
    assert admin.post("/admin/users/clerk/disable", data={"csrf_token": csrf}).status_code == 200
    assert 'data-active="false"' in row_of(admin.get("/admin/users").text, "clerk")
    assert clerk.get("/policies", follow_redirects=False).status_code == 303  # to log in
    assert log_in(_client(settings, engine), "clerk", NEW_PASSWORD) != 303
    assert admin.post("/admin/users/clerk/enable", data={"csrf_token": csrf}).status_code == 200
    assert log_in(_client(settings, engine), "clerk", NEW_PASSWORD) == 303

    # A new password set by the administrator: the old one stops working.
    reset = admin.post(
        "/admin/users/clerk/password",
        data={"csrf_token": csrf, "password": "quiet-harbour-river-7"},
        follow_redirects=False,
    )
    assert reset.status_code == 303
    flash = admin.get("/admin/users").text
    assert "新密码已生效" in flash and "quiet-harbour-river-7" not in flash
    assert log_in(_client(settings, engine), "clerk", NEW_PASSWORD) != 303
    assert log_in(_client(settings, engine), "clerk", "quiet-harbour-river-7") == 303

    # Roles and utilities: none is refused on the form; a reviewer of water is kept.
    edit = admin.get("/admin/users", params={"edit": "clerk"}).text
    assert 'id="grants-form"' in edit and 'id="password-form"' in edit
    empty = admin.post(
        "/admin/users/clerk/grants",
        data={"csrf_token": csrf, "utilities": ["water"]},
        follow_redirects=False,
    )
    assert empty.status_code == 422 and 'data-field="roles"' in empty.text
    regrant = admin.post(
        "/admin/users/clerk/grants",
        data={"csrf_token": csrf, "roles": ["reviewer"], "utilities": ["water"]},
        follow_redirects=False,
    )
    assert regrant.status_code == 303
    row = row_of(admin.get("/admin/users").text, "clerk")
    assert "审核员" in row and "业务操作员" not in row

    assert audit_actions(engine, "admin") == [
        ("user_create", "clerk"),
        ("user_disable", "clerk"),
        ("user_enable", "clerk"),
        ("password_reset", "clerk"),
        ("user_grants", "clerk"),
    ]


def test_an_administrator_cannot_change_itself_nor_grant_beyond_its_reach(
    settings: Settings, engine: Engine, world: World
) -> None:
    with session(settings, engine, "admin") as admin:
        csrf = csrf_of(admin.get("/admin/users").text)
        own = admin.post(
            "/admin/users/admin/grants",
            data={"csrf_token": csrf, "roles": ["auditor"], "utilities": ["water"]},
        )
        assert own.status_code == 403
        office = admin.post(
            "/admin/users/op-water/grants",
            data={"csrf_token": csrf, "roles": ["credit_office"], "utilities": ["water"]},
        )
        assert office.status_code == 403
        assert (
            admin.post("/admin/users/office/disable", data={"csrf_token": csrf}).status_code == 404
        )
    changes = {"user_grants", "user_disable", "user_enable", "password_reset"}
    assert not changes & {a for a, _ in audit_actions(engine, "admin")}


# ---- the audit log page -------------------------------------------------------------------------


def _rows(page: str) -> list[tuple[int, str]]:
    return [(int(i), action) for i, action in ROW.findall(page)]


def test_the_filters_narrow_the_rows(settings: Settings, engine: Engine, world: World) -> None:
    with session(settings, engine, "auditor-water") as client:
        everything = _rows(client.get("/admin/audit").text)
        assert {a for _, a in everything} >= {"login", "user_create"}

        logins = _rows(client.get("/admin/audit", params={"action": "login"}).text)
        assert logins and {a for _, a in logins} == {"login"} and len(logins) < len(everything)

        page = client.get("/admin/audit", params={"actor": "op-water", "subject": "op-water"})
        rows = _rows(page.text)
        assert rows and all(f'data-id="{i}"' in page.text for i, _ in rows)
        keys = re.findall(r'<td class="key"><code>([^<]*)</code></td>', page.text)
        assert keys and set(keys) == {"op-water"}

        local_today = today()
        tomorrow = (local_today + dt.timedelta(days=1)).isoformat()
        dated = client.get(
            "/admin/audit", params={"from": local_today.isoformat(), "to": local_today.isoformat()}
        )
        assert _rows(dated.text) == everything  # the world was built today
        assert _rows(client.get("/admin/audit", params={"from": tomorrow}).text) == []
        assert _rows(client.get("/admin/audit", params={"to": "2000-01-01"}).text) == []
        wrong = client.get("/admin/audit", params={"from": "2026/13/01"})
        assert wrong.status_code == 200 and 'id="audit-bad-date"' in wrong.text


def test_times_carry_their_zone_on_the_page_and_in_the_api(
    settings: Settings, engine: Engine, world: World
) -> None:
    with session(settings, engine, "auditor-water") as client:
        page = client.get("/admin/audit", params={"action": "login"}).text
        shown = re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', page)
        assert shown
        api = client.get("/api/audit", params={"action": "login", "limit": 200}).json()["items"]
        for (machine, text), item in zip(shown, api, strict=False):
            assert text.endswith("+08:00") and machine == text.replace(" ", "T")
            stored = dt.datetime.fromisoformat(item["at"].replace("Z", "+00:00"))
            assert stored.tzinfo is not None  # the API's time is aware, UTC
            assert dt.datetime.fromisoformat(machine) == stored.replace(microsecond=0)
            assert dt.datetime.fromisoformat(machine).utcoffset() == dt.timedelta(hours=8)
            assert stored.astimezone(SHANGHAI).utcoffset() == dt.timedelta(hours=8)


def test_the_exports_hold_the_filtered_rows_under_a_header(
    settings: Settings, engine: Engine, world: World
) -> None:
    with session(settings, engine, "auditor-water") as client:
        rows = _rows(client.get("/admin/audit", params={"action": "login"}).text)
        assert 0 < len(rows) < 50  # one page holds them all

        text = client.get("/admin/audit/export.csv", params={"action": "login"})
        assert text.status_code == 200 and "attachment" in text.headers["content-disposition"]
        assert text.content.startswith(b"\xef\xbb\xbf")
        table = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
        assert table[0][:3] == ["时间（北京时间）", "操作人", "操作"]
        assert len(table) == len(rows) + 1
        assert {line[2] for line in table[1:]} == {"登录"}
        assert all(line[0].endswith("+08:00") for line in table[1:])

        book = client.get("/admin/audit/export.xlsx", params={"action": "login"})
        assert book.status_code == 200
        assert book.headers["content-type"].startswith("application/vnd.openxmlformats")
        sheet = load_workbook(io.BytesIO(book.content), read_only=True).worksheets[0]
        # openpyxl reads an empty text cell back as None.
        cells = [["" if c is None else c for c in r] for r in sheet.iter_rows(values_only=True)]
        assert cells == table

    with session(settings, engine, "auditor-water", lang="en") as english:
        exported = english.get("/admin/audit/export.csv").content.decode("utf-8-sig")
        header = next(csv.reader(io.StringIO(exported)))
        assert header[0] == "Time (Beijing, UTC+8)" and not CJK.search(",".join(header))


def test_the_english_pages_carry_no_chinese(
    settings: Settings, engine: Engine, world: World
) -> None:
    with session(settings, engine, "admin", lang="en") as client:
        for url in ("/admin/users", "/admin/users?edit=op-water", "/admin/audit?action=login"):
            page = client.get(url)
            assert page.status_code == 200
            main = page.text[page.text.index("<main") :]
            assert not CJK.search(main), (url, CJK.findall(main)[:5])
