"""The audit log by utility: an auditor reads the entries that concern their utilities, an
auditor of every utility reads them all; ID numbers are masked for readers without
``view_unmasked``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tests.e2e.api.world import BOTH, PASSWORD, PERSON, POWER_ONLY, WATER_ONLY, World
from utilcredit.access import service as access
from utilcredit.access.model import Role
from utilcredit.customers.model import Utility
from utilcredit.customers.tables import SubjectRow
from utilcredit.localtime import today

MASKED = "3208261980****004X"


def auditor(engine: Engine, name: str, utilities: set[Utility]) -> dict[str, str]:
    with engine.begin() as connection:
        user_id = access.create_user(
            connection,
            username=name,
            display_name=name,
            password=PASSWORD,
            roles=frozenset({Role.AUDITOR}),
            utilities=frozenset(utilities),
            actor="setup",
        )
        principal = access.principal_of(connection, user_id)
        assert principal is not None
        token = access.issue_token(connection, principal)
    return {"Authorization": f"Bearer {token}"}


def entries(client: TestClient, headers: dict[str, str], **params: str) -> list[dict[str, Any]]:
    response = client.get("/api/audit", params={"limit": "200", **params}, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def request_override(
    client: TestClient, world: World, username: str, code: str, policy: str
) -> int:
    response = client.post(
        f"/api/subjects/{code}/overrides",
        json={
            "policy": policy,
            "level": "red",
            "reason": "已签订分期还款协议并按期履行",
            "expires_on": (today() + dt.timedelta(days=60)).isoformat(),
        },
        headers=world.headers(username),
    )
    assert response.status_code == 201, response.text
    override_id: int = response.json()["id"]
    return override_id


def test_an_auditor_reads_the_entries_of_their_utilities_only(
    client: TestClient, world: World, engine: Engine
) -> None:
    water = request_override(client, world, "op-water", WATER_ONLY, "lianshui-water")
    power = request_override(client, world, "op-power", POWER_ONLY, "huaiyin-power")
    power_auditor = auditor(engine, "auditor-power", {Utility.POWER})
    every_utility = auditor(engine, "auditor-all", set(Utility))

    def seen(headers: dict[str, str]) -> list[tuple[str, str, list[str]]]:
        return [
            (e["actor"], e["entity_key"], e["utilities"])
            for e in entries(client, headers, action="override_request")
        ]

    assert seen(world.headers("auditor-water")) == [("op-water", str(water), ["water"])]
    assert seen(power_auditor) == [("op-power", str(power), ["power"])]
    assert seen(every_utility) == [
        ("op-power", str(power), ["power"]),
        ("op-water", str(water), ["water"]),
    ]
    # A filter cannot reach round it either.
    assert entries(client, world.headers("auditor-water"), entity_key=str(power)) == []
    # The users of the other utility, and their logins, are the other utility's business.
    water_view = entries(client, world.headers("auditor-water"), action="user_create")
    assert "op-power" not in {e["entity_key"] for e in water_view}
    assert "op-water" in {e["entity_key"] for e in water_view}


def test_entries_that_concern_no_utility_are_for_auditors_of_every_utility(
    client: TestClient, world: World, engine: Engine
) -> None:
    for username in ("nobody-at-all", "op-power", "op-water"):
        failed = client.post(
            "/api/auth/token", json={"username": username, "password": "wrong-password-1"}
        )
        assert failed.status_code == 401
    every_utility = auditor(engine, "auditor-all", set(Utility))
    water = entries(client, world.headers("auditor-water"), action="login_failed")
    assert [(e["actor"], e["utilities"]) for e in water] == [("op-water", ["water"])]
    everything = entries(client, every_utility, action="login_failed")
    assert [(e["actor"], e["utilities"]) for e in everything] == [
        ("op-water", ["water"]),
        ("op-power", ["power"]),
        ("nobody-at-all", []),
    ]
    # The administrator of both utilities reads every utility: all of them, too.
    assert len(entries(client, world.headers("admin"), action="login_failed")) == 3


def test_views_and_refusals_record_the_utilities_they_concern(
    client: TestClient, world: World
) -> None:
    assert (
        client.get(f"/api/subjects/{BOTH}?unmasked=true", headers=world.headers("op-both"))
    ).status_code == 200
    assert (
        client.get(f"/api/subjects/{BOTH}?unmasked=true", headers=world.headers("op-water"))
    ).status_code == 200
    assert (
        client.get(f"/api/subjects/{POWER_ONLY}", headers=world.headers("op-water"))
    ).status_code == 404
    found = entries(client, world.headers("admin"))
    views = [(e["actor"], e["utilities"]) for e in found if e["action"] == "view_unmasked"]
    # Seen through the utilities the viewer shares with the subject.
    assert views == [("op-water", ["water"]), ("op-both", ["power", "water"])]
    [denied] = [e for e in found if e["action"] == "access_denied"]
    # A refusal concerns the one refused (a water operator probing): the water auditor's.
    assert (denied["actor"], denied["utilities"]) == ("op-water", ["water"])


def person_ref(engine: Engine) -> str:
    with engine.connect() as connection:
        subject_id = connection.execute(
            select(SubjectRow.id).where(SubjectRow.code == PERSON)
        ).scalar_one()
    return f"id-{subject_id}"


def test_id_numbers_are_masked_for_auditors_without_view_unmasked(
    client: TestClient, world: World, engine: Engine
) -> None:
    ref = person_ref(engine)
    viewed = client.get(f"/api/subjects/{PERSON}?unmasked=true", headers=world.headers("op-water"))
    assert viewed.status_code == 200
    probed = client.get(f"/api/subjects/{PERSON}/bills", headers=world.headers("op-power"))
    assert probed.status_code == 404
    power_auditor = auditor(engine, "auditor-power", {Utility.POWER})

    water = client.get("/api/audit", headers=world.headers("auditor-water"))
    assert PERSON not in water.text
    [view] = [e for e in water.json()["items"] if e["action"] == "view_unmasked"]
    assert view["entity_key"] == ref  # the subject's reference: opaque, and filterable
    by_ref = entries(client, world.headers("auditor-water"), entity_key=ref)
    assert [e["action"] for e in by_ref] == ["view_unmasked"]
    by_number = client.get(
        "/api/audit", params={"entity_key": PERSON}, headers=world.headers("auditor-water")
    )
    assert len(by_number.json()["items"]) == 1 and PERSON not in by_number.text

    power = client.get("/api/audit", params={"action": "access_denied"}, headers=power_auditor)
    assert PERSON not in power.text
    [denied] = power.json()["items"]
    assert denied["entity_key"] == ref
    assert MASKED in denied["reason"] and MASKED in denied["detail"]["path"]

    # A reader who may see personal data in clear sees the entries as written.
    admin = entries(client, world.headers("admin"), entity_key=PERSON)
    assert {e["entity_key"] for e in admin} == {PERSON}
    assert {e["action"] for e in admin} == {"view_unmasked", "access_denied"}
