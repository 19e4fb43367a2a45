"""Designations in saved runs: every engine stores what the reference evaluator decides, on the
demo utility's store with credit commitments added; a run read back keeps them; re-rating
carries them over; readers get a subject's current ones from the latest runs."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select, update

from tests.integration.rating_runs.helpers import age_store, expected, save, stored
from tests.integration.rating_sql.store_builders import RCommitment, commitment_row
from utilcredit.customers.model import CommitmentStatus, Utility
from utilcredit.customers.tables import AccountRow, CommitmentRow, CreditReportRow, SubjectRow
from utilcredit.demo import DemoSpec, generate
from utilcredit.importing.runner import import_paths
from utilcredit.policies.loader import LoadedPolicy, load_policy
from utilcredit.rating.batch import BatchEngine
from utilcredit.rating.results import ClauseStatus
from utilcredit.rating.runs import reads
from utilcredit.rating.runs.model import RunKind
from utilcredit.rating.runs.tables import RatingResultRow
from utilcredit.rating.sql.engines import DatabaseEngine, DuckDBEngine, ReferenceEngine

AS_OF = dt.date(2026, 11, 22)
ZHANJIANG = load_policy("zhanjiang-power", AS_OF)
SHAOGUAN = load_policy("shaoguan-water", AS_OF)
STATUSES = list(CommitmentStatus)


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    generate(DemoSpec(subjects=150, seed=11, as_of=AS_OF, years=3), folder, workers=1)
    return folder


@pytest.fixture
def store(engine: Engine, demo_files: Path) -> Engine:
    """The demo store, and a commitment to the power utility from two power subjects in three,
    of every status, made, valid until and ended on and around the as-of date."""
    report = import_paths(engine, [demo_files], actor="test")
    assert all(f.result is not None and not f.rejects for f in report.files)
    days = [AS_OF + dt.timedelta(days=k) for k in (-400, -1, 0, 1)]
    with engine.begin() as connection:
        power = sorted(
            connection.execute(
                select(AccountRow.subject_id).where(AccountRow.utility == "power").distinct()
            ).scalars()
        )
        rows = []
        for n, subject_id in enumerate(power):
            if n % 3 == 2:
                continue
            made = days[n % 3] if n % 5 else days[3]
            commitment = RCommitment(
                f"CM{n:04d}",
                Utility.POWER,
                "approval_substitute",
                made,
                None if n % 4 else days[(n // 4) % 4],
                STATUSES[n % len(STATUSES)],
                max(made, days[(n // 2) % 4]),
            )
            rows.append(commitment_row(100_000 + n, subject_id, commitment))
        connection.execute(insert(CommitmentRow), rows)
        # the demo's reports are from sources Zhanjiang does not trust: a Guangdong report for
        # most power subjects (every seventh on the serious list), so that some hold
        connection.execute(
            insert(CreditReportRow),
            [
                {
                    "subject_id": subject_id,
                    "source": "guangdong",
                    "issued_on": AS_OF - dt.timedelta(days=30),
                    "has_dishonesty": False,
                    "on_serious_list": n % 7 == 0,
                }
                for n, subject_id in enumerate(power)
                if n % 11
            ],
        )
    return engine


ENGINES: dict[str, BatchEngine] = {
    "reference": ReferenceEngine(),
    "database": DatabaseEngine(),
    "duckdb": DuckDBEngine(threads=1),
}


@pytest.mark.parametrize("loaded", [ZHANJIANG, SHAOGUAN], ids=lambda loaded: loaded.key)
@pytest.mark.parametrize("engine_name", sorted(ENGINES))
def test_a_saved_run_keeps_the_designations_the_evaluator_decides(
    store: Engine, loaded: LoadedPolicy, engine_name: str
) -> None:
    header = save(store, loaded, AS_OF, batch=ENGINES[engine_name])
    assert header.designation_keys == tuple(d.key for d in loaded.policy.designations)
    truth = expected(store, loaded, AS_OF)
    assert stored(store, header.id) == truth  # levels, clauses and designations, read back
    tally = Counter(d.status for r in truth.values() for d in r.designations)
    assert tally[ClauseStatus.HELD] and tally[ClauseStatus.FAILED], tally
    with store.connect() as connection:
        letters = Counter(
            connection.execute(
                select(RatingResultRow.designations).where(RatingResultRow.run_id == header.id)
            ).scalars()
        )
    assert set(letters) <= {"H", "X", "U"} and sum(letters.values()) == len(truth)


def test_re_rating_carries_designations_over_and_re_rates_a_changed_commitment(
    store: Engine,
) -> None:
    age_store(store)  # imported long ago: only what changes after the run is re-rated
    first = save(store, ZHANJIANG, AS_OF, batch=DatabaseEngine())
    before = stored(store, first.id)
    held = next(
        code for code, r in sorted(before.items()) if r.designations[0].status.value == "held"
    )
    with store.begin() as connection:
        subject_id = connection.execute(
            select(SubjectRow.id).where(SubjectRow.code == held)
        ).scalar_one()
        connection.execute(
            update(CommitmentRow)
            .where(CommitmentRow.subject_id == subject_id)
            .values(status="breached", status_on=AS_OF - dt.timedelta(days=1))
        )
    second = save(store, ZHANJIANG, AS_OF, rerate=True, batch=DatabaseEngine())
    assert second.kind == RunKind.INCREMENTAL and second.rerated < second.subjects
    after = stored(store, second.id)
    assert after == expected(store, ZHANJIANG, AS_OF)
    assert after[held].designations[0].status == ClauseStatus.FAILED
    assert {c: r for c, r in after.items() if c != held} == {
        c: r for c, r in before.items() if c != held
    }


def test_readers_get_the_current_designations_of_subjects(store: Engine) -> None:
    save(store, SHAOGUAN, AS_OF, batch=DatabaseEngine())
    old = save(store, ZHANJIANG, AS_OF - dt.timedelta(days=1), batch=DatabaseEngine())
    current = save(store, ZHANJIANG, AS_OF, batch=DatabaseEngine())
    truth = {**expected(store, SHAOGUAN, AS_OF)}
    power = expected(store, ZHANJIANG, AS_OF)
    with store.connect() as connection:
        ids: dict[str, int] = dict(connection.execute(select(SubjectRow.code, SubjectRow.id)).all())
        found = reads.current_designations(connection, list(ids.values()), {"water", "power"})
        water_only = reads.current_designations(connection, list(ids.values()), {"water"})
    assert old.id < current.id
    for code, subject_id in ids.items():
        want = [
            (loaded.key, d.key, d.status)
            for loaded, ratings in ((SHAOGUAN, truth), (ZHANJIANG, power))
            if code in ratings
            for d in ratings[code].designations
            if d.status != ClauseStatus.FAILED
        ]
        got = [(d.policy_key, d.key, d.status) for d in found.get(subject_id, [])]
        assert got == want, code
        assert all(d.as_of == AS_OF for d in found.get(subject_id, []))
        assert [d.policy_key for d in water_only.get(subject_id, [])] == [
            key for key, _, _ in want if key == SHAOGUAN.key
        ]
    titles = {d.title for ds in found.values() for d in ds}
    assert titles == {"优良信用用水主体", "守信用电主体"}
