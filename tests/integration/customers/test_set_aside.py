"""Evidence set aside by the dishonesty-record register: the marks, what they move, who sees them.

``set_aside_evidence`` / ``restore_evidence`` (customers.writes) are what the records service
calls; every rating engine leaves the marked rows out (the clause corpus and the differential
tests hold the engines to that). Here, on SQLite and PostgreSQL: the marks themselves, that both
credit-file loaders carry them, that the credit file's pages show them, and that a mark always
moves ``updated_at`` past the table's newest stamp — which the columnar snapshot's fingerprint and
incremental re-rating read — even within the second of the import before it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import Connection, Engine, select

from tests.integration.rating_sql.store_builders import (
    RAccount,
    RBill,
    RIncident,
    RSubject,
    write_population,
)
from utilcredit.customers import pages, repository, writes
from utilcredit.customers.model import IncidentKind, PaymentMode, Utility
from utilcredit.customers.tables import BillRow, IncidentRow, SubjectRow
from utilcredit.rating.runs.repository import changes
from utilcredit.rating.sql import snapshot

CODE = "91320826MA1SETASDX"


def _store(engine: Engine) -> tuple[int, dict[str, int], dict[str, int]]:
    """One water subject with three incidents and two bills: (subject id, incident ids by
    number, bill ids by number)."""
    subject = RSubject(CODE)
    subject.accounts.append(RAccount("W1", Utility.WATER, dt.date(2020, 1, 1), PaymentMode.PREPAID))
    for number in ("I1", "I2", "I3"):
        subject.incidents.append(
            RIncident(number, "W1", IncidentKind.VIOLATION, dt.date(2026, 5, 1), None, None, None)
        )
    for number in ("B1", "B2"):
        subject.bills.append(RBill(number, "W1", dt.date(2026, 3, 1), Decimal("100.00")))
    with engine.begin() as connection:
        write_population(connection, [subject])
        incidents = dict(connection.execute(select(IncidentRow.incident_no, IncidentRow.id)).all())
        bills = dict(connection.execute(select(BillRow.bill_no, BillRow.id)).all())
        subject_id = connection.execute(select(SubjectRow.id)).scalar_one()
    return subject_id, incidents, bills


def _marks(engine: Engine) -> dict[str, int | None]:
    with engine.connect() as connection:
        incidents = connection.execute(select(IncidentRow.incident_no, IncidentRow.set_aside_by))
        marks: dict[str, int | None] = {row[0]: row[1] for row in incidents}
        bills = connection.execute(select(BillRow.bill_no, BillRow.set_aside_by))
        marks.update((row[0], row[1]) for row in bills)
    return marks


def test_marks_are_set_and_restored_per_record(engine: Engine) -> None:
    _, incidents, bills = _store(engine)
    with engine.begin() as connection:
        writes.set_aside_evidence(
            connection, record_id=11, incident_ids=[incidents["I1"]], bill_ids=[bills["B1"]]
        )
        writes.set_aside_evidence(
            connection,
            record_id=12,
            incident_ids=[incidents["I1"], incidents["I2"]],  # I1 keeps record 11's mark
            bill_ids=[],
        )
    assert _marks(engine) == {"I1": 11, "I2": 12, "I3": None, "B1": 11, "B2": None}
    with engine.begin() as connection:
        writes.restore_evidence(connection, record_id=11)
    assert _marks(engine) == {"I1": None, "I2": 12, "I3": None, "B1": None, "B2": None}
    with engine.begin() as connection:
        writes.restore_evidence(connection, record_id=12)
        writes.restore_evidence(connection, record_id=99)  # nothing of it: nothing changes
    assert set(_marks(engine).values()) == {None}


def test_both_loaders_and_the_credit_file_pages_carry_the_marks(engine: Engine) -> None:
    subject_id, incidents, bills = _store(engine)
    with engine.begin() as connection:
        writes.set_aside_evidence(
            connection, record_id=7, incident_ids=[incidents["I2"]], bill_ids=[bills["B2"]]
        )
    with engine.connect() as connection:
        one = repository.get_credit_file(connection, CODE, Utility.WATER)
        (batch,) = repository.iter_credit_files(connection, Utility.WATER)
        incident_page = pages.incidents_of(
            connection, subject_id, [Utility.WATER], offset=0, limit=10
        )
        bill_page = pages.bills_of(connection, subject_id, [Utility.WATER], offset=0, limit=10)
    assert one == batch
    assert one is not None
    assert {i.incident_no: i.set_aside_by for i in one.incidents} == {
        "I1": None,
        "I2": 7,
        "I3": None,
    }
    assert {b.bill_no: b.set_aside for b in one.bills} == {"B1": False, "B2": True}
    assert {i.incident_no: i.set_aside_by for i in incident_page.items} == {
        "I1": None,
        "I2": 7,
        "I3": None,
    }
    assert {b.bill_no: b.set_aside_by for b in bill_page.items} == {"B1": None, "B2": 7}


def test_a_mark_moves_the_fingerprint_and_is_a_change_since_the_watermark(engine: Engine) -> None:
    subject_id, incidents, bills = _store(engine)  # written just now: same second, most likely
    with engine.connect() as connection:
        before = snapshot.fingerprint(connection)
        watermark, _ = changes.data_watermark(connection)
    assert watermark is not None
    steps: list[Callable[[Connection], None]] = [
        lambda c: writes.set_aside_evidence(
            c, record_id=5, incident_ids=[incidents["I3"]], bill_ids=[]
        ),
        lambda c: writes.set_aside_evidence(
            c, record_id=5, incident_ids=[], bill_ids=[bills["B1"]]
        ),
        lambda c: writes.restore_evidence(c, record_id=5),
    ]
    seen = [before]
    for step in steps:
        with engine.begin() as connection:
            step(connection)
        with engine.connect() as connection:
            seen.append(snapshot.fingerprint(connection))
            newer, _ = changes.data_watermark(connection)
            # incremental re-rating: the subject changed since the first watermark
            assert subject_id in changes.changed_subject_ids(connection, watermark)
        assert newer is not None and newer > watermark
    assert len({str(f) for f in seen}) == len(seen), "every mark change moves the fingerprint"
