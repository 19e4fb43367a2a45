"""The level distribution (dashboard, ``/api/stats/levels``) comes from the configured policy's
current run — its latest complete one, however many runs of other policies came after it — and
never from a run still running (partial counts), and it matches a live count."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.e2e.api.world import AS_OF, World
from utilcredit.policies.service import policy_at
from utilcredit.rating.runs import service as runs
from utilcredit.rating.sql.engines import ReferenceEngine

DAY = dt.date.fromisoformat(AS_OF)


def begin(engine: Engine, policy_key: str) -> int:
    with engine.begin() as connection:
        return runs.begin_run(
            connection, policy_at(policy_key, DAY), DAY, engine="reference", actor="test"
        )


def save_run(engine: Engine, policy_key: str) -> int:
    run_id = begin(engine, policy_key)
    with engine.begin() as connection:
        runs.write_run(connection, run_id, policy_at(policy_key, DAY), ReferenceEngine())
    return run_id


def nonzero(counts: object) -> dict[str, int]:
    assert isinstance(counts, dict)
    return {level: n for level, n in counts.items() if n}


def water_distribution(client: TestClient, world: World) -> dict[str, object]:
    found = client.get(f"/api/stats/levels?as_of={AS_OF}", headers=world.headers("op-water"))
    assert found.status_code == 200, found.text
    [water] = found.json()
    assert water["utility"] == "water"
    return dict(water)


def test_the_distribution_is_the_current_runs_not_a_running_one(
    client: TestClient, world: World, engine: Engine
) -> None:
    live = water_distribution(client, world)
    assert live["source"] == "live"
    saved = save_run(engine, "lianshui-water")
    from_run = water_distribution(client, world)
    assert from_run["source"] == f"run:{saved}"
    # The run's stored counts are the live ones (same file, same date; a run lists every
    # level, zeros included).
    assert nonzero(from_run["by_level"]) == nonzero(live["by_level"])
    assert (from_run["by_area"], from_run["subjects"]) == (live["by_area"], live["subjects"])
    # A later run that has not finished is not shown, nor is a run of another water policy.
    begin(engine, "lianshui-water")
    save_run(engine, "shaoguan-water")
    assert water_distribution(client, world)["source"] == f"run:{saved}"
