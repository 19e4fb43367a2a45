"""Rating runs on the real store (SQLite and PostgreSQL): stored exactly as the evaluator rates,
atomic, with level history, transitions, dynamic re-rating and what-if simulation."""

from __future__ import annotations

import csv
import datetime as dt
import os
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, func, select, update

from tests.integration.rating_runs.helpers import age_store, expected, save, stored
from utilcredit.customers.tables import AccountRow, IncidentRow, SubjectRow
from utilcredit.demo import DemoSpec, generate
from utilcredit.identifiers.model import uscc_check_char
from utilcredit.importing.runner import import_paths
from utilcredit.importing.tables import ImportRunRow
from utilcredit.policies.loader import LoadedPolicy, load_policy, load_policy_file
from utilcredit.policies.model.levels import Level
from utilcredit.policies.model.policy import Policy
from utilcredit.rating.batch import SubjectRating
from utilcredit.rating.runs import reads, service, whatif
from utilcredit.rating.runs.model import RunKind, RunStatus
from utilcredit.rating.runs.repository import results
from utilcredit.rating.runs.tables import LevelChangeRow, RatingResultRow, RatingRunRow
from utilcredit.rating.sql.engines import ReferenceEngine

AS_OF = dt.date(2026, 11, 22)
LIANSHUI = load_policy("lianshui-water", AS_OF)


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    generate(DemoSpec(subjects=150, seed=11, as_of=AS_OF, years=3), folder, workers=1)
    return folder


@pytest.fixture
def store(engine: Engine, demo_files: Path) -> Engine:
    report = import_paths(engine, [demo_files], actor="test")
    assert all(f.result is not None and not f.rejects for f in report.files)
    return engine


def import_incident(engine: Engine, tmp_path: Path, account_no: str, **fields: str) -> None:
    path = tmp_path / "incidents.csv"
    row = {
        "incident_no": fields.pop("incident_no", "T-NEW-1"),
        "account_no": account_no,
        "kind": "theft",
        "occurred_on": "2026-11-01",
        "amount": "20000",
        **fields,
    }
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    report = import_paths(engine, [path], actor="test")
    assert not report.files[0].rejects and report.files[0].result is not None


def water_account_of(
    engine: Engine, level: Level, ratings: dict[str, SubjectRating]
) -> tuple[str, str]:
    """(subject code, one of its water accounts) of the first subject rated ``level``."""
    code = next(c for c, r in sorted(ratings.items()) if r.level == level)
    with engine.connect() as connection:
        account = connection.execute(
            select(AccountRow.account_no)
            .join(SubjectRow, SubjectRow.id == AccountRow.subject_id)
            .where(SubjectRow.code == code, AccountRow.utility == "water")
            .limit(1)
        ).scalar_one()
    return code, account


def rows(engine: Engine, table: type) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_saved_run_stores_every_subject_exactly_as_the_evaluator_rates_it(store: Engine) -> None:
    header = save(store, LIANSHUI, AS_OF)
    truth = expected(store, LIANSHUI, AS_OF)
    assert len(truth) > 100
    assert stored(store, header.id) == truth
    assert header.status == RunStatus.COMPLETE and header.kind == RunKind.FULL
    assert (header.policy_key, header.policy_version, header.policy_sha256) == (
        "lianshui-water",
        LIANSHUI.policy.version,
        LIANSHUI.sha256,
    )
    assert header.as_of == AS_OF and header.engine == "reference"
    assert header.subjects == header.rerated == len(truth)
    assert header.level_counts == {
        level.value: Counter(r.level for r in truth.values())[level] for level in Level
    }
    assert header.duration_ms is not None and header.duration_ms >= 0
    with store.connect() as connection:
        newest = connection.execute(select(func.max(IncidentRow.updated_at))).scalar()
        last_import = connection.execute(select(func.max(ImportRunRow.id))).scalar()
        assert reads.current_run(connection, "lianshui-water") == header
    assert header.watermark is not None and newest is not None
    assert header.watermark >= newest.replace(tzinfo=header.watermark.tzinfo)
    assert header.import_run_id == last_import
    # the first run starts every subject's history
    assert rows(store, LevelChangeRow) == len(truth)
    assert header.changed == 0  # no previous level to change from


def test_a_subject_no_longer_rated_leaves_its_history_with_a_departure(store: Engine) -> None:
    """A subject the base run rated and this run does not (its water accounts are gone) gets a
    change to no level; a run over an unchanged population records none."""
    first = save(store, LIANSHUI, AS_OF)
    second = save(store, LIANSHUI, AS_OF)
    assert second.subjects == first.subjects
    code, _ = water_account_of(store, Level.BLUE, stored(store, first.id))
    with store.begin() as connection:
        subject_id = connection.execute(
            select(SubjectRow.id).where(SubjectRow.code == code)
        ).scalar_one()
        connection.execute(
            update(AccountRow)
            .where(AccountRow.subject_id == subject_id, AccountRow.utility == "water")
            .values(utility="power")
        )
    third = save(store, LIANSHUI, AS_OF)

    assert third.subjects == first.subjects - 1
    with store.connect() as connection:
        history = reads.history(connection, code, "lianshui-water")
        departures = connection.execute(
            select(LevelChangeRow.run_id, LevelChangeRow.subject_id).where(
                LevelChangeRow.to_level.is_(None)
            )
        ).all()
    assert [(c.run_id, c.from_level, c.to_level) for c in history] == [
        (first.id, None, Level.BLUE),
        (third.id, Level.BLUE, None),
    ]
    assert [tuple(row) for row in departures] == [(third.id, subject_id)]


def test_a_change_in_the_data_shows_in_history_and_transitions(
    store: Engine, tmp_path: Path
) -> None:
    first = save(store, LIANSHUI, AS_OF)
    code, account = water_account_of(store, Level.BLUE, stored(store, first.id))
    import_incident(store, tmp_path, account)  # a theft of 20,000 CNY: K3, black
    second = save(store, LIANSHUI, AS_OF)

    assert second.base_run_id == first.id and second.changed == 1
    with store.connect() as connection:
        history = reads.history(connection, code, "lianshui-water")
        matrix = reads.transitions(connection, first.id, second.id, samples=3)
    assert [(c.run_id, c.from_level, c.to_level) for c in history] == [
        (first.id, None, Level.BLUE),
        (second.id, Level.BLUE, Level.BLACK),
    ]
    assert history[1].as_of == AS_OF and history[1].from_run_id == first.id
    assert "K3" in history[1].cause.fired
    assert matrix.changed == 1 and matrix.count(Level.BLUE, Level.BLACK) == 1
    assert matrix.samples == {(Level.BLUE, Level.BLACK): (code,)}
    assert matrix.total == first.subjects
    for level, n in first.level_counts.items():
        if n and level != "blue":
            assert matrix.count(Level(level), Level(level)) == n


class Exploding:
    """An engine that dies after rating ``after`` subjects (a crash mid-run)."""

    name = "exploding"

    def __init__(self, after: int) -> None:
        self.after = after

    def rate(
        self,
        connection: Connection,
        policy: Policy,
        as_of: dt.date,
        subject_ids: Sequence[int] | None = None,
    ) -> Iterator[SubjectRating]:
        for n, rating in enumerate(ReferenceEngine().rate(connection, policy, as_of, subject_ids)):
            if n == self.after:
                raise RuntimeError("disk on fire")
            yield rating


def test_a_run_finishes_when_its_writing_ends_not_when_it_began(engine: Engine) -> None:
    """A run's rows are written in one transaction; its finish time is the clock's when it
    finishes (PostgreSQL's now() would give the transaction's start)."""
    with engine.begin() as connection:
        run_id = service.begin_run(connection, LIANSHUI, AS_OF, engine="reference", actor="t")
    with engine.begin() as connection:
        connection.execute(select(func.count()).select_from(RatingRunRow))  # the transaction began
        writing_began = dt.datetime.now(dt.UTC)
        time.sleep(1.1)
        service.fail_run(connection, run_id, "stopped by the test")
    with engine.connect() as connection:
        header = reads.get_run(connection, run_id)
    assert header is not None and header.finished_at is not None
    assert header.finished_at - writing_began >= dt.timedelta(seconds=1)


def test_a_run_that_fails_midway_leaves_the_previous_run_current(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "CHUNK", 40)
    first = save(store, LIANSHUI, AS_OF)
    changes_before = rows(store, LevelChangeRow)
    later = AS_OF + dt.timedelta(days=400)
    with store.begin() as connection:
        run_id = service.begin_run(connection, LIANSHUI, later, engine="x", actor="test")
    with pytest.raises(RuntimeError, match="disk on fire"), store.begin() as connection:
        # two bulk chunks are written before it dies
        service.write_run(connection, run_id, LIANSHUI, Exploding(2 * 40 + 10))
    with store.begin() as connection:
        service.fail_run(connection, run_id, "RuntimeError: disk on fire")
    with store.connect() as connection:
        assert reads.current_run(connection, "lianshui-water") == first
        failed = reads.get_run(connection, run_id)
        left = connection.execute(
            select(func.count()).where(RatingResultRow.run_id == run_id)
        ).scalar_one()
    assert failed.status == RunStatus.FAILED and failed.error == "RuntimeError: disk on fire"
    assert left == 0
    assert rows(store, LevelChangeRow) == changes_before
    # and the next run's history goes on from the last complete one
    third = save(store, LIANSHUI, AS_OF)
    assert third.base_run_id == first.id


def test_rerate_since_import_rates_only_the_changed_subjects(store: Engine, tmp_path: Path) -> None:
    last_seen = age_store(store)  # the newest change the first run sees: one subject's
    first = save(store, LIANSHUI, AS_OF)
    code, account = water_account_of(store, Level.GREEN, stored(store, first.id))
    import_incident(store, tmp_path, account, kind="violation", amount="")

    with store.connect() as connection:
        scope = service.plan_rerate(connection, LIANSHUI, AS_OF)
        changed = results.ids_of_codes(connection, [code])[code]
    # Rows stamped in the watermark's own second count as changed (timestamps are to the second
    # on SQLite): a superset by design, so the last subject the first run saw is re-rated too.
    assert scope.subject_ids == frozenset({changed, last_seen})
    second = save(store, LIANSHUI, AS_OF, rerate=True)
    assert second.kind == RunKind.INCREMENTAL and second.rerated == 2
    assert second.subjects == first.subjects
    assert stored(store, second.id) == expected(store, LIANSHUI, AS_OF)
    assert stored(store, second.id)[code].level != stored(store, first.id)[code].level


# One policy per CI run (the walk re-rates the store six times); a deeper run names more, e.g.
# UTILCREDIT_RERATE_POLICIES=lianshui-water,suizhou-water
RERATE_POLICIES = os.environ.get("UTILCREDIT_RERATE_POLICIES", "lianshui-water").split(",")


@pytest.mark.parametrize("policy_key", RERATE_POLICIES)
def test_daily_rerate_of_only_moved_subjects_equals_rating_everyone(
    store: Engine, policy_key: str
) -> None:
    loaded = load_policy(policy_key)
    age_store(store)
    save(store, loaded, AS_OF)
    steps = [1, 14, 31, 400, -500, 3]  # a day, weeks, a month end, over a year, back, a day
    day = AS_OF
    partial = 0
    for step in steps:
        day = day + dt.timedelta(days=step)
        run = save(store, loaded, day, rerate=True)
        assert stored(store, run.id) == expected(store, loaded, day), f"as of {day}"
        assert run.kind == RunKind.INCREMENTAL
        partial += run.rerated < run.subjects
    assert partial >= 3  # the selection is real: small steps re-rate a fraction


def test_a_different_policy_file_rerates_everyone(store: Engine, tmp_path: Path) -> None:
    save(store, LIANSHUI, AS_OF)
    draft = tmp_path / "draft.yaml"
    draft.write_text(
        load_policy_text().replace('version: "2022.1"', 'version: "2099.1"'), encoding="utf-8"
    )
    changed = load_policy_file(draft)
    with store.connect() as connection:
        scope = service.plan_rerate(connection, changed, AS_OF)
    assert scope.full


def load_policy_text() -> str:
    from utilcredit.policies.loader import shipped_policy_root

    return shipped_policy_root().joinpath("lianshui-water/2022.1.yaml").read_text(encoding="utf-8")


def draft_policy(tmp_path: Path) -> LoadedPolicy:
    """Lianshui with B1 relaxed (one late payment in a year still blue) and K2 raised (black
    from 6 late payments in a year, not 5)."""
    text = load_policy_text()
    b1 = "test: {type: late_payment_count, window: {years: 1}, count: {max: 0}}"
    k2 = "test: {type: late_payment_count, window: {years: 1}, count: {min: 5}}"
    edits = {
        b1: b1.replace("{max: 0}", "{max: 1}"),
        k2: k2.replace("{min: 5}", "{min: 6}"),
        'version: "2022.1"': 'version: "2026.9"',
    }
    for old, replacement in edits.items():
        assert text.count(old) == 1
        text = text.replace(old, replacement)
    path = tmp_path / "draft.yaml"
    path.write_text(text, encoding="utf-8")
    return load_policy_file(path)


def test_simulate_compares_a_draft_without_touching_production(
    store: Engine, tmp_path: Path
) -> None:
    current = save(store, LIANSHUI, AS_OF)
    before = [rows(store, t) for t in (RatingRunRow, RatingResultRow, LevelChangeRow)]
    draft = draft_policy(tmp_path)
    with store.connect() as connection:
        result = whatif.simulate(
            connection, draft, LIANSHUI, AS_OF, ReferenceEngine(), samples=2, chunk=40
        )
    old = expected(store, LIANSHUI, AS_OF)
    new = expected(store, draft, AS_OF)
    want = Counter((old[c].level, new[c].level) for c in old)
    assert result.transitions.cells == dict(want)
    assert result.subjects == len(old)
    assert result.transitions.count(Level.YELLOW, Level.BLUE) > 0  # B1 relaxed moves some
    for (a, b), codes in result.transitions.samples.items():
        assert a != b and len(codes) <= 2
        assert all(old[c].level == a and new[c].level == b for c in codes)
    fires = {f.clause_id: (f.baseline, f.draft) for f in result.clause_frequency}
    for clause_id in ("Y2", "K2", "R2"):
        assert fires[clause_id] == (
            sum(clause_id in r.fired for r in old.values()),
            sum(clause_id in r.fired for r in new.values()),
        )
    assert result.draft_counts == {
        lv.value: sum(r.level == lv for r in new.values()) for lv in Level
    }
    after = [rows(store, t) for t in (RatingRunRow, RatingResultRow, LevelChangeRow)]
    assert after == before
    with store.connect() as connection:
        assert reads.current_run(connection, "lianshui-water") == current


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def uscc(n: int) -> str:
    first = f"91320826{n:09d}"
    return first + uscc_check_char(first)


def test_arrears_ageing_alone_is_picked_up_by_the_daily_run(engine: Engine, tmp_path: Path) -> None:
    # Subject 1 owes a bill due 2026-03-31: 2 months on 2026-05-31 (Y1, yellow), 3 months on
    # 2026-06-30 (R1, red; SPEC 3's clamped example). Nothing else of it enters or leaves a
    # window that day; subject 2 (prepaid, clean) does not move at all.
    folder = tmp_path / "files"
    folder.mkdir()
    write_csv(
        folder / "subjects.csv",
        [["code", "kind", "name"], [uscc(1), "legal", "甲公司"], [uscc(2), "legal", "乙公司"]],
    )
    write_csv(
        folder / "accounts.csv",
        [
            ["account_no", "subject_code", "utility", "opened_on", "payment_mode"],
            ["W1", uscc(1), "water", "2020-01-01", "postpaid"],
            ["W2", uscc(2), "water", "2020-01-01", "prepaid"],
        ],
    )
    write_csv(
        folder / "bills.csv",
        [
            ["bill_no", "account_no", "period_start", "period_end", "amount", "due_on"],
            ["B1", "W1", "2026-02-01", "2026-02-28", "100.00", "2026-03-31"],
        ],
    )
    assert import_paths(engine, [folder], actor="test").ok
    age_store(engine)
    first = save(engine, LIANSHUI, dt.date(2026, 6, 29))
    assert stored(engine, first.id)[uscc(1)].level == Level.YELLOW
    with engine.connect() as connection:
        ids = results.ids_of_codes(connection, [uscc(1), uscc(2)])
        moved = service.subjects_moved_by_time(
            connection, LIANSHUI.policy, dt.date(2026, 6, 29), dt.date(2026, 6, 30)
        )
    assert moved == {ids[uscc(1)]}
    second = save(engine, LIANSHUI, dt.date(2026, 6, 30), rerate=True)
    assert stored(engine, second.id)[uscc(1)].level == Level.RED
    assert stored(engine, second.id) == expected(engine, LIANSHUI, dt.date(2026, 6, 30))
    assert second.changed == 1
