"""A small November 2026 for the supervision report: a water utility with rating runs in
October, November and December, dishonesty records, objections, repairs, commitments,
notices and submission batches on both sides of the month's Shanghai boundaries, and a
power utility whose figures must never show in the water report.

Subjects and accounts come from the records builders (``Store``) and the runs are saved the
way the command line saves them (``tests/integration/rating_runs/helpers.save``); the case,
commitment, notice and batch rows are written straight into their tables with the dates each
test needs, because the report counts those rows by their dates and status — the workflows
that write them are tested in their own domains.

Expected November figures for water (derived by hand from the rows below, see each comment):

* records: theft/general 2, arrears/serious 1 (not: October, December, a candidate, a
  corrected copy, power);
* objections: filed 4, decided 2 (1 on time), withdrawn 1;
* repairs: filed 3, decided 3 (2 on time), withdrawn 1;
* commitments: made 2, fulfilled 1, breached 1;
* notices: SMS sent 1, delivered 1, failed 1 (twice, counted once); letter sent 1;
* batches: 4 sent (one not yet answered), 160 rows answered, 12 with errors (7.5%).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from itertools import count
from typing import Any

from sqlalchemy import Connection, Engine, insert

from tests.integration.rating_runs.helpers import save
from tests.integration.records.builders import Store
from utilcredit.customers.tables import CommitmentRow
from utilcredit.exchange.tables import ExchangeBatchRow, ReturnedRowRow
from utilcredit.localtime import SHANGHAI
from utilcredit.notices.tables import NoticeAttemptRow, NoticeRow
from utilcredit.policies.service import policy_at
from utilcredit.rating.runs import service as runs
from utilcredit.rating.runs.model import RunHeader
from utilcredit.records.tables import CaseEventRow, DishonestyRecordRow, ObjectionRow, RepairRow

D = dt.date
LIANSHUI = policy_at("lianshui-water", D(2026, 11, 1))
HUAIYIN = policy_at("huaiyin-power", D(2026, 11, 1))
_numbers = count(1)


def shanghai(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    """A Shanghai wall-clock time as the UTC instant the store keeps."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(dt.UTC)


@dataclass
class Month:
    """What the world built that the tests compare with."""

    october: RunHeader
    november_early: RunHeader
    november: RunHeader  # the month's last complete water run
    december: RunHeader
    power: RunHeader
    subjects: dict[str, int]


def _insert(connection: Connection, table: Any, **values: object) -> int:
    return int(connection.execute(insert(table).values(**values).returning(table.id)).scalar_one())


def build(engine: Engine) -> Month:
    subjects = _subjects(engine)
    october = save(engine, LIANSHUI, D(2026, 10, 31))
    with engine.begin() as connection:  # a customer who joins after October's run
        store = Store(connection, code="91320826MA1SUPV04X")
        store.account("W-D")
        subjects["joined"] = store.subject_id
    november_early = save(engine, LIANSHUI, D(2026, 11, 10))
    november = save(engine, LIANSHUI, D(2026, 11, 28))
    with engine.begin() as connection:  # begun on the 30th, never completed: not a rating
        runs.begin_run(connection, LIANSHUI, D(2026, 11, 30), engine="reference", actor="test")
    december = save(engine, LIANSHUI, D(2026, 12, 5))
    power = save(engine, HUAIYIN, D(2026, 11, 15))
    with engine.begin() as connection:
        _records_and_cases(connection, subjects)
        _commitments(connection, subjects)
        _notices(connection, subjects)
        _batches(connection)
    return Month(october, november_early, november, december, power, subjects)


def _subjects(engine: Engine) -> dict[str, int]:
    """Water customers whose levels move between October's and November's runs (arrears age,
    a bill gets paid), and one power customer."""
    found: dict[str, int] = {}
    with engine.begin() as connection:
        ageing = Store(connection, code="91320826MA1SUPV01X")  # unpaid since 08-01: worse
        ageing.account("W-A")
        ageing.bill("W-A", D(2026, 8, 1), "900.00")
        found["ageing"] = ageing.subject_id
        paying = Store(connection, code="91320826MA1SUPV02X")  # pays on 11-05: better
        paying.account("W-B")
        paying.bill("W-B", D(2026, 7, 15), "600.00", paid=((D(2026, 11, 5), "600.00"),))
        found["paying"] = paying.subject_id
        quiet = Store(connection, code="91320826MA1SUPV03X")
        quiet.account("W-C")
        found["quiet"] = quiet.subject_id
        plant = Store(connection, code="91320826MA1SUPV09X")
        plant.account("P-A", utility="power")
        plant.bill("P-A", D(2026, 6, 1), "5000.00")
        found["power"] = plant.subject_id
    return found


def _record(
    connection: Connection,
    subject_id: int,
    kind: str,
    record_class: str,
    determined_on: dt.date | None,
    *,
    utility: str = "water",
    status: str = "confirmed",
    corrects_id: int | None = None,
) -> int:
    n = next(_numbers)
    return _insert(
        connection,
        DishonestyRecordRow,
        derivation_key=f"test:{n}",
        subject_id=subject_id,
        utility=utility,
        kind=kind,
        record_class=record_class,
        status=status,
        policy_key="shaoguan-water" if utility == "water" else "zhanjiang-power",
        policy_version="2022.1",
        rule_id="D1",
        rule_text="测试规则",
        cause_on=D(2026, 10, 1),
        amount=Decimal("100.00"),
        summary="测试记录",
        determined_on=determined_on,
        corrects_id=corrects_id,
    )


def _records_and_cases(connection: Connection, subjects: dict[str, int]) -> None:
    s = subjects["ageing"]
    first = _record(connection, s, "theft", "general", D(2026, 11, 1))  # first day: counts
    _record(connection, s, "theft", "general", D(2026, 11, 30))  # last day: counts
    _record(connection, s, "arrears", "serious", D(2026, 11, 15))  # counts
    _record(connection, s, "theft", "general", D(2026, 10, 31))  # October
    _record(connection, s, "theft", "general", D(2026, 12, 1))  # December
    _record(connection, s, "violation", "general", None, status="candidate")  # not determined
    _record(  # the first record made right: the same record, not a new one
        connection, s, "theft", "general", D(2026, 11, 1), corrects_id=first
    )
    power = _record(
        connection, subjects["power"], "violation", "minor", D(2026, 11, 10), utility="power"
    )

    def objection(
        filed: dt.date, due: dt.date, status: str, decided: dt.date | None, utility: str = "water"
    ) -> None:
        _insert(
            connection,
            ObjectionRow,
            record_id=first if utility == "water" else power,
            utility=utility,
            status=status,
            reason="不服",
            filed_by="op",
            filed_on=filed,
            due_on=due,
            decided_by=None if decided is None else "rev",
            decided_on=decided,
        )

    objection(D(2026, 11, 3), D(2026, 11, 10), "upheld", D(2026, 11, 9))  # filed, on time
    objection(D(2026, 10, 28), D(2026, 11, 4), "corrected", D(2026, 11, 6))  # late, filed in Oct
    objection(D(2026, 11, 20), D(2026, 11, 27), "filed", None)  # filed, open
    objection(D(2026, 11, 25), D(2026, 12, 2), "withdrawn", D(2026, 11, 26))  # filed, withdrawn
    objection(D(2026, 11, 28), D(2026, 12, 5), "removed", D(2026, 12, 1))  # filed; decided Dec
    objection(D(2026, 11, 5), D(2026, 11, 12), "upheld", D(2026, 11, 6), "power")

    def repair(
        submitted: dt.date,
        status: str,
        decided: dt.date | None = None,
        due: dt.date | None = None,
        decision: str | None = None,
    ) -> int:
        return _insert(
            connection,
            RepairRow,
            record_id=first,
            utility="water",
            status=status,
            statement="已整改",
            conditions=[],
            submitted_by="op",
            submitted_on=submitted,
            accept_due_on=submitted + dt.timedelta(days=3),
            decide_due_on=due,
            decided_on=decided,
            decision=decision,
        )

    repair(D(2026, 11, 2), "decided", D(2026, 11, 12), D(2026, 11, 20), "approved")  # on time
    repair(D(2026, 10, 20), "closed", D(2026, 11, 3), D(2026, 11, 1), "rejected")  # late
    repair(D(2026, 11, 15), "decided", D(2026, 11, 30), D(2026, 11, 30), "approved")  # due day
    withdrawn = repair(D(2026, 11, 18), "withdrawn")
    _insert(
        connection,
        CaseEventRow,
        case_type="repair",
        case_id=withdrawn,
        utility="water",
        action="withdraw",
        from_status="submitted",
        to_status="withdrawn",
        actor="op",
        on=D(2026, 11, 19),
    )


def _commitments(connection: Connection, subjects: dict[str, int]) -> None:
    def commitment(made: dt.date, status: str, status_on: dt.date, utility: str = "water") -> None:
        n = next(_numbers)
        _insert(
            connection,
            CommitmentRow,
            code=f"CN-TEST-{n:04d}",
            subject_id=subjects["quiet" if utility == "water" else "power"],
            utility=utility,
            template_key="repair",
            template_version="2026.1",
            commitment_type="信用修复承诺",
            reason="测试",
            content="承诺内容",
            liability="违诺责任",
            fields={},
            made_on=made,
            status=status,
            status_on=status_on,
            accepting_unit="测试供水公司",
            accepting_unit_code="91320826MA1UNIT01X",
            determining_unit="测试供水公司",
            determining_unit_code="91320826MA1UNIT01X",
            disclosure="公开",
            created_by="op",
        )

    commitment(D(2026, 11, 1), "in_force", D(2026, 11, 2))  # made
    commitment(D(2026, 10, 10), "fulfilled", D(2026, 11, 20))  # fulfilled in November
    commitment(D(2026, 11, 5), "breached", D(2026, 11, 25))  # made and breached
    commitment(D(2026, 9, 1), "fulfilled", D(2026, 10, 31))  # fulfilled in October
    commitment(D(2026, 11, 3), "in_force", D(2026, 11, 3), "power")


def _notices(connection: Connection, subjects: dict[str, int]) -> None:
    def notice(
        channel: str,
        status: str,
        *,
        sent: dt.datetime | None = None,
        delivered: dt.datetime | None = None,
        utility: str = "water",
    ) -> int:
        n = next(_numbers)
        created = shanghai(2026, 10, 20)
        return _insert(
            connection,
            NoticeRow,
            key=f"test:{n}",
            kind="reminder",
            channel=channel,
            status=status,
            utility=utility,
            policy_key="lianshui-water",
            subject_id=subjects["ageing" if utility == "water" else "power"],
            source="run",
            variables={},
            due_at=created,
            attempts=1,
            created_at=created,
            updated_at=created,
            sent_at=sent,
            delivered_at=delivered,
        )

    def attempt(notice_id: int, to_status: str, at: dt.datetime) -> None:
        _insert(
            connection,
            NoticeAttemptRow,
            notice_id=notice_id,
            action="reject",
            from_status="sending",
            to_status=to_status,
            at=at,
            actor="dispatcher",
        )

    # 00:30 on 1 November in Shanghai is still 31 October in UTC: November's.
    notice(
        "sms",
        "delivered",
        sent=shanghai(2026, 11, 1, 0, 30),
        delivered=shanghai(2026, 11, 1, 0, 31),
    )
    # 23:30 on 31 October in Shanghai: October's.
    notice("sms", "sent", sent=shanghai(2026, 10, 31, 23, 30))
    notice("letter", "sent", sent=shanghai(2026, 11, 30, 23, 59))  # November's last minute
    failing = notice("sms", "failed")  # failed twice in November: one notice
    attempt(failing, "failed", shanghai(2026, 11, 10, 10))
    attempt(failing, "failed", shanghai(2026, 11, 11, 10))
    dead = notice("email", "dead")  # gave up ten minutes into December (Shanghai)
    attempt(dead, "dead", shanghai(2026, 12, 1, 0, 10))
    notice("sms", "sent", sent=shanghai(2026, 11, 5), utility="power")


def _batches(connection: Connection) -> None:
    def batch(
        utilities: str,
        status: str,
        rows: int,
        sent: dt.datetime | None,
        returned_rows: int | None = None,
        kind: str = "payments",
    ) -> int:
        return _insert(
            connection,
            ExchangeBatchRow,
            catalog="zhanjiang-2022",
            kind=kind,
            utilities=utilities,
            mode="full",
            status=status,
            as_of=D(2026, 11, 1),
            until=shanghai(2026, 11, 1),
            format="csv",
            rows=rows,
            invalid_rows=0,
            files=[],
            folder="/tmp/none",
            created_by="op",
            sent_at=sent,
            answered_at=None if status in ("created", "sent") else sent,
            returned_rows=returned_rows,
        )

    def returned(batch_id: int, row_no: int, code: str) -> None:
        _insert(
            connection,
            ReturnedRowRow,
            batch_id=batch_id,
            row_no=row_no,
            source_key=f"payment:P{row_no}",
            error_code=code,
            message="错误",
            status="open",
        )

    partly = batch("water", "partly_rejected", 100, shanghai(2026, 11, 5))  # 2 rows returned
    returned(partly, 3, "E01")
    returned(partly, 7, "E01")
    returned(partly, 7, "E02")  # the same row twice: one row
    batch("power,water", "accepted", 50, shanghai(2026, 11, 20), 0, "arrears")  # both utilities
    batch("water", "sent", 40, shanghai(2026, 11, 25))  # not answered yet: no rate
    batch("water", "rejected", 10, shanghai(2026, 11, 28))  # rejected whole, no file: 10 rows
    batch("water", "accepted", 70, shanghai(2026, 10, 31, 23), 5)  # October (Shanghai)
    batch("power", "accepted", 30, shanghai(2026, 11, 10), 3)
    batch("water", "created", 20, None)  # never sent
