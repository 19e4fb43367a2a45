"""Two reviewers deciding one override at once: one decision wins, the other is a 409.

Real concurrency: two threads send their requests through the app at the same time, and a
barrier holds each request right after it has read the pending override, so that both have
seen it pending before either writes (the interleaving that let both succeed before).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, select

from tests.e2e.api.world import PASSWORD, WATER_ONLY, World
from utilcredit.access import service as access
from utilcredit.access.model import Role
from utilcredit.audit.tables import AuditEntryRow
from utilcredit.customers.model import Utility
from utilcredit.localtime import today
from utilcredit.overrides import repository as override_store
from utilcredit.overrides.tables import OverrideRow

# a decision takes the override's row lock: FOR UPDATE on PostgreSQL, the writer lock on SQLite
pytestmark = pytest.mark.both_stores


def second_reviewer(engine: Engine) -> dict[str, str]:
    with engine.begin() as connection:
        user_id = access.create_user(
            connection,
            username="rev-water-2",
            display_name="rev-water-2",
            password=PASSWORD,
            roles=frozenset({Role.REVIEWER}),
            utilities=frozenset({Utility.WATER}),
            actor="setup",
        )
        principal = access.principal_of(connection, user_id)
        assert principal is not None
        token = access.issue_token(connection, principal)
    return {"Authorization": f"Bearer {token}"}


def pending_override(client: TestClient, world: World) -> int:
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
    override_id: int = created.json()["id"]
    return override_id


def hold_after_reading(monkeypatch: pytest.MonkeyPatch, parties: int) -> threading.Barrier:
    """Every read of an override waits until ``parties`` requests have read it."""
    barrier = threading.Barrier(parties, timeout=30)
    original: Callable[..., Any] = override_store.get

    def get(connection: Any, override_id: int) -> Any:
        found = original(connection, override_id)
        barrier.wait()
        return found

    monkeypatch.setattr(override_store, "get", get)
    return barrier


@pytest.mark.parametrize(
    ("first", "second"),
    [("approve", "approve"), ("approve", "reject"), ("reject", "reject")],
)
def test_concurrent_decisions_one_wins_the_other_conflicts(
    client: TestClient,
    world: World,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    first: str,
    second: str,
) -> None:
    override_id = pending_override(client, world)
    reviewers = [("rev-water", world.headers("rev-water"), first)]
    reviewers.append(("rev-water-2", second_reviewer(engine), second))
    hold_after_reading(monkeypatch, parties=2)

    def decide(headers: dict[str, str], decision: str) -> Response:
        response: Response = client.post(
            f"/api/overrides/{override_id}/{decision}",
            json={"note": f"{decision} 核实"},
            headers=headers,
        )
        return response

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(decide, headers, decision) for _, headers, decision in reviewers]
        responses = [future.result(timeout=60) for future in futures]

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 409], [r.text for r in responses]
    [(winner, decision)] = [
        (name, choice)
        for (name, _, choice), r in zip(reviewers, responses, strict=True)
        if r.status_code == 200
    ]
    [loser] = [r for r in responses if r.status_code == 409]
    error = loser.json()["error"]
    assert error["code"] == "conflict"
    assert error["message_zh"] and error["message_en"].startswith(f"override request {override_id}")

    with engine.connect() as connection:
        stored = connection.execute(
            select(OverrideRow.state, OverrideRow.decided_by).where(OverrideRow.id == override_id)
        ).one()
        decisions = list(
            connection.execute(
                select(AuditEntryRow.actor, AuditEntryRow.action).where(
                    AuditEntryRow.action.in_(["override_approve", "override_reject"])
                )
            )
        )
    expected_state = "approved" if decision == "approve" else "rejected"
    assert tuple(stored) == (expected_state, winner)
    # Audited for the winner only: the store and the audit log tell the same story.
    assert [tuple(d) for d in decisions] == [(winner, f"override_{decision}")]


def test_withdrawal_racing_a_decision_leaves_one_outcome(
    client: TestClient, world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    override_id = pending_override(client, world)
    hold_after_reading(monkeypatch, parties=2)
    calls = [
        (f"/api/overrides/{override_id}/withdraw", world.headers("op-water"), None),
        (f"/api/overrides/{override_id}/approve", world.headers("rev-water"), {"note": "ok"}),
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(client.post, url, json=body, headers=h) for url, h, body in calls]
        responses = [future.result(timeout=60) for future in futures]
    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    with engine.connect() as connection:
        state = connection.execute(
            select(OverrideRow.state).where(OverrideRow.id == override_id)
        ).scalar_one()
        audited = list(
            connection.execute(
                select(AuditEntryRow.action).where(
                    AuditEntryRow.action.in_(["override_approve", "override_withdraw"])
                )
            ).scalars()
        )
    winner = "withdrawn" if responses[0].status_code == 200 else "approved"
    assert state == winner
    assert audited == ["override_withdraw" if winner == "withdrawn" else "override_approve"]
