"""The columnar snapshot: DuckDB rates from it exactly as from the store, and never from a stale one.

SQLite only: the snapshot is the copy of a SQLite file (PostgreSQL stores are read directly,
which ``test_differential`` covers).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, func, insert, select, update

from tests.integration.rating_sql import store_builders
from tests.integration.rating_sql.store_builders import (
    RAccount,
    RBill,
    RCommitment,
    RReport,
    RSubject,
    clear_store,
    populations,
    write_population,
)
from utilcredit import schema
from utilcredit.customers import writes
from utilcredit.customers.model import (
    COMMITMENT_ENDED,
    CommitmentStatus,
    IncidentKind,
    PaymentMode,
    Utility,
)
from utilcredit.customers.tables import (
    AccountRow,
    BillRow,
    CommitmentRow,
    CreditReportRow,
    IncidentRow,
    PaymentRow,
    SubjectRow,
)
from utilcredit.db import make_engine
from utilcredit.importing.runner import import_paths
from utilcredit.policies.loader import list_policies, load_policy
from utilcredit.policies.model.levels import Level
from utilcredit.rating.batch import SubjectRating
from utilcredit.rating.sql import engines, snapshot
from utilcredit.rating.sql.engines import DuckDBEngine, ReferenceEngine, refresh_snapshot

POLICIES = [loaded.policy for loaded in list_policies()]
LIANSHUI = load_policy("lianshui-water").policy
AS_OF = dt.date(2026, 11, 22)


@pytest.fixture(scope="module")
def module_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('snapshot') / 'utilcredit.db'}")
    schema.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def store(module_store: Engine) -> Engine:
    with module_store.begin() as connection:
        clear_store(connection)
    return module_store


def _snapshot_file(engine: Engine) -> Path:
    path = snapshot.snapshot_path(engine.url)
    assert path is not None
    return path


def _rate(engine: Engine, batch_engine: Any) -> list[SubjectRating]:
    with engine.connect() as connection:
        return list(batch_engine.rate(connection, LIANSHUI, AS_OF))


def _one_water_subject(engine: Engine) -> None:
    """A subject with a water account and no incident (not black under lianshui)."""
    subject = RSubject("91320826MA1XXXXX0K")
    subject.accounts.append(
        RAccount("W-1", Utility.WATER, dt.date(2020, 1, 1), PaymentMode.POSTPAID)
    )
    with engine.begin() as connection:
        write_population(connection, [subject])


def _add_theft(engine: Engine, number: str, amount: str) -> None:
    """A water theft on the one account: lianshui's black clause for ≥ 10,000 CNY."""
    with engine.begin() as connection:
        account_id = connection.execute(select(AccountRow.id)).scalar_one()
        connection.execute(
            insert(IncidentRow).values(
                incident_no=number,
                account_id=account_id,
                kind="theft",
                occurred_on=AS_OF - dt.timedelta(days=10),
                amount_fen=Decimal(amount),
            )
        )


@settings(
    max_examples=int(os.environ.get("UTILCREDIT_DIFFERENTIAL_EXAMPLES", "3")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=populations())
def test_snapshot_ratings_equal_the_reference_for_every_policy(
    store: Engine, drawn: tuple[dt.date, list[RSubject]]
) -> None:
    as_of, subjects = drawn
    with store.begin() as connection:
        clear_store(connection)
        write_population(connection, subjects)
    assert refresh_snapshot(store.url, threads=1)
    with store.connect() as connection:
        duck = DuckDBEngine(threads=1, snapshot="use").open_for(connection)
        try:
            # the connection reads the snapshot file, not the attached SQLite store
            assert duck.execute("SELECT current_database()").fetchone()[0] == "snapshot"
            for policy in POLICIES:
                expected = list(ReferenceEngine().rate(connection, policy, as_of))
                actual = list(DuckDBEngine(threads=1).rate_on(duck, policy, as_of))
                assert actual == expected, policy.key
        finally:
            duck.close()


def test_a_stale_snapshot_is_never_used(store: Engine) -> None:
    _one_water_subject(store)
    assert refresh_snapshot(store.url)
    before = _rate(store, DuckDBEngine(snapshot="use"))
    assert before[0].level.value != "black"

    _add_theft(store, "T-1", "10000.00")  # a new row: the snapshot no longer matches
    expected = _rate(store, ReferenceEngine())
    assert expected[0].level.value == "black"
    assert _rate(store, DuckDBEngine(snapshot="use")) == expected  # read from the store
    with store.connect() as connection:
        assert (
            DuckDBEngine(snapshot="use").open_snapshot(
                _snapshot_file(store), snapshot.fingerprint(connection)
            )
            is None
        )


def test_a_reimport_that_changes_a_value_makes_the_snapshot_stale(
    store: Engine, tmp_path: Path
) -> None:
    _one_water_subject(store)
    _add_theft(store, "T-1", "9999.99")  # below lianshui's black threshold of 10,000 CNY
    assert refresh_snapshot(store.url)
    below = _rate(store, DuckDBEngine(snapshot="use"))
    # the same incident re-imported with a new amount: same row count and ids, within a second
    (tmp_path / "incidents.csv").write_text(
        "incident_no,account_no,kind,occurred_on,amount\n"
        f"T-1,W-1,theft,{AS_OF - dt.timedelta(days=10)},10000.00\n",
        encoding="utf-8",
    )
    report = import_paths(store, [tmp_path / "incidents.csv"], actor="test")
    assert report.ok and report.files[0].result is not None
    assert report.files[0].result.updated == 1
    after = _rate(store, DuckDBEngine(snapshot="use"))
    assert after == _rate(store, ReferenceEngine())
    assert below[0].level != after[0].level == Level.BLACK


def test_a_set_aside_mark_makes_the_snapshot_stale(store: Engine) -> None:
    """The register sets the theft aside right after the snapshot was copied (within the same
    second, most likely): the snapshot is stale, never used, and a fresh copy carries the mark."""
    _one_water_subject(store)
    _add_theft(store, "T-1", "10000.00")
    assert refresh_snapshot(store.url)
    assert _rate(store, DuckDBEngine(snapshot="use"))[0].level == Level.BLACK
    with store.begin() as connection:
        theft = connection.execute(select(IncidentRow.id)).scalar_one()
        writes.set_aside_evidence(connection, record_id=3, incident_ids=[theft], bill_ids=[])
    with store.connect() as connection:
        current = snapshot.fingerprint(connection)
    assert DuckDBEngine(snapshot="use").open_snapshot(_snapshot_file(store), current) is None
    aside = _rate(store, DuckDBEngine(snapshot="use"))  # read from the store
    assert aside == _rate(store, ReferenceEngine())
    assert aside[0].level != Level.BLACK
    assert refresh_snapshot(store.url)
    assert _rate(store, DuckDBEngine(snapshot="use")) == aside  # the copy carries the mark
    with store.begin() as connection:
        writes.restore_evidence(connection, record_id=3)
    assert _rate(store, DuckDBEngine(snapshot="use"))[0].level == Level.BLACK


ZHANJIANG = load_policy("zhanjiang-power").policy


def _trustworthy(engine: Engine, batch_engine: Any) -> str:
    """The status of Zhanjiang's 守信用电主体 for the one subject, as ``batch_engine`` rates it."""
    with engine.connect() as connection:
        (rating,) = batch_engine.rate(connection, ZHANJIANG, AS_OF)
        assert [rating] == list(ReferenceEngine().rate(connection, ZHANJIANG, AS_OF))
    status: str = rating.designations[0].status.value
    return status


def test_the_snapshot_carries_commitments_and_notices_their_changes(store: Engine) -> None:
    """Zhanjiang's designation reads the commitments: a new one and a breach recorded in place
    (within the same second as the copy, most likely) each make the snapshot stale."""
    subject = RSubject("91440800MA1XXXXX0K")
    subject.accounts.append(
        RAccount("P-1", Utility.POWER, dt.date(2020, 1, 1), PaymentMode.PREPAID)
    )
    subject.reports.append(
        RReport("guangdong", dt.date(2026, 1, 1), dishonest=False, serious=False)
    )
    with store.begin() as connection:
        write_population(connection, [subject])
    assert refresh_snapshot(store.url)
    assert _trustworthy(store, DuckDBEngine(snapshot="use")) == "failed"  # no commitment
    with store.begin() as connection:
        subject_id = connection.execute(select(AccountRow.subject_id)).scalar_one()
        connection.execute(
            insert(CommitmentRow),
            [
                store_builders.commitment_row(
                    900,
                    subject_id,
                    RCommitment(
                        "CM-1",
                        Utility.POWER,
                        "approval_substitute",
                        dt.date(2026, 1, 1),
                        None,
                        CommitmentStatus.IN_FORCE,
                        dt.date(2026, 1, 1),
                    ),
                )
            ],
        )
    with store.connect() as connection:
        stale = snapshot.fingerprint(connection)
    assert DuckDBEngine(snapshot="use").open_snapshot(_snapshot_file(store), stale) is None
    assert _trustworthy(store, DuckDBEngine(snapshot="use")) == "held"  # read from the store
    assert refresh_snapshot(store.url)
    assert _trustworthy(store, DuckDBEngine(snapshot="use")) == "held"  # the copy has it
    with store.begin() as connection:
        # a breach written in place without moving updated_at: the count of ended ones moves
        stamp = connection.execute(select(CommitmentRow.updated_at)).scalar_one()
        connection.execute(
            update(CommitmentRow).values(
                status="breached", status_on=dt.date(2026, 6, 1), updated_at=stamp
            )
        )
    with store.connect() as connection:
        current = snapshot.fingerprint(connection)
    assert DuckDBEngine(snapshot="use").open_snapshot(_snapshot_file(store), current) is None
    assert _trustworthy(store, DuckDBEngine(snapshot="use")) == "failed"


def test_a_snapshot_of_another_column_layout_is_never_used(store: Engine) -> None:
    """A snapshot copied before the tables gained a column the query reads (``set_aside_by``)
    recorded a fingerprint without the layout: it does not match, and is refreshed."""
    _one_water_subject(store)
    assert refresh_snapshot(store.url)
    path = _snapshot_file(store)
    with store.connect() as connection:
        current = snapshot.fingerprint(connection)
    assert current[0] == snapshot.layout()
    import duckdb

    older = duckdb.connect(str(path))
    try:
        older.execute("UPDATE snapshot_meta SET fingerprint = ?", [json.dumps(current[1:])])
    finally:
        older.close()
    assert DuckDBEngine(snapshot="use").open_snapshot(path, current) is None
    assert _rate(store, DuckDBEngine()) == _rate(store, ReferenceEngine())
    duck = DuckDBEngine(snapshot="use").open_snapshot(path, current)
    assert duck is not None  # refreshed by the rating above
    duck.close()


def test_refresh_mode_rebuilds_a_missing_or_stale_snapshot(store: Engine) -> None:
    _one_water_subject(store)
    path = _snapshot_file(store)
    assert not path.exists()
    first = _rate(store, DuckDBEngine(snapshot="refresh"))
    assert path.exists()
    _add_theft(store, "T-1", "10000.00")
    second = _rate(store, DuckDBEngine(snapshot="refresh"))
    assert second == _rate(store, ReferenceEngine()) != first
    with store.connect() as connection:
        current = snapshot.fingerprint(connection)
        duck = DuckDBEngine(snapshot="use").open_snapshot(path, current)
    assert duck is not None  # the rebuilt snapshot matches the store
    duck.close()


def test_a_copy_made_while_the_store_changed_is_discarded(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _one_water_subject(store)
    path = _snapshot_file(store)
    copy = engines.copy_of_store
    thefts = iter(["T-8", "T-9"])

    @contextmanager
    def copy_while_an_import_writes(*args: Any, **kwargs: Any) -> Iterator[Path]:
        with copy(*args, **kwargs) as copied:
            _add_theft(store, next(thefts), "10000.00")
            yield copied

    monkeypatch.setattr(engines, "copy_of_store", copy_while_an_import_writes)
    assert refresh_snapshot(store.url) is None
    expected = _rate(store, ReferenceEngine())
    assert expected[0].level == Level.BLACK
    assert not path.exists()
    assert not list(path.parent.glob(path.name + ".*"))  # no copy, WAL or lock left
    # a rating that has to refresh reads its copy, discarded or not: as recent as the store was
    # when the rating began (T-8 in, T-9 added while copying)
    assert _rate(store, DuckDBEngine()) == expected
    assert not path.exists()


def test_a_damaged_snapshot_file_is_ignored(store: Engine) -> None:
    _one_water_subject(store)
    _snapshot_file(store).write_bytes(b"not a duckdb file")
    assert _rate(store, DuckDBEngine(snapshot="use")) == _rate(store, ReferenceEngine())


def test_postgres_and_memory_stores_have_no_snapshot() -> None:
    from sqlalchemy.engine import make_url

    assert snapshot.snapshot_path(make_url("postgresql+psycopg://u@h/db")) is None
    assert snapshot.snapshot_path(make_url("sqlite:///:memory:")) is None
    assert snapshot.snapshot_path(make_url("sqlite:////srv/uc/utilcredit.db")) == Path(
        "/srv/uc/utilcredit.db.columnar.duckdb"
    )


def test_bills_carry_their_settlement_day(store: Engine) -> None:
    """Known answers for the snapshot's derived bill columns, and the ratings they give."""
    subject = RSubject("91320826MA1XXXXX0K")
    subject.accounts.append(
        RAccount("W-1", Utility.WATER, dt.date(2020, 1, 1), PaymentMode.POSTPAID)
    )
    late_then_paid = RBill("B-1", "W-1", dt.date(2026, 3, 15), Decimal("100.00"))
    late_then_paid.payments += [
        ("P-1", dt.date(2026, 3, 10), Decimal("40.00")),  # by the due date
        ("P-2", dt.date(2026, 5, 2), Decimal("30.00")),  # two on one day settle it together
        ("P-3", dt.date(2026, 5, 2), Decimal("30.00")),
    ]
    nothing_owed = RBill("B-2", "W-1", dt.date(2026, 6, 15), Decimal("0.00"))
    paid_after_d = RBill("B-3", "W-1", dt.date(2026, 8, 15), Decimal("50.00"))
    paid_after_d.payments.append(("P-4", dt.date(2026, 12, 1), Decimal("50.00")))
    subject.bills += [late_then_paid, nothing_owed, paid_after_d]
    with store.begin() as connection:
        write_population(connection, [subject])
    assert refresh_snapshot(store.url)

    duck = DuckDBEngine().open_file(_snapshot_file(store))
    try:
        settled = dict(
            duck.execute("SELECT bill_no, settled_on FROM bills ORDER BY bill_no").fetchall()
        )
        paid_by_due = dict(duck.execute("SELECT bill_no, paid_by_due FROM bills").fetchall())
    finally:
        duck.close()
    assert settled == {
        "B-1": dt.date(2026, 5, 2),
        "B-2": dt.date(1, 1, 1),
        "B-3": dt.date(2026, 12, 1),
    }
    assert paid_by_due == {"B-1": 4000, "B-2": 0, "B-3": 0}
    for as_of in (dt.date(2026, 5, 1), dt.date(2026, 5, 2), AS_OF, dt.date(2026, 12, 1)):
        with store.connect() as connection:
            expected = list(ReferenceEngine().rate(connection, LIANSHUI, as_of))
            assert list(DuckDBEngine(snapshot="use").rate(connection, LIANSHUI, as_of)) == expected


# ---- incremental refresh: the changed rows rewritten, equal to a whole copy ------------------


def _snapshot_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every snapshot table (the bills with their derived columns), by id."""
    duck = DuckDBEngine().open_file(_snapshot_file(engine))
    try:
        return {
            table.name: duck.execute(f'SELECT * FROM "{table.name}" ORDER BY id').fetchall()
            for table in snapshot.SNAPSHOT_TABLES
        }
    finally:
        duck.close()


def _imported_earlier(connection: Connection) -> None:
    """Stamp the rows a day back, ten seconds apart, as imports over time would have: rows stamped
    within STAMP_SLACK of a table's newest stamp count as changed, so written in one second,
    they all would, and a refresh that rewrote too little could not show."""
    for table in snapshot.SNAPSHOT_TABLES:
        connection.execute(
            update(table).values(
                updated_at=func.datetime(
                    "now", "-1 day", func.printf("+%d seconds", table.c.id * 10)
                )
            )
        )


def _change_the_store(engine: Engine, data: st.DataObject) -> None:
    """What imports and the register do to a credit file, drawn: values changed in place
    (a payment moved to another bill, amounts and days), new bills, payments and incidents,
    set-aside marks and their removal, and a commitment ending without a new stamp."""

    def pick(ids: Sequence[Any]) -> list[Any]:
        return data.draw(st.lists(st.sampled_from(ids), max_size=3)) if ids else []

    with engine.begin() as connection:
        bills = connection.execute(select(BillRow.id, BillRow.account_id)).all()
        payments = connection.execute(select(PaymentRow.id)).scalars().all()
        incidents = connection.execute(select(IncidentRow.id)).scalars().all()
        accounts = connection.execute(select(AccountRow.id)).scalars().all()
        standing = (
            connection.execute(
                select(CommitmentRow.id).where(
                    CommitmentRow.status.not_in([s.value for s in COMMITMENT_ENDED])
                )
            )
            .scalars()
            .all()
        )
        connection.execute(  # one change at least
            insert(CreditReportRow).values(
                subject_id=connection.execute(select(SubjectRow.id).limit(1)).scalar_one(),
                source="shaoguan",
                issued_on=dt.date(2026, 11, 30),
                has_dishonesty=data.draw(st.booleans()),
                on_serious_list=False,
            )
        )
        day = st.dates(dt.date(2023, 1, 1), dt.date(2026, 12, 31))
        amount = st.sampled_from([Decimal("0.00"), Decimal("50.00"), Decimal("12000.00")])
        for payment in pick(payments):
            connection.execute(
                update(PaymentRow)
                .where(PaymentRow.id == payment)
                .values(
                    amount_fen=data.draw(amount),
                    paid_on=data.draw(day),
                    bill_id=data.draw(st.sampled_from([bill for bill, _ in bills])),
                )
            )
        for bill, _ in pick(bills):
            connection.execute(
                update(BillRow)
                .where(BillRow.id == bill)
                .values(amount_fen=data.draw(amount), due_on=data.draw(day))
            )
        writes.set_aside_evidence(
            connection,
            record_id=data.draw(st.integers(1, 3)),
            incident_ids=pick(incidents),
            bill_ids=[bill for bill, _ in pick(bills)],
        )
        if data.draw(st.booleans()):
            writes.restore_evidence(connection, record_id=data.draw(st.integers(1, 3)))
        for number, account in enumerate(pick(accounts)):
            bill = connection.execute(
                insert(BillRow)
                .values(
                    bill_no=f"NB-{number}",
                    account_id=account,
                    period_start=dt.date(2026, 9, 1),
                    period_end=dt.date(2026, 9, 30),
                    amount_fen=data.draw(amount),
                    due_on=data.draw(day),
                )
                .returning(BillRow.id)
            ).scalar_one()
            connection.execute(
                insert(PaymentRow).values(
                    payment_no=f"NP-{number}",
                    bill_id=data.draw(st.sampled_from([bill, *[b for b, _ in bills]])),
                    paid_on=data.draw(day),
                    amount_fen=data.draw(amount),
                )
            )
            connection.execute(
                insert(IncidentRow).values(
                    incident_no=f"NI-{number}",
                    account_id=account,
                    kind=data.draw(st.sampled_from(list(IncidentKind))).value,
                    occurred_on=data.draw(day),
                    amount_fen=data.draw(amount),
                )
            )
        for commitment in pick(standing):  # ended in place (a breach): no new stamp
            stamp = connection.execute(
                select(CommitmentRow.updated_at).where(CommitmentRow.id == commitment)
            ).scalar_one()
            connection.execute(
                update(CommitmentRow)
                .where(CommitmentRow.id == commitment)
                .values(
                    status=data.draw(st.sampled_from(sorted(COMMITMENT_ENDED))).value,
                    updated_at=stamp,
                )
            )


@settings(
    max_examples=int(os.environ.get("UTILCREDIT_DIFFERENTIAL_EXAMPLES", "3")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=populations(), data=st.data())
def test_an_updated_snapshot_equals_a_whole_copy(
    store: Engine,
    monkeypatch: pytest.MonkeyPatch,
    drawn: tuple[dt.date, list[RSubject]],
    data: st.DataObject,
) -> None:
    monkeypatch.setattr(engines, "FULL_COPY_SHARE", 1000.0)  # update however much changed
    as_of, subjects = drawn
    with store.begin() as connection:
        clear_store(connection)
        write_population(connection, subjects)
        _imported_earlier(connection)
    first = refresh_snapshot(store.url, threads=1)
    assert first is not None and first.mode == "copied"
    _change_the_store(store, data)

    updated = refresh_snapshot(store.url, threads=1)
    assert updated is not None and updated.mode == "updated"
    rows = _snapshot_rows(store)
    with store.connect() as connection:
        for policy in POLICIES:
            expected = list(ReferenceEngine().rate(connection, policy, as_of))
            assert list(
                DuckDBEngine(threads=1, snapshot="use").rate(connection, policy, as_of)
            ) == (expected), policy.key
    snapshot.drop_snapshot(store.url)
    copied = refresh_snapshot(store.url, threads=1)
    assert copied is not None and copied.mode == "copied"
    assert _snapshot_rows(store) == rows


def test_a_refresh_of_a_current_snapshot_copies_nothing(store: Engine) -> None:
    _one_water_subject(store)
    first = refresh_snapshot(store.url)
    assert first is not None and first.mode == "copied"
    path = _snapshot_file(store)
    written = path.stat().st_mtime_ns
    again = refresh_snapshot(store.url)
    assert again is not None and again.mode == "current"
    assert path.stat().st_mtime_ns == written


def test_a_snapshot_mostly_rewritten_is_copied_whole(store: Engine) -> None:
    """Past FULL_COPY_SHARE of its rows changed, a refresh copies the store whole: DuckDB would
    keep the old rows' space, and scans would skip them."""
    _one_water_subject(store)
    assert refresh_snapshot(store.url)
    _add_theft(store, "T-1", "10000.00")  # 1 row changed of 3: over a quarter
    refreshed = refresh_snapshot(store.url)
    assert refreshed is not None and refreshed.mode == "copied"
    assert _rate(store, DuckDBEngine(snapshot="use")) == _rate(store, ReferenceEngine())


def test_an_older_snapshot_without_its_meta_is_copied_whole(store: Engine) -> None:
    _one_water_subject(store)
    assert refresh_snapshot(store.url)
    import duckdb

    older = duckdb.connect(str(_snapshot_file(store)))
    try:
        older.execute("ALTER TABLE snapshot_meta DROP COLUMN replaced")
    finally:
        older.close()
    _add_theft(store, "T-1", "10000.00")
    refreshed = refresh_snapshot(store.url)
    assert refreshed is not None and refreshed.mode == "copied"
    assert _rate(store, DuckDBEngine(snapshot="use")) == _rate(store, ReferenceEngine())


def test_an_update_settles_again_the_bills_a_moved_payment_left_and_joined(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engines, "FULL_COPY_SHARE", 1000.0)
    subject = RSubject("91320826MA1XXXXX0K")
    subject.accounts.append(
        RAccount("W-1", Utility.WATER, dt.date(2020, 1, 1), PaymentMode.POSTPAID)
    )
    left = RBill("B-1", "W-1", dt.date(2026, 3, 15), Decimal("100.00"))
    left.payments.append(("P-1", dt.date(2026, 3, 10), Decimal("100.00")))
    joined = RBill("B-2", "W-1", dt.date(2026, 4, 15), Decimal("100.00"))
    subject.bills += [left, joined]
    with store.begin() as connection:
        write_population(connection, [subject])
        _imported_earlier(connection)
    assert refresh_snapshot(store.url)
    with store.begin() as connection:  # the payment re-imported against the other bill
        b2 = connection.execute(select(BillRow.id).where(BillRow.bill_no == "B-2")).scalar_one()
        connection.execute(update(PaymentRow).values(bill_id=b2))
    refreshed = refresh_snapshot(store.url)
    assert refreshed is not None and refreshed.mode == "updated"
    duck = DuckDBEngine().open_file(_snapshot_file(store))
    try:
        bills = duck.execute(
            "SELECT bill_no, paid_by_due, settled_on FROM bills ORDER BY bill_no"
        ).fetchall()
    finally:
        duck.close()
    assert bills == [("B-1", 0, None), ("B-2", 10000, dt.date(2026, 3, 10))]
