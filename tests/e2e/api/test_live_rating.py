"""The live rating endpoint's body, serialised once without a response model, is exactly the
documented ``RatingOut``; its history is the runs package's; its auth is the other reads'."""

from __future__ import annotations

import datetime as dt
import json

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.e2e.api.world import AS_OF, WATER_ONLY, World
from tests.integration.rating_runs.helpers import save
from utilcredit.api.schemas import HistoryOut, OverrideOut, PolicyRefOut, RatingOut
from utilcredit.config import ConsoleSettings
from utilcredit.creditfile import service
from utilcredit.localtime import today
from utilcredit.policies.service import policy_at
from utilcredit.rating.runs import reads
from utilcredit.rating.runs.repository import levels

PATH = f"/api/subjects/{WATER_ONLY}/rating?policy=lianshui-water&as_of={AS_OF}"


def approve_override(client: TestClient, world: World) -> None:
    created = client.post(
        f"/api/subjects/{WATER_ONLY}/overrides",
        json={
            "policy": "lianshui-water",
            "level": "red",
            "reason": "已签订分期还款协议并按期履行",
            "expires_on": (today() + dt.timedelta(days=60)).isoformat(),
        },
        headers=world.headers("op-water"),
    )
    assert created.status_code == 201, created.text
    approved = client.post(
        f"/api/overrides/{created.json()['id']}/approve",
        json={"note": "核实协议属实"},
        headers=world.headers("rev-water"),
    )
    assert approved.status_code == 200, approved.text


def model_built(engine: Engine, world: World) -> RatingOut:
    """The body as the endpoint built it before: through the response models."""
    with engine.connect() as connection:
        view = service.rate_live(
            connection,
            world.users["op-water"].principal,
            WATER_ONLY,
            policy_key="lianshui-water",
            as_of=dt.date.fromisoformat(AS_OF),
            console=ConsoleSettings(),
        )
    loaded = view.policy
    return RatingOut(
        subject=view.subject_code,
        policy=PolicyRefOut(
            key=loaded.key,
            version=loaded.version,
            title=loaded.policy.title,
            utility=loaded.policy.utility,
            effective_from=loaded.policy.effective_from,
            sha256=loaded.sha256,
        ),
        as_of=view.as_of,
        computed_level=view.level.computed,
        effective_level=view.level.effective,
        override=OverrideOut.model_validate(view.level.override, from_attributes=True)
        if view.level.override
        else None,
        explanation=view.explanation,
        explanation_text=view.text,
        history=[HistoryOut.of_change(h) for h in view.history],
        next_change=view.next_change,
    )


def test_body_is_the_documented_model_with_override_and_history(
    client: TestClient, world: World, engine: Engine
) -> None:
    loaded = policy_at("lianshui-water", None)
    save(engine, loaded, dt.date(2026, 2, 1))  # before the unpaid bill falls due
    save(engine, loaded, dt.date.fromisoformat(AS_OF))  # nine months in arrears: black
    approve_override(client, world)

    response = client.get(PATH, headers=world.headers("op-water"))

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = json.loads(response.content)
    assert RatingOut.model_validate_json(response.content).model_dump(mode="json") == body
    assert body == model_built(engine, world).model_dump(mode="json")
    assert body["computed_level"] == "black" and body["effective_level"] == "red"
    assert body["override"]["reason"] == "已签订分期还款协议并按期履行"
    with engine.connect() as connection:
        changes = levels.level_history(connection, WATER_ONLY, "lianshui-water")
    expected = [(c.run_id, c.to_level.value) for c in reversed(changes) if c.to_level]
    assert [(h["run_id"], h["level"]) for h in body["history"]] == expected
    assert body["history"][0]["level"] == "black" and len(expected) == 2


def test_history_is_limited_to_the_newest_changes(world: World, engine: Engine) -> None:
    loaded = policy_at("lianshui-water", None)
    for day in (dt.date(2026, 2, 1), dt.date.fromisoformat(AS_OF)):
        save(engine, loaded, day)
    with engine.connect() as connection:
        everything = reads.recent_levels(connection, WATER_ONLY, "lianshui-water", 50)
        newest = reads.recent_levels(connection, WATER_ONLY, "lianshui-water", 1)
        other_policy = reads.recent_levels(connection, WATER_ONLY, "huaiyin-power", 50)
    assert newest == everything[:1] and len(everything) == 2
    assert everything[0].run_id > everything[1].run_id
    assert other_policy == []


def test_anonymous_and_bad_tokens_are_refused_before_any_work(client: TestClient) -> None:
    anonymous = client.get(PATH)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert anonymous.json()["error"]["code"] == "unauthenticated"
    forged = client.get(PATH, headers={"Authorization": "Bearer not-a-token"})
    assert forged.status_code == 401


def test_a_revoked_token_no_longer_rates(client: TestClient, world: World) -> None:
    headers = world.headers("op-water")
    assert client.get(PATH, headers=headers).status_code == 200
    assert client.post("/api/auth/revoke", headers=headers).status_code == 204
    assert client.get(PATH, headers=headers).status_code == 401
