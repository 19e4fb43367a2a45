"""Random credit files for the differential tests, and a writer that puts them in the store.

The strategy aims at the edges the two executions could disagree on: month-end and Feb 29 due
dates, bills due on D or after it, payments partial, late, after D or before the due date,
accounts opened after D or after their records (incidents before the opening count, bills do
not), late-payment incidents on a bill's due date (the de-duplication rule), bills and incidents
set aside by the dishonesty-record register (a set-aside bill no longer de-duplicates), incident
amounts and asset classes at and around the clause thresholds, missing or unreadable filter
attributes, reports missing, dishonest, from untrusted sources or in another letter case,
several on the latest date, graded or not (an empty grade, a grade in another letter case or
with a space); credit commitments to either utility made, valid until, breached, expired or
withdrawn on and around D, of several types.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st
from sqlalchemy import Connection, insert

from utilcredit.customers.model import (
    CommitmentStatus,
    IncidentKind,
    PaymentMode,
    Severity,
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
from utilcredit.db import import_all_tables
from utilcredit.rating.dates import add_months
from utilcredit.rating.sql.snapshot import drop_snapshot

AS_OF_CHOICES = (
    dt.date(2026, 6, 30),
    dt.date(2028, 2, 29),
    dt.date(2026, 2, 28),
    dt.date(2026, 3, 31),
    dt.date(2027, 1, 31),
    dt.date(2026, 11, 22),
    dt.date(2025, 12, 15),
)
AMOUNTS = ("0.01", "1.00", "100.00", "250.50", "9999.99", "10000.00")
INCIDENT_AMOUNTS: tuple[str | None, ...] = (
    None,
    "0.01",
    "1.00",
    "9999.99",
    "10000.00",
    "10000.01",
    "499999.99",
    "500000.00",
    "500000.01",
)
ASSET_CLASSES: tuple[str | None, ...] = (
    None,
    "",
    "DN100",
    "DN160",
    "DN200",
    "DN300",
    "DN400",
    "dn160",
    " DN160 ",
    "160DN",
    "DN160.0",
    "10kV",
    "20kV",
    "35kV",
    "110kV",
    "kV10",
    "DN",
    "bogus",
    "DN160kV",
)
SOURCES = ("jiangsu", "hubei", "guangdong", "JiangSu", "GUANGDONG", "creditchina")
GRADES: tuple[str | None, ...] = (None, "", "A", "B", "C", "D", "a", "A ")
COMMITMENT_TYPES = ("approval_substitute", "voluntary", "credit_repair")
# mostly none; two records, so that restoring one leaves the other's marks
SET_ASIDE_MARKS: tuple[int | None, ...] = (None, None, None, None, None, 3, 8)


@dataclass
class RAccount:
    number: str
    utility: Utility
    opened: dt.date
    mode: PaymentMode


@dataclass
class RBill:
    number: str
    account: str
    due: dt.date
    amount: Decimal
    payments: list[tuple[str, dt.date, Decimal]] = field(default_factory=list)
    set_aside_by: int | None = None  # the dishonesty record that set it aside


@dataclass
class RIncident:
    number: str
    account: str
    kind: IncidentKind
    day: dt.date
    amount: Decimal | None
    asset_class: str | None
    severity: Severity | None
    set_aside_by: int | None = None


@dataclass
class RReport:
    source: str
    issued: dt.date
    dishonest: bool
    serious: bool
    rating: str | None = None  # the report's A/B/C/D grade, if it grades


@dataclass
class RCommitment:
    code: str
    utility: Utility
    commitment_type: str
    made_on: dt.date
    valid_until: dt.date | None
    status: CommitmentStatus
    status_on: dt.date


@dataclass
class RSubject:
    code: str
    accounts: list[RAccount] = field(default_factory=list)
    bills: list[RBill] = field(default_factory=list)
    incidents: list[RIncident] = field(default_factory=list)
    reports: list[RReport] = field(default_factory=list)
    commitments: list[RCommitment] = field(default_factory=list)


def _month_end(year: int, month: int) -> dt.date:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def special_days(as_of: dt.date) -> list[dt.date]:
    """Days where off-by-one and month-end mistakes show."""
    days = [as_of, as_of - dt.timedelta(days=1), as_of + dt.timedelta(days=1)]
    for years in (1, 2, 3, 5):  # the window lengths shipped and generated policies use
        try:
            back = as_of.replace(year=as_of.year - years)
        except ValueError:  # Feb 29 → Feb 28
            back = as_of.replace(year=as_of.year - years, day=28)
        days += [back, back + dt.timedelta(days=1), back - dt.timedelta(days=1)]
    for months_back in range(0, 9):
        month_index = as_of.year * 12 + as_of.month - 1 - months_back
        days.append(_month_end(month_index // 12, month_index % 12 + 1))
        days.append(dt.date(month_index // 12, month_index % 12 + 1, min(as_of.day, 28)))
        days.append(add_months(as_of, -months_back))  # arrears months turn here
    days += [dt.date(2024, 2, 29), dt.date(2028, 2, 29), dt.date(2027, 2, 28)]
    return days


def _days_after(due: dt.date) -> Callable[[int], dt.date]:
    def shifted(days: int) -> dt.date:
        return due + dt.timedelta(days=days)

    return shifted


@st.composite
def populations(
    draw: Any,
    max_subjects: int = 6,
    as_of: dt.date | None = None,
    around: tuple[dt.date, ...] = (),
    max_records: int = 6,
) -> tuple[dt.date, list[RSubject]]:
    """``(as_of, subjects)``: as-of date drawn from :data:`AS_OF_CHOICES` unless given; records
    dated mostly near it, half of them on its :func:`special_days` (and those of ``around``);
    up to 3 accounts per subject, each with up to ``max_records`` bills and incidents (5 bills
    at most)."""
    if as_of is None:
        as_of = draw(st.sampled_from(AS_OF_CHOICES))
    assert as_of is not None
    specials = special_days(as_of) + [day for other in around for day in special_days(other)]
    counter = iter(range(1, 10_000))

    def day() -> dt.date:
        if draw(st.booleans()):
            special: dt.date = draw(st.sampled_from(specials))
            return special
        offset: int = draw(st.integers(-1300, 15))
        return as_of + dt.timedelta(days=offset)

    subjects: list[RSubject] = []
    for s in range(draw(st.integers(1, max_subjects))):
        subject = RSubject(f"9132000{s:03d}TEST{s:04d}")
        for _ in range(draw(st.integers(0, 3))):
            number = f"A{next(counter)}"
            opened = (
                dt.date(2015, 1, 1) if draw(st.integers(0, 2)) == 0 else day()
            )  # mostly recent openings: bills before opening are ignored, incidents count
            subject.accounts.append(
                RAccount(
                    number,
                    draw(st.sampled_from(list(Utility))),
                    opened,
                    draw(st.sampled_from(list(PaymentMode))),
                )
            )
        for account in subject.accounts:
            for _ in range(draw(st.integers(0, min(5, max_records)))):
                amount = Decimal(draw(st.sampled_from(AMOUNTS)))
                bill = RBill(f"B{next(counter)}", account.number, day(), amount)
                bill.set_aside_by = draw(st.sampled_from(SET_ASIDE_MARKS))
                for _ in range(draw(st.integers(0, 3))):
                    when = draw(
                        st.one_of(
                            st.integers(-40, 200).map(_days_after(bill.due)),
                            st.just(bill.due),
                            st.sampled_from(specials),
                        )
                    )
                    part = draw(
                        st.sampled_from(
                            [
                                amount,
                                amount - Decimal("0.01"),
                                (amount / 2).quantize(Decimal("0.01")),
                            ]
                        )
                    )
                    if part > 0:
                        bill.payments.append((f"P{next(counter)}", when, part))
                subject.bills.append(bill)
            for _ in range(draw(st.integers(0, max_records))):
                kind = draw(st.sampled_from(list(IncidentKind)))
                dues = [b.due for b in subject.bills if b.account == account.number]
                when = (
                    draw(st.sampled_from(dues))
                    if kind == IncidentKind.LATE_PAYMENT and dues and draw(st.booleans())
                    else day()
                )
                amount_text = draw(st.sampled_from(INCIDENT_AMOUNTS))
                subject.incidents.append(
                    RIncident(
                        f"I{next(counter)}",
                        account.number,
                        kind,
                        when,
                        None if amount_text is None else Decimal(amount_text),
                        draw(st.sampled_from(ASSET_CLASSES)),
                        draw(st.sampled_from([None, *Severity])),
                        draw(st.sampled_from(SET_ASIDE_MARKS)),
                    )
                )
        seen: set[tuple[str, dt.date]] = set()
        for _ in range(draw(st.integers(0, 3))):
            source = draw(st.sampled_from(SOURCES))
            issued = draw(st.sampled_from([as_of - dt.timedelta(days=30), *specials[:6]]))
            if (source, issued) in seen:
                continue
            seen.add((source, issued))
            subject.reports.append(
                RReport(
                    source,
                    issued,
                    draw(st.booleans()),
                    draw(st.booleans()),
                    draw(st.sampled_from(GRADES)),
                )
            )
        for _ in range(draw(st.integers(0, 2))):
            made: dt.date = draw(st.sampled_from(specials[:6]))
            subject.commitments.append(
                RCommitment(
                    f"CM{next(counter)}",
                    draw(st.sampled_from(list(Utility))),
                    draw(st.sampled_from(COMMITMENT_TYPES)),
                    made,
                    draw(st.one_of(st.none(), st.sampled_from(specials[:6]))),
                    draw(st.sampled_from(list(CommitmentStatus))),
                    draw(st.sampled_from([made, *specials[:6]])),
                )
            )
        subjects.append(subject)
    return as_of, subjects


def clear_store(connection: Connection) -> None:
    for table in reversed(import_all_tables().sorted_tables):
        connection.execute(table.delete())
    drop_snapshot(connection.engine.url)


def write_population(connection: Connection, subjects: list[RSubject]) -> None:
    """Insert the subjects with explicit ids (in list order, so subject id order is list order)."""
    ids = iter(range(1, 1_000_000))
    account_id: dict[str, int] = {}
    subject_rows, account_rows, bill_rows, payment_rows, incident_rows, report_rows = (
        [],
        [],
        [],
        [],
        [],
        [],
    )
    commitment_rows: list[dict[str, Any]] = []
    for subject in subjects:
        subject_id = next(ids)
        subject_rows.append(
            {"id": subject_id, "code": subject.code, "kind": "legal", "name": subject.code}
        )
        for account in subject.accounts:
            account_id[account.number] = next(ids)
            account_rows.append(
                {
                    "id": account_id[account.number],
                    "account_no": account.number,
                    "subject_id": subject_id,
                    "utility": account.utility.value,
                    "opened_on": account.opened,
                    "payment_mode": account.mode.value,
                }
            )
        for bill in subject.bills:
            bill_id = next(ids)
            bill_rows.append(
                {
                    "id": bill_id,
                    "bill_no": bill.number,
                    "account_id": account_id[bill.account],
                    "period_start": bill.due - dt.timedelta(days=45),
                    "period_end": bill.due - dt.timedelta(days=15),
                    "amount_fen": bill.amount,
                    "due_on": bill.due,
                    "set_aside_by": bill.set_aside_by,
                }
            )
            for number, paid_on, amount in bill.payments:
                payment_rows.append(
                    {
                        "id": next(ids),
                        "payment_no": number,
                        "bill_id": bill_id,
                        "paid_on": paid_on,
                        "amount_fen": amount,
                    }
                )
        for incident in subject.incidents:
            incident_rows.append(
                {
                    "id": next(ids),
                    "incident_no": incident.number,
                    "account_id": account_id[incident.account],
                    "kind": incident.kind.value,
                    "occurred_on": incident.day,
                    "amount_fen": incident.amount,
                    "asset_class": incident.asset_class,
                    "severity": None if incident.severity is None else incident.severity.value,
                    "set_aside_by": incident.set_aside_by,
                }
            )
        for report in subject.reports:
            report_rows.append(
                {
                    "id": next(ids),
                    "subject_id": subject_id,
                    "source": report.source,
                    "issued_on": report.issued,
                    "has_dishonesty": report.dishonest,
                    "on_serious_list": report.serious,
                    "rating": report.rating,
                }
            )
        for commitment in subject.commitments:
            commitment_rows.append(commitment_row(next(ids), subject_id, commitment))
    for table, rows in (
        (SubjectRow, subject_rows),
        (AccountRow, account_rows),
        (BillRow, bill_rows),
        (PaymentRow, payment_rows),
        (IncidentRow, incident_rows),
        (CreditReportRow, report_rows),
        (CommitmentRow, commitment_rows),
    ):
        if rows:
            connection.execute(insert(table), rows)


def commitment_row(row_id: int, subject_id: int, commitment: RCommitment) -> dict[str, Any]:
    """A ``commitments`` row: what the rating reads, and placeholders for the letter's items."""
    return {
        "id": row_id,
        "code": commitment.code,
        "subject_id": subject_id,
        "utility": commitment.utility.value,
        "template_key": "test",
        "template_version": "1",
        "commitment_type": commitment.commitment_type,
        "reason": "test",
        "content": "test",
        "liability": "test",
        "fields": {},
        "made_on": commitment.made_on,
        "valid_until": commitment.valid_until,
        "status": commitment.status.value,
        "status_on": commitment.status_on,
        "accepting_unit": "test",
        "accepting_unit_code": "11000000000000000X",
        "determining_unit": "test",
        "determining_unit_code": "11000000000000000X",
        "disclosure": "public",
        "created_by": "test",
    }
