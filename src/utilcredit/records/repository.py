"""Every query of the register, objections and repairs. Takes a Connection; never commits."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Connection, Table, and_, func, insert, literal_column, or_, select, update

from utilcredit.customers.model import Utility
from utilcredit.customers.tables import (
    AccountRow,
    BillRow,
    IncidentRow,
    PaymentRow,
    ReminderRow,
    SubjectRow,
)
from utilcredit.paging import Page, page_of
from utilcredit.records.model import Demand, DemandedBill
from utilcredit.records.tables import (
    CaseAttachmentRow,
    CaseEventRow,
    DishonestyRecordRow,
    ObjectionRow,
    RecordEvidenceRow,
    RepairRow,
)

_RECORDS: Table = DishonestyRecordRow.__table__  # type: ignore[assignment]
_OBJECTIONS: Table = ObjectionRow.__table__  # type: ignore[assignment]
_REPAIRS: Table = RepairRow.__table__  # type: ignore[assignment]
CASE_TABLES: dict[str, Table] = {"record": _RECORDS, "objection": _OBJECTIONS, "repair": _REPAIRS}
CHUNK = 500


# ---- derivation inputs --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountDemands:
    subject_id: int
    account_id: int
    account_no: str
    demands: list[Demand]


def _paid_by(bill_id: Any, day: Any) -> Any:
    """Payments of the bill ``bill_id`` dated on or before ``day`` (all of them for None)."""
    condition = [PaymentRow.bill_id == bill_id]
    if day is not None:
        condition.append(PaymentRow.paid_on <= day)
    return (
        # A literal 0 would be bound through the Money type; the column form is plain SQL.
        select(func.coalesce(func.sum(PaymentRow.amount), literal_column("0")))
        .where(*condition)
        .scalar_subquery()
    )


def account_demands(
    connection: Connection,
    utility: Utility,
    *,
    sent_from: dt.date,
    sent_until: dt.date,
    as_of: dt.date,
) -> list[AccountDemands]:
    """Demands sent in [sent_from, sent_until] with the bills that were overdue on their day.

    Only bills still unpaid at ``as_of`` are read (a paid bill can make no record); bills set
    aside by the register are left out like everywhere else. The unpaid bills are found
    first, once per bill, among the accounts with a demand; only they are paired with the
    demands (at 1 M subjects: 40 s → a few seconds, against pairing every demand with every
    earlier bill and summing its payments each time).
    """
    sent = and_(ReminderRow.sent_on >= sent_from, ReminderRow.sent_on <= sent_until)
    demanded = (
        select(ReminderRow.account_id, func.max(ReminderRow.sent_on).label("last_sent"))
        .join(AccountRow, AccountRow.id == ReminderRow.account_id)
        .where(AccountRow.utility == utility.value, sent)
        .group_by(ReminderRow.account_id)
        .cte("demanded")
    )
    owed = (
        select(
            BillRow.id,
            BillRow.account_id,
            BillRow.bill_no,
            BillRow.due_on,
            BillRow.amount,
            _paid_by(BillRow.id, as_of).label("paid"),
        )
        .join(
            demanded,
            and_(
                demanded.c.account_id == BillRow.account_id,
                BillRow.due_on < demanded.c.last_sent,
            ),
        )
        .where(BillRow.set_aside_by.is_(None))
        .cte("owed")
    )
    unpaid = select(owed).where(owed.c.paid < owed.c.amount).cte("unpaid")
    statement = (
        select(
            AccountRow.subject_id,
            AccountRow.id.label("account_id"),
            AccountRow.account_no,
            ReminderRow.id.label("reminder_id"),
            ReminderRow.reminder_no,
            ReminderRow.sent_on,
            unpaid.c.id.label("bill_id"),
            unpaid.c.bill_no,
            unpaid.c.due_on,
            unpaid.c.amount.label("amount_fen"),
            _paid_by(unpaid.c.id, ReminderRow.sent_on).label("paid_by_demand"),
            unpaid.c.paid.label("paid_by_as_of"),
        )
        .select_from(unpaid)
        .join(
            ReminderRow,
            and_(
                ReminderRow.account_id == unpaid.c.account_id, unpaid.c.due_on < ReminderRow.sent_on
            ),
        )
        .join(AccountRow, AccountRow.id == unpaid.c.account_id)
        .where(sent)
        .order_by(AccountRow.id, ReminderRow.sent_on, ReminderRow.id, unpaid.c.due_on, unpaid.c.id)
    )
    by_account: dict[int, AccountDemands] = {}
    bills: dict[tuple[int, int], list[DemandedBill]] = defaultdict(list)
    reminders: dict[tuple[int, int], tuple[str, dt.date]] = {}
    for row in connection.execute(statement):
        if row.account_id not in by_account:
            by_account[row.account_id] = AccountDemands(
                row.subject_id, row.account_id, row.account_no, []
            )
        key = (row.account_id, row.reminder_id)
        reminders[key] = (row.reminder_no, row.sent_on)
        bills[key].append(
            DemandedBill(
                row.bill_id,
                row.bill_no,
                row.due_on,
                _yuan(row.amount_fen),
                _yuan(row.paid_by_demand),
                _yuan(row.paid_by_as_of),
            )
        )
    for (account_id, reminder_id), (reminder_no, sent_on) in reminders.items():
        by_account[account_id].demands.append(
            Demand(reminder_id, reminder_no, sent_on, tuple(bills[(account_id, reminder_id)]))
        )
    return list(by_account.values())


def _yuan(value: Any) -> Decimal:
    # Raw SQL sums come back as fen integers; the mapped column already gives yuan.
    return value if isinstance(value, Decimal) else Decimal(int(value)).scaleb(-2)


@dataclass(frozen=True, slots=True)
class IncidentFact:
    incident_id: int
    incident_no: str
    subject_id: int
    account_no: str
    kind: str
    occurred_on: dt.date
    amount: Decimal | None
    severity: str | None


def incident_facts(
    connection: Connection,
    utility: Utility,
    kinds: Collection[str],
    *,
    since: dt.date,
    as_of: dt.date,
    incident_ids: Collection[int] | None = None,
) -> list[IncidentFact]:
    """The incidents of the kinds in ``(since, as_of]``, not set aside (only ``incident_ids``
    when given: a breach recorded just now)."""
    only = [] if incident_ids is None else [IncidentRow.id.in_(sorted(incident_ids))]
    rows = connection.execute(
        select(
            IncidentRow.id,
            IncidentRow.incident_no,
            AccountRow.subject_id,
            AccountRow.account_no,
            IncidentRow.kind,
            IncidentRow.occurred_on,
            IncidentRow.amount,
            IncidentRow.severity,
        )
        .join(AccountRow, AccountRow.id == IncidentRow.account_id)
        .where(
            AccountRow.utility == utility.value,
            IncidentRow.kind.in_(sorted(kinds)),
            IncidentRow.occurred_on > since,
            IncidentRow.occurred_on <= as_of,
            IncidentRow.set_aside_by.is_(None),
            *only,
        )
        .order_by(IncidentRow.id)
    )
    return [IncidentFact(*row) for row in rows]


def payments_of_bills(
    connection: Connection, bill_ids: Collection[int]
) -> list[tuple[int, str, dt.date]]:
    found: list[tuple[int, str, dt.date]] = []
    wanted = sorted(bill_ids)
    for start in range(0, len(wanted), CHUNK):
        found += [
            (row.id, row.payment_no, row.paid_on)
            for row in connection.execute(
                select(PaymentRow.id, PaymentRow.payment_no, PaymentRow.paid_on).where(
                    PaymentRow.bill_id.in_(wanted[start : start + CHUNK])
                )
            )
        ]
    return found


def unpaid_bills(connection: Connection, account_nos: Collection[str], as_of: dt.date) -> list[str]:
    """Bills of the accounts due before ``as_of`` whose payments so far fall short."""
    paid = _paid_by(BillRow.id, None)
    rows = connection.execute(
        select(BillRow.bill_no)
        .join(AccountRow, AccountRow.id == BillRow.account_id)
        .where(
            AccountRow.account_no.in_(sorted(account_nos)),
            BillRow.due_on < as_of,
            BillRow.set_aside_by.is_(None),
            paid < BillRow.amount,
        )
        .order_by(BillRow.due_on, BillRow.bill_no)
    )
    return [row.bill_no for row in rows]


# ---- records --------------------------------------------------------------------------------


def keys_with_prefix(connection: Connection, prefix: str) -> set[str]:
    rows = connection.execute(
        select(DishonestyRecordRow.derivation_key).where(
            DishonestyRecordRow.derivation_key.startswith(prefix, autoescape=True)
        )
    )
    return {row.derivation_key for row in rows}


def existing_keys(connection: Connection, keys: Collection[str]) -> set[str]:
    rows = connection.execute(
        select(DishonestyRecordRow.derivation_key).where(
            DishonestyRecordRow.derivation_key.in_(sorted(keys))
        )
    )
    return {row.derivation_key for row in rows}


def candidates_of(connection: Connection, policy_key: str) -> list[tuple[int, str, str, dt.date]]:
    """(id, derivation key, status, cause date) of the policy's candidates."""
    rows = connection.execute(
        select(_R.id, _R.derivation_key, _R.status, _R.cause_on).where(
            _R.policy_key == policy_key, _R.status == "candidate"
        )
    )
    return [(row.id, row.derivation_key, row.status, row.cause_on) for row in rows]


@dataclass(frozen=True, slots=True)
class Evidence:
    evidence_type: str  # bill | payment | reminder | incident | commitment
    evidence_id: int
    label: str
    on: dt.date


def insert_record(
    connection: Connection, values: Mapping[str, Any], evidence: Iterable[Evidence]
) -> int:
    return insert_records(connection, [values], [list(evidence)])[0]


def _by_column(values: Mapping[str, Any]) -> dict[str, Any]:
    """Attribute names to column names (``amount`` is stored as ``amount_fen``): a Core
    executemany takes column names and would silently drop the others."""
    attributes = DishonestyRecordRow.__mapper__.attrs
    return {attributes[key].columns[0].key: value for key, value in values.items()}


def insert_records(
    connection: Connection,
    values: Sequence[Mapping[str, Any]],
    evidence: Sequence[Iterable[Evidence]],
) -> list[int]:
    """New records with their evidence, in a few statements; their ids in order."""
    if not values:
        return []
    ids = [
        int(row.id)
        for row in connection.execute(
            insert(DishonestyRecordRow).returning(
                DishonestyRecordRow.id, sort_by_parameter_order=True
            ),
            [_by_column(row) for row in values],
        )
    ]
    rows = [
        {
            "record_id": record_id,
            "evidence_type": e.evidence_type,
            "evidence_id": e.evidence_id,
            "label": e.label,
            "on": e.on,
        }
        for record_id, items in zip(ids, evidence, strict=True)
        for e in {(e.evidence_type, e.evidence_id): e for e in items}.values()
    ]
    if rows:
        connection.execute(insert(RecordEvidenceRow), rows)
    return ids


@dataclass(frozen=True, slots=True)
class RecordLine:
    id: int
    subject_id: int
    subject_code: str
    subject_kind: str
    subject_name: str
    utility: str
    kind: str
    record_class: str
    status: str
    policy_key: str
    policy_version: str
    rule_id: str
    rule_text: str
    cause_on: dt.date
    amount: Decimal | None
    summary: str
    determining_unit: str | None
    determining_unit_code: str | None
    determined_on: dt.date | None
    regime: str | None
    publish_from: dt.date | None
    publish_until: dt.date | None
    repairable_from: dt.date | None
    publication_stopped_on: dt.date | None
    corrects_id: int | None
    derivation_key: str


_R = DishonestyRecordRow
_RECORD_COLUMNS = [
    _R.id,
    _R.subject_id,
    SubjectRow.code.label("subject_code"),
    SubjectRow.kind.label("subject_kind"),
    SubjectRow.name.label("subject_name"),
    *(
        getattr(_R, f.name)
        for f in fields(RecordLine)
        if f.name not in {"id", "subject_id", "subject_code", "subject_kind", "subject_name"}
    ),
]


def _record_select() -> Any:
    return select(*_RECORD_COLUMNS).join(SubjectRow, SubjectRow.id == _R.subject_id)


def get_record(connection: Connection, record_id: int) -> RecordLine | None:
    row = connection.execute(_record_select().where(_R.id == record_id)).one_or_none()
    return None if row is None else RecordLine(*row)


@dataclass(frozen=True, slots=True)
class RecordFilter:
    utilities: Collection[Utility]
    statuses: Collection[str] = ()
    classes: Collection[str] = ()
    kinds: Collection[str] = ()
    policy_key: str | None = None
    subject_id: int | None = None
    overdue_on: dt.date | None = None  # only records with an overdue objection or repair


def _filtered(statement: Any, f: RecordFilter) -> Any:
    statement = statement.where(_R.utility.in_(sorted(u.value for u in f.utilities)))
    if f.statuses:
        statement = statement.where(_R.status.in_(sorted(f.statuses)))
    if f.classes:
        statement = statement.where(_R.record_class.in_(sorted(f.classes)))
    if f.kinds:
        statement = statement.where(_R.kind.in_(sorted(f.kinds)))
    if f.policy_key:
        statement = statement.where(_R.policy_key == f.policy_key)
    if f.subject_id is not None:
        statement = statement.where(_R.subject_id == f.subject_id)
    if f.overdue_on is not None:
        statement = statement.where(
            or_(
                _R.id.in_(_overdue_objections(f.overdue_on)),
                _R.id.in_(
                    select(RepairRow.record_id).where(
                        RepairRow.id.in_(_overdue_repair_ids(f.overdue_on))
                    )
                ),
            )
        )
    return statement


def _overdue_objections(day: dt.date) -> Any:
    return select(ObjectionRow.record_id).where(
        ObjectionRow.status == "filed", ObjectionRow.due_on < day
    )


def list_records(
    connection: Connection, f: RecordFilter, *, offset: int, limit: int
) -> Page[RecordLine]:
    rows = connection.execute(
        _filtered(_record_select(), f).order_by(_R.id.desc()).offset(offset).limit(limit + 1)
    )
    return page_of([RecordLine(*row) for row in rows], offset, limit)


def iter_records(connection: Connection, f: RecordFilter) -> Iterable[RecordLine]:
    """Every matching record, oldest first, streamed (for exports)."""
    result = connection.execute(
        _filtered(_record_select(), f).order_by(_R.id), execution_options={"yield_per": 2000}
    )
    for row in result:
        yield RecordLine(*row)


def evidence_of(connection: Connection, record_id: int) -> list[Evidence]:
    rows = connection.execute(
        select(
            RecordEvidenceRow.evidence_type,
            RecordEvidenceRow.evidence_id,
            RecordEvidenceRow.label,
            RecordEvidenceRow.on,
        )
        .where(RecordEvidenceRow.record_id == record_id)
        .order_by(RecordEvidenceRow.on, RecordEvidenceRow.evidence_type, RecordEvidenceRow.label)
    )
    return [Evidence(*row) for row in rows]


def records_due_on_clock(connection: Connection, day: dt.date) -> list[tuple[int, str]]:
    """(id, status) of confirmed/published records that the calendar moves on ``day``."""
    rows = connection.execute(
        select(_R.id, _R.status).where(
            or_(
                and_(_R.status.in_(["confirmed", "published"]), _R.publish_until < day),
                and_(_R.status == "confirmed", _R.publish_from <= day),
            )
        )
    )
    return [(row.id, row.status) for row in rows]


# ---- the one write of a state: compare-and-set ---------------------------------------------


def set_status(
    connection: Connection,
    case_type: str,
    case_id: int,
    *,
    expected: str,
    new: str,
    values: Mapping[str, Any] | None = None,
) -> bool:
    """Move a case from ``expected`` to ``new``; False when it is no longer in ``expected``."""
    table = CASE_TABLES[case_type]
    result = connection.execute(
        update(table)
        .where(table.c.id == case_id, table.c.status == expected)
        .values(status=new, **(values or {}))
    )
    return result.rowcount == 1


def insert_events(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        connection.execute(insert(CaseEventRow), list(rows))


@dataclass(frozen=True, slots=True)
class CaseEvent:
    id: int
    case_type: str
    case_id: int
    action: str
    from_status: str | None
    to_status: str
    actor: str
    on: dt.date
    at: dt.datetime
    reason: str | None


def events_of(connection: Connection, cases: Collection[tuple[str, int]]) -> list[CaseEvent]:
    if not cases:
        return []
    condition = or_(
        *(and_(CaseEventRow.case_type == t, CaseEventRow.case_id == i) for t, i in cases)
    )
    rows = connection.execute(
        select(
            CaseEventRow.id,
            CaseEventRow.case_type,
            CaseEventRow.case_id,
            CaseEventRow.action,
            CaseEventRow.from_status,
            CaseEventRow.to_status,
            CaseEventRow.actor,
            CaseEventRow.on,
            CaseEventRow.at,
            CaseEventRow.reason,
        )
        .where(condition)
        .order_by(CaseEventRow.id)
    )
    return [CaseEvent(**row._mapping) for row in rows]


def events_after(connection: Connection, after_id: int, limit: int = 1000) -> list[CaseEvent]:
    """The register's domain events in order (for notices and the platform exchange)."""
    rows = connection.execute(
        select(
            CaseEventRow.id,
            CaseEventRow.case_type,
            CaseEventRow.case_id,
            CaseEventRow.action,
            CaseEventRow.from_status,
            CaseEventRow.to_status,
            CaseEventRow.actor,
            CaseEventRow.on,
            CaseEventRow.at,
            CaseEventRow.reason,
        )
        .where(CaseEventRow.id > after_id)
        .order_by(CaseEventRow.id)
        .limit(limit)
    )
    return [CaseEvent(**row._mapping) for row in rows]


# ---- objections and repairs ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseQuery:
    """Which objections or repairs a list shows: the reader's utilities, statuses, overdue."""

    utilities: Collection[Utility]
    statuses: Collection[str] = ()
    overdue_on: dt.date | None = None
    offset: int = 0
    limit: int = 50


_L = TypeVar("_L")


def _case_page(
    connection: Connection,
    row: Any,
    columns: Sequence[Any],
    line: Callable[..., _L],
    query: CaseQuery,
    overdue: Callable[[dt.date], Any],
    order: Sequence[Any],
) -> Page[_L]:
    statement = select(*columns).where(row.utility.in_(sorted(u.value for u in query.utilities)))
    if query.statuses:
        statement = statement.where(row.status.in_(sorted(query.statuses)))
    if query.overdue_on is not None:
        statement = statement.where(overdue(query.overdue_on))
    rows = connection.execute(
        statement.order_by(*order).offset(query.offset).limit(query.limit + 1)
    )
    return page_of([line(*r) for r in rows], query.offset, query.limit)


# ---- objections -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ObjectionLine:
    id: int
    record_id: int
    utility: str
    status: str
    reason: str
    filed_by: str
    filed_on: dt.date
    due_on: dt.date
    decided_by: str | None
    decided_on: dt.date | None
    decision_note: str | None
    corrected_record_id: int | None


_OBJECTION_COLUMNS = [getattr(ObjectionRow, f.name) for f in fields(ObjectionLine)]


def insert_objection(connection: Connection, **values: Any) -> int:
    return int(
        connection.execute(
            insert(ObjectionRow).values(**values).returning(ObjectionRow.id)
        ).scalar_one()
    )


def set_corrected_record(connection: Connection, objection_id: int, record_id: int) -> None:
    connection.execute(
        update(ObjectionRow)
        .where(ObjectionRow.id == objection_id)
        .values(corrected_record_id=record_id)
    )


def get_objection(connection: Connection, objection_id: int) -> ObjectionLine | None:
    row = connection.execute(
        select(*_OBJECTION_COLUMNS).where(ObjectionRow.id == objection_id)
    ).one_or_none()
    return None if row is None else ObjectionLine(*row)


def objections_of(connection: Connection, record_id: int) -> list[ObjectionLine]:
    rows = connection.execute(
        select(*_OBJECTION_COLUMNS)
        .where(ObjectionRow.record_id == record_id)
        .order_by(ObjectionRow.id)
    )
    return [ObjectionLine(*row) for row in rows]


def list_objections(connection: Connection, query: CaseQuery) -> Page[ObjectionLine]:
    """Open ones first by due date; overdue = still filed after its due date."""
    return _case_page(
        connection,
        ObjectionRow,
        _OBJECTION_COLUMNS,
        ObjectionLine,
        query,
        lambda day: and_(ObjectionRow.status == "filed", ObjectionRow.due_on < day),
        (ObjectionRow.due_on, ObjectionRow.id),
    )


# ---- repairs --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RepairLine:
    id: int
    record_id: int
    utility: str
    status: str
    statement: str
    commitment_signed_on: dt.date | None
    conditions: list[dict[str, Any]]
    submitted_by: str
    submitted_on: dt.date
    accept_due_on: dt.date
    accepted_by: str | None
    accepted_on: dt.date | None
    decide_due_on: dt.date | None
    decided_by: str | None
    decided_on: dt.date | None
    decision: str | None
    decision_note: str | None
    close_due_on: dt.date | None
    closed_by: str | None
    closed_on: dt.date | None


_REPAIR_COLUMNS = [getattr(RepairRow, f.name) for f in fields(RepairLine)]


def insert_repair(connection: Connection, **values: Any) -> int:
    return int(
        connection.execute(insert(RepairRow).values(**values).returning(RepairRow.id)).scalar_one()
    )


def get_repair(connection: Connection, repair_id: int) -> RepairLine | None:
    row = connection.execute(
        select(*_REPAIR_COLUMNS).where(RepairRow.id == repair_id)
    ).one_or_none()
    return None if row is None else RepairLine(*row)


def repairs_of(connection: Connection, record_id: int) -> list[RepairLine]:
    rows = connection.execute(
        select(*_REPAIR_COLUMNS).where(RepairRow.record_id == record_id).order_by(RepairRow.id)
    )
    return [RepairLine(*row) for row in rows]


def list_repairs(connection: Connection, query: CaseQuery) -> Page[RepairLine]:
    """Newest first; overdue = past the deadline of the step it waits for."""
    return _case_page(
        connection,
        RepairRow,
        _REPAIR_COLUMNS,
        RepairLine,
        query,
        lambda day: RepairRow.id.in_(_overdue_repair_ids(day)),
        (RepairRow.id.desc(),),
    )


def _overdue_repair_ids(day: dt.date) -> Any:
    return select(RepairRow.id).where(
        or_(
            and_(RepairRow.status == "submitted", RepairRow.accept_due_on < day),
            and_(RepairRow.status == "accepted", RepairRow.decide_due_on < day),
            and_(RepairRow.status == "decided", RepairRow.close_due_on < day),
        )
    )


# ---- attachments ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttachmentLine:
    id: int
    case_type: str
    case_id: int
    file_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: dt.datetime


_ATTACHMENT_COLUMNS = [getattr(CaseAttachmentRow, f.name) for f in fields(AttachmentLine)]


def insert_attachment(connection: Connection, **values: Any) -> int:
    return int(
        connection.execute(
            insert(CaseAttachmentRow).values(**values).returning(CaseAttachmentRow.id)
        ).scalar_one()
    )


def attachments_of(connection: Connection, case_type: str, case_id: int) -> list[AttachmentLine]:
    rows = connection.execute(
        select(*_ATTACHMENT_COLUMNS)
        .where(CaseAttachmentRow.case_type == case_type, CaseAttachmentRow.case_id == case_id)
        .order_by(CaseAttachmentRow.id)
    )
    return [AttachmentLine(*row) for row in rows]


def get_attachment(connection: Connection, attachment_id: int) -> AttachmentLine | None:
    row = connection.execute(
        select(*_ATTACHMENT_COLUMNS).where(CaseAttachmentRow.id == attachment_id)
    ).one_or_none()
    return None if row is None else AttachmentLine(*row)


def count_open_cases(
    connection: Connection, utilities: Collection[Utility], day: dt.date
) -> dict[str, int]:
    """Numbers for the dashboard: candidates, open and overdue objections and repairs."""
    values = sorted(u.value for u in utilities)
    candidates = connection.execute(
        select(func.count()).where(_R.utility.in_(values), _R.status == "candidate")
    ).scalar_one()
    objections_open = connection.execute(
        select(func.count()).where(ObjectionRow.utility.in_(values), ObjectionRow.status == "filed")
    ).scalar_one()
    objections_overdue = connection.execute(
        select(func.count()).where(
            ObjectionRow.utility.in_(values),
            ObjectionRow.status == "filed",
            ObjectionRow.due_on < day,
        )
    ).scalar_one()
    repairs_open = connection.execute(
        select(func.count()).where(
            RepairRow.utility.in_(values),
            RepairRow.status.in_(["submitted", "accepted", "decided"]),
        )
    ).scalar_one()
    repairs_overdue = connection.execute(
        select(func.count()).where(
            RepairRow.utility.in_(values), RepairRow.id.in_(_overdue_repair_ids(day))
        )
    ).scalar_one()
    return {
        "candidates": int(candidates),
        "objections_open": int(objections_open),
        "objections_overdue": int(objections_overdue),
        "repairs_open": int(repairs_open),
        "repairs_overdue": int(repairs_overdue),
    }


def late_payment_twins(connection: Connection, bill_ids: Collection[int]) -> list[int]:
    """Reported ``late_payment`` incidents on the accounts and due dates of these bills."""
    if not bill_ids:
        return []
    rows = connection.execute(
        select(IncidentRow.id)
        .join(
            BillRow,
            and_(
                BillRow.account_id == IncidentRow.account_id,
                BillRow.due_on == IncidentRow.occurred_on,
            ),
        )
        .where(BillRow.id.in_(sorted(bill_ids)), IncidentRow.kind == "late_payment")
        .distinct()
    )
    return sorted(row.id for row in rows)


def accounts_of_bills(connection: Connection, bill_nos: Collection[str]) -> list[str]:
    rows = connection.execute(
        select(AccountRow.account_no)
        .distinct()
        .join(BillRow, BillRow.account_id == AccountRow.id)
        .where(BillRow.bill_no.in_(sorted(bill_nos)))
    )
    return sorted(row.account_no for row in rows)
