"""Records confirmed, objected to, corrected, removed and repaired, on both stores (issue 10
items 1, 3, 4, 5, 7 and 8): the ratings follow, history is kept, bad input changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, select

from tests.integration.rating_runs.helpers import save
from tests.integration.records.builders import Staff, Store, pay, set_aside_of, staff
from utilcredit.access.model import AccessDeniedError, NotVisibleError
from utilcredit.audit.tables import AuditEntryRow
from utilcredit.config import RecordsSettings
from utilcredit.customers.tables import BillRow, IncidentRow
from utilcredit.errors import InvalidInputError
from utilcredit.policies.loader import load_policy
from utilcredit.rating.runs import reads as runs
from utilcredit.records import derivation, objections, repairs, service
from utilcredit.records.attachments import Upload
from utilcredit.records.model import RepairDecision
from utilcredit.records.objections import Correction, ObjectionDecision
from utilcredit.records.tables import CaseEventRow

D = dt.date
SETTINGS = RecordsSettings(attachment_max_bytes=4096)
SHAOGUAN = load_policy("shaoguan-water")
PDF = Upload("证明.pdf", b"%PDF-1.4\n% proof\n")


@pytest.fixture
def people(engine: Engine) -> Staff:
    return staff(engine)


def _in(engine: Engine, step: Callable[[Connection], Any]) -> Any:
    with engine.begin() as connection:
        return step(connection)


def _theft_record(engine: Engine, people: Staff) -> tuple[int, int]:
    """A published theft record (determined 2026-03-02) and its incident's id."""
    incident = _in(
        engine,
        lambda c: (
            s := Store(c),
            s.account("ACC-1"),
            s.incident("ACC-1", "theft", D(2026, 2, 1), "300.00"),
        )[2],
    )
    (record_id,) = _in(
        engine, lambda c: derivation.derive(c, SHAOGUAN, D(2026, 3, 1), settings=SETTINGS)
    ).created
    _in(
        engine,
        lambda c: service.confirm(
            c, people.reviewer, record_id, today=D(2026, 3, 2), settings=SETTINGS
        ),
    )
    return record_id, incident


def _level(engine: Engine, code: str = "91440200MA4UTEST1X") -> str:
    with engine.connect() as connection:
        header = runs.current_run(connection, "shaoguan-water")
        assert header is not None
        rating = runs.stored_rating(connection, header, code)
        assert rating is not None
        return str(rating.level.value)


def test_confirming_publishes_for_the_national_period(engine: Engine, people: Staff) -> None:
    record_id, _ = _theft_record(engine, people)
    with engine.connect() as connection:
        view = service.record_view(connection, people.operator, record_id)
    record = view.record
    assert (record.status, record.determined_on, record.publish_from, record.publish_until) == (
        "published",
        D(2026, 3, 2),
        D(2026, 3, 2),
        D(2027, 3, 1),
    )
    assert record.repairable_from == D(2026, 6, 2)
    assert (record.determining_unit, record.determining_unit_code) == SETTINGS.determining_units[
        "water"
    ]
    assert [(e.action, e.from_status, e.to_status) for e in view.events] == [
        ("derive", None, "candidate"),
        ("confirm", "candidate", "confirmed"),
        ("publish", "confirmed", "published"),
    ]
    # Publication ends by itself the day after its last day.
    assert _in(engine, lambda c: derivation.advance(c, D(2027, 3, 1))) == 0
    assert _in(engine, lambda c: derivation.advance(c, D(2027, 3, 2))) == 1
    with engine.connect() as connection:
        assert service.record_view(connection, None, record_id).record.status == "expired"


def test_an_objection_marks_at_once_and_removal_rerates_without_the_incident(
    engine: Engine, people: Staff, tmp_path: Path
) -> None:
    record_id, incident = _theft_record(engine, people)
    save(engine, SHAOGUAN, D(2026, 3, 2))
    assert _level(engine) == "red"  # R3: one theft of at most 10,000 in a year

    objection = _in(
        engine,
        lambda c: objections.file_objection(
            c,
            people.dual,
            record_id,
            reason="窃水认定有误，系表计故障",
            uploads=[PDF],
            today=D(2026, 9, 30),
            settings=SETTINGS,
            folder=tmp_path,
        ),
    )
    assert objection.due_on == D(2026, 10, 13)  # 5 working days across National Day
    with engine.connect() as connection:
        assert service.record_view(connection, None, record_id).record.status == "under_objection"
    assert _level(engine) == "red"  # a record under objection still counts

    with pytest.raises(AccessDeniedError):
        _in(
            engine,
            lambda c: objections.decide_objection(
                c,
                people.operator,
                objection.id,
                ObjectionDecision.REMOVE,
                note="经核实有误",
                today=D(2026, 10, 9),
            ),
        )
    with pytest.raises(InvalidInputError, match="不能审核自己"):
        _in(
            engine,
            lambda c: objections.decide_objection(
                c,
                people.dual,
                objection.id,
                ObjectionDecision.REMOVE,
                note="经核实有误",
                today=D(2026, 10, 9),
            ),
        )
    _in(
        engine,
        lambda c: objections.decide_objection(
            c,
            people.reviewer,
            objection.id,
            ObjectionDecision.REMOVE,
            note="经核实系表计故障，删除",
            today=D(2026, 10, 9),
        ),
    )
    with engine.connect() as connection:
        view = service.record_view(connection, None, record_id)
        assert view.record.status == "removed"
        assert set_aside_of(connection, IncidentRow, incident) == record_id
        history = runs.history(connection, "91440200MA4UTEST1X", "shaoguan-water")
    assert _level(engine) != "red"
    assert "异议" in (history[-1].cause.case or "")
    stored = [item for items in view.attachments.values() for item in items]
    assert [a.content_type for a in stored] == ["application/pdf"]
    assert (tmp_path / stored[0].sha256[:2] / stored[0].sha256).read_bytes() == PDF.data


def test_a_correction_replaces_the_record_and_keeps_what_it_keeps(
    engine: Engine, people: Staff, tmp_path: Path
) -> None:
    record_id, incident = _theft_record(engine, people)
    objection = _in(
        engine,
        lambda c: objections.file_objection(
            c,
            people.operator,
            record_id,
            reason="金额有误，应为 200 元",
            today=D(2026, 4, 1),
            settings=SETTINGS,
            folder=tmp_path,
        ),
    )
    decided = _in(
        engine,
        lambda c: objections.decide_objection(
            c,
            people.reviewer,
            objection.id,
            ObjectionDecision.CORRECT,
            note="更正金额",
            today=D(2026, 4, 2),
            correction=Correction(amount=Decimal("200.00")),
        ),
    )
    assert decided.status == "corrected"
    with engine.connect() as connection:
        old = service.record_view(connection, None, record_id)
        new = service.record_view(connection, None, decided.corrected_record_id or 0)
        assert old.record.status == "corrected"
        assert (new.record.status, str(new.record.amount), new.record.corrects_id) == (
            "published",
            "200.00",
            record_id,
        )
        assert new.record.publish_until == old.record.publish_until
        assert set_aside_of(connection, IncidentRow, incident) is None  # still stands, corrected


def _arrears_record(engine: Engine, people: Staff) -> tuple[int, int]:
    def build(connection: Connection) -> int:
        store = Store(connection)
        store.account("ACC-1")
        bill = store.bill("ACC-1", D(2025, 10, 5), "12000.00")  # 4 months in arrears on 3-02
        store.reminder("ACC-1", D(2025, 10, 20))
        store.incident("ACC-1", "late_payment", D(2025, 10, 5))  # the billing system's own report
        return bill

    bill = _in(engine, build)
    (record_id,) = _in(
        engine, lambda c: derivation.derive(c, SHAOGUAN, D(2026, 3, 1), settings=SETTINGS)
    ).created
    _in(
        engine,
        lambda c: service.confirm(
            c, people.reviewer, record_id, today=D(2026, 3, 2), settings=SETTINGS
        ),
    )
    return record_id, bill


def test_repair_checks_its_conditions_from_the_credit_file(
    engine: Engine, people: Staff, tmp_path: Path
) -> None:
    record_id, bill = _arrears_record(engine, people)
    save(engine, SHAOGUAN, D(2026, 3, 2))
    assert _level(engine) == "red"  # R1: arrears of 3 to 6 months

    def apply(day: dt.date, signed: dt.date | None) -> Any:
        return _in(
            engine,
            lambda c: repairs.apply_repair(
                c,
                people.operator,
                record_id,
                statement="已缴清欠费，申请修复",
                commitment_signed_on=signed,
                today=day,
                settings=SETTINGS,
                folder=tmp_path,
            ),
        )

    with pytest.raises(InvalidInputError, match="2026-06-02") as early:
        apply(D(2026, 5, 1), D(2026, 5, 1))
    assert "仍有未付清的账单" in str(early.value)
    with pytest.raises(InvalidInputError, match="仍有未付清的账单"):
        apply(D(2026, 6, 2), D(2026, 6, 1))
    _in(engine, lambda c: pay(c, bill, D(2026, 6, 3), "12000.00"))
    with pytest.raises(InvalidInputError, match="修复承诺书"):
        apply(D(2026, 6, 10), None)
    repair = apply(D(2026, 6, 10), D(2026, 6, 9))
    assert repair.accept_due_on == D(2026, 6, 15)  # 3 working days: Thu 11, Fri 12, Mon 15

    with pytest.raises(InvalidInputError, match="已有办理中的修复申请"):
        apply(D(2026, 6, 11), D(2026, 6, 9))
    with pytest.raises(AccessDeniedError):
        _in(
            engine,
            lambda c: repairs.accept_repair(
                c, people.operator, repair.id, today=D(2026, 6, 11), settings=SETTINGS
            ),
        )
    with pytest.raises(NotVisibleError):
        _in(
            engine,
            lambda c: repairs.accept_repair(
                c, people.power_reviewer, repair.id, today=D(2026, 6, 11), settings=SETTINGS
            ),
        )
    accepted = _in(
        engine,
        lambda c: repairs.accept_repair(
            c, people.reviewer, repair.id, today=D(2026, 6, 11), settings=SETTINGS
        ),
    )
    assert accepted.decide_due_on == D(2026, 6, 26)  # 10 working days, Dragon Boat Festival 6-19
    _in(
        engine,
        lambda c: repairs.decide_repair(
            c,
            people.reviewer,
            repair.id,
            RepairDecision.APPROVED,
            note=None,
            today=D(2026, 6, 12),
            settings=SETTINGS,
        ),
    )
    closed = _in(
        engine, lambda c: repairs.close_repair(c, people.reviewer, repair.id, today=D(2026, 6, 15))
    )
    assert closed.status == "closed"
    with engine.connect() as connection:
        view = service.record_view(connection, people.credit_office, record_id)
        assert (view.record.status, view.record.publication_stopped_on) == (
            "repaired",
            D(2026, 6, 12),
        )
        assert set_aside_of(connection, BillRow, bill) == record_id
        twin = connection.execute(
            select(IncidentRow.id).where(IncidentRow.kind == "late_payment")
        ).scalar_one()
        assert set_aside_of(connection, IncidentRow, twin) == record_id  # the same event
        history = runs.history(connection, "91440200MA4UTEST1X", "shaoguan-water")
        events = connection.execute(select(func.count()).select_from(CaseEventRow)).scalar_one()
        audited = connection.execute(
            select(func.count())
            .select_from(AuditEntryRow)
            .where(AuditEntryRow.entity.in_(["record", "objection", "repair"]))
        ).scalar_one()
    assert _level(engine) == "yellow"  # the repaired bill no longer counts; no report: fallback
    assert (history[-1].from_level, history[-1].to_level) == ("red", "yellow")
    assert "修复申请" in (history[-1].cause.case or "")
    assert events == audited  # every step audited


def test_bad_input_is_refused_and_changes_nothing(
    engine: Engine, people: Staff, tmp_path: Path
) -> None:
    record_id, _ = _theft_record(engine, people)

    def file(record: int, reason: str = "认定事实不清", uploads: list[Upload] | None = None) -> Any:
        return _in(
            engine,
            lambda c: objections.file_objection(
                c,
                people.operator,
                record,
                reason=reason,
                uploads=uploads or [],
                today=D(2026, 4, 1),
                settings=SETTINGS,
                folder=tmp_path,
            ),
        )

    def counts() -> tuple[int, int]:
        with engine.connect() as connection:
            return (
                connection.execute(select(func.count()).select_from(CaseEventRow)).scalar_one(),
                len(list(tmp_path.rglob("*"))),
            )

    before = counts()
    with pytest.raises(NotVisibleError):
        file(99999)
    with pytest.raises(InvalidInputError, match="超过"):
        file(record_id, uploads=[Upload("big.pdf", b"%PDF-" + b"0" * 5000)])
    with pytest.raises(InvalidInputError, match=r"不是 PDF"):
        file(record_id, uploads=[Upload("evil.pdf", b"MZ\x90\x00 not a pdf")])
    with pytest.raises(InvalidInputError, match="理由"):
        file(record_id, reason="  ")
    with pytest.raises(NotVisibleError):
        _in(
            engine,
            lambda c: objections.file_objection(
                c,
                people.power_reviewer,
                record_id,
                reason="认定事实不清",
                today=D(2026, 4, 1),
                settings=SETTINGS,
                folder=tmp_path,
            ),
        )
    assert counts() == before

    first = file(record_id)
    with pytest.raises(InvalidInputError, match=f"异议 {first.id}"):
        file(record_id)
    _in(
        engine,
        lambda c: objections.decide_objection(
            c,
            people.reviewer,
            first.id,
            ObjectionDecision.UPHOLD,
            note="事实清楚，维持",
            today=D(2026, 4, 2),
        ),
    )
    with engine.connect() as connection:
        assert service.record_view(connection, None, record_id).record.status == "published"
    _in(engine, lambda c: derivation.advance(c, D(2027, 3, 2)))
    with pytest.raises(InvalidInputError, match="公示期满"):
        file(record_id)
