"""Designations on the credit file and in search results: what the latest complete run of each
policy stored, per utility the reader sees (``GET /api/subjects/{code}``, ``GET /api/subjects``).
"""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, update

from tests.e2e.api.world import BOTH, POWER_ONLY, World
from tests.integration.rating_runs.helpers import save
from tests.integration.rating_sql.store_builders import RCommitment, commitment_row
from utilcredit.customers.model import CommitmentStatus, Utility
from utilcredit.customers.subjects import subject_by_code
from utilcredit.customers.tables import CommitmentRow, CreditReportRow
from utilcredit.policies.service import policy_at
from utilcredit.rating.sql.engines import DatabaseEngine

AS_OF = dt.date(2026, 11, 22)
ZHANJIANG = policy_at("zhanjiang-power", AS_OF)
SHAOGUAN = policy_at("shaoguan-water", AS_OF)
TRUSTWORTHY = {
    "key": "trustworthy_subject",
    "title": "守信用电主体",
    "status": "held",
    "policy_key": "zhanjiang-power",
    "as_of": AS_OF.isoformat(),
}
EXCELLENT = {
    "key": "excellent_subject",
    "title": "优良信用用水主体",
    "status": "held",
    "policy_key": "shaoguan-water",
    "as_of": AS_OF.isoformat(),
}


def _trusted(engine: Engine, *codes: str) -> None:
    """A clean Guangdong report and a commitment to the power utility for each subject."""
    with engine.begin() as connection:
        for n, code in enumerate(codes):
            found = subject_by_code(connection, code)
            assert found is not None
            connection.execute(
                insert(CreditReportRow).values(
                    subject_id=found.id,
                    source="guangdong",
                    issued_on=dt.date(2026, 10, 1),
                    has_dishonesty=False,
                    on_serious_list=False,
                )
            )
            commitment = RCommitment(
                f"CM-{n}",
                Utility.POWER,
                "approval_substitute",
                dt.date(2026, 10, 1),
                None,
                CommitmentStatus.IN_FORCE,
                dt.date(2026, 10, 1),
            )
            connection.execute(
                insert(CommitmentRow), [commitment_row(900 + n, found.id, commitment)]
            )


def _credit_file(client: TestClient, world: World, user: str, code: str) -> list[object]:
    response = client.get(f"/api/subjects/{code}", headers=world.headers(user))
    assert response.status_code == 200, response.text
    designations: list[object] = response.json()["designations"]
    return designations


def test_the_credit_file_shows_the_designations_of_the_latest_runs(
    client: TestClient, world: World, engine: Engine
) -> None:
    assert _credit_file(client, world, "admin", POWER_ONLY) == []  # no run yet
    _trusted(engine, POWER_ONLY, BOTH)
    assert _credit_file(client, world, "admin", POWER_ONLY) == []  # still no run
    save(engine, ZHANJIANG, AS_OF, batch=DatabaseEngine())
    save(engine, SHAOGUAN, AS_OF, batch=DatabaseEngine())
    assert _credit_file(client, world, "op-power", POWER_ONLY) == [TRUSTWORTHY]
    # BOTH holds both; each reader sees the designations of the utilities they read
    assert _credit_file(client, world, "admin", BOTH) == [EXCELLENT, TRUSTWORTHY]
    assert _credit_file(client, world, "op-water", BOTH) == [EXCELLENT]
    assert _credit_file(client, world, "op-power", BOTH) == [TRUSTWORTHY]
    # a newer run is what counts: the commitment breached, the designation is gone
    with engine.begin() as connection:
        connection.execute(
            update(CommitmentRow).values(status="breached", status_on=dt.date(2026, 11, 1))
        )
    save(engine, ZHANJIANG, AS_OF, batch=DatabaseEngine())
    assert _credit_file(client, world, "op-power", POWER_ONLY) == []
    assert _credit_file(client, world, "admin", BOTH) == [EXCELLENT]


def test_an_undecided_designation_is_shown_as_unknown(
    client: TestClient, world: World, engine: Engine
) -> None:
    """POWER_ONLY gave a commitment but has no Guangdong report: whether it is on the serious
    list cannot be told, so the run stored it unknown, and the file says so."""
    _trusted(engine, BOTH)
    with engine.begin() as connection:
        found = subject_by_code(connection, POWER_ONLY)
        assert found is not None
        commitment = RCommitment(
            "CM-P",
            Utility.POWER,
            "voluntary",
            dt.date(2026, 1, 1),
            None,
            CommitmentStatus.FULFILLED,
            dt.date(2026, 6, 1),
        )
        connection.execute(insert(CommitmentRow), [commitment_row(990, found.id, commitment)])
    save(engine, ZHANJIANG, AS_OF, batch=DatabaseEngine())
    assert _credit_file(client, world, "op-power", POWER_ONLY) == [
        {**TRUSTWORTHY, "status": "unknown"}
    ]


def test_search_results_carry_designations(
    client: TestClient, world: World, engine: Engine
) -> None:
    _trusted(engine, POWER_ONLY, BOTH)
    save(engine, ZHANJIANG, AS_OF, batch=DatabaseEngine())
    save(engine, SHAOGUAN, AS_OF, batch=DatabaseEngine())
    page = client.get("/api/subjects?q=涟水县", headers=world.headers("admin")).json()
    by_code = {item["code"]: item["designations"] for item in page["items"]}
    assert by_code[POWER_ONLY] == [TRUSTWORTHY]
    assert by_code[BOTH] == [EXCELLENT, TRUSTWORTHY]
    water = client.get("/api/subjects?q=涟水县", headers=world.headers("op-water")).json()
    assert {item["code"]: item["designations"] for item in water["items"]}[BOTH] == [EXCELLENT]
