"""Every query that reads the credit file, assembling the pure :class:`CreditFile` records.

Two loaders share the same columns and record builders, so they give the same records:
:func:`iter_credit_files` reads subjects in chunks with ``IN`` lists (batch rating), and
:func:`get_credit_file` reads one subject with statements built once at import time and bound
per call (the live rating endpoint: building a SQLAlchemy statement costs more than running it).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    DateTime,
    Select,
    and_,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    type_coerce,
    update,
)

from utilcredit.customers.model import (
    Account,
    AccountLine,
    Bill,
    Commitment,
    CommitmentStatus,
    CreditFile,
    CreditReport,
    CreditReportLine,
    Incident,
    IncidentKind,
    Payment,
    PaymentMode,
    Reminder,
    ReminderLine,
    Severity,
    Subject,
    SubjectDetail,
    SubjectKind,
    Utility,
)
from utilcredit.customers.tables import (
    AccountRow,
    BillRow,
    CommitmentRow,
    CreditReportRow,
    IncidentRow,
    PaymentRow,
    ReminderRow,
    SubjectRow,
)
from utilcredit.db import Money
from utilcredit.identifiers import normalize_code, subject_ref
from utilcredit.paging import Page, page_of

_CHUNK = 500  # subjects per round of queries: bounded memory, few round trips

# The columns each record is built from (labelled by attribute name: ``amount``, not
# ``amount_fen``); bookkeeping columns such as ``created_at`` are not read.
_SUBJECT_COLUMNS: tuple[Any, ...] = (
    SubjectRow.id,
    SubjectRow.code,
    SubjectRow.kind,
    SubjectRow.name,
    SubjectRow.id_type,
    SubjectRow.legal_rep,
    SubjectRow.phone,
    SubjectRow.address,
    SubjectRow.area,
    SubjectRow.founded_on,
)
_ACCOUNT_COLUMNS: tuple[Any, ...] = (
    AccountRow.id,
    AccountRow.subject_id,
    AccountRow.account_no,
    AccountRow.utility,
    AccountRow.opened_on,
    AccountRow.payment_mode,
    AccountRow.address,
    AccountRow.area,
)
_BILL_COLUMNS: tuple[Any, ...] = (
    BillRow.id,
    BillRow.account_id,
    BillRow.bill_no,
    BillRow.period_start,
    BillRow.period_end,
    BillRow.amount.label("amount"),
    BillRow.due_on,
    BillRow.usage.label("usage"),
    BillRow.unit,
    BillRow.set_aside_by,
)
_PAYMENT_COLUMNS: tuple[Any, ...] = (
    PaymentRow.id,
    PaymentRow.bill_id,
    PaymentRow.payment_no,
    PaymentRow.paid_on,
    PaymentRow.amount.label("amount"),
)
_INCIDENT_COLUMNS: tuple[Any, ...] = (
    IncidentRow.id,
    IncidentRow.account_id,
    IncidentRow.incident_no,
    IncidentRow.kind,
    IncidentRow.occurred_on,
    IncidentRow.amount.label("amount"),
    IncidentRow.asset_class,
    IncidentRow.severity,
    IncidentRow.note,
    IncidentRow.set_aside_by,
)
_REMINDER_COLUMNS: tuple[Any, ...] = (
    ReminderRow.id,
    ReminderRow.account_id,
    ReminderRow.reminder_no,
    ReminderRow.sent_on,
    ReminderRow.channel,
)
_REPORT_COLUMNS: tuple[Any, ...] = (
    CreditReportRow.id,
    CreditReportRow.subject_id,
    CreditReportRow.source,
    CreditReportRow.issued_on,
    CreditReportRow.has_dishonesty,
    CreditReportRow.on_serious_list,
    CreditReportRow.rating,
)

# Every loader orders the same way (ties broken by id), so both give identical tuples.
_BILL_ORDER: tuple[Any, ...] = (BillRow.due_on, BillRow.id)
_PAYMENT_ORDER: tuple[Any, ...] = (PaymentRow.paid_on, PaymentRow.id)
_INCIDENT_ORDER: tuple[Any, ...] = (IncidentRow.occurred_on, IncidentRow.id)
_REMINDER_ORDER: tuple[Any, ...] = (ReminderRow.sent_on, ReminderRow.id)
_REPORT_ORDER: tuple[Any, ...] = (CreditReportRow.issued_on, CreditReportRow.id)
_COMMITMENT_COLUMNS: tuple[Any, ...] = (
    CommitmentRow.subject_id,
    CommitmentRow.code,
    CommitmentRow.commitment_type,
    CommitmentRow.made_on,
    CommitmentRow.valid_until,
    CommitmentRow.status,
    CommitmentRow.status_on,
)
_COMMITMENT_ORDER: tuple[Any, ...] = (CommitmentRow.made_on, CommitmentRow.id)


# ---- records from rows -------------------------------------------------------------------


def _subject(row: Any) -> Subject:
    return Subject(
        row.code,
        SubjectKind(row.kind),
        row.name,
        row.id_type,
        row.legal_rep,
        row.phone,
        row.address,
        row.area,
        row.founded_on,
    )


def _commitment(row: Any) -> Commitment:
    return Commitment(
        row.code,
        row.commitment_type,
        row.made_on,
        row.valid_until,
        CommitmentStatus(row.status),
        row.status_on,
    )


def _account(row: Any, subject_code: str) -> Account:
    return Account(
        row.account_no,
        subject_code,
        Utility(row.utility),
        row.opened_on,
        PaymentMode(row.payment_mode),
        row.address,
        row.area,
    )


def _payments_by_bill(rows: Iterable[Any], bill_no: dict[int, str]) -> dict[int, list[Payment]]:
    payments: dict[int, list[Payment]] = defaultdict(list)
    for row in rows:
        payments[row.bill_id].append(
            Payment(row.payment_no, bill_no[row.bill_id], row.paid_on, row.amount)
        )
    return payments


def _bill(row: Any, account_no: str, payments: Sequence[Payment]) -> Bill:
    return Bill(
        row.bill_no,
        account_no,
        row.period_start,
        row.period_end,
        row.amount,
        row.due_on,
        row.usage,
        row.unit,
        tuple(payments),
        row.set_aside_by,
    )


def _incident(row: Any, account_no: str) -> Incident:
    return Incident(
        row.incident_no,
        account_no,
        IncidentKind(row.kind),
        row.occurred_on,
        row.amount,
        row.asset_class,
        Severity(row.severity) if row.severity else None,
        row.note,
        row.set_aside_by,
    )


def _reminder(row: Any, account_no: str) -> Reminder:
    return Reminder(row.reminder_no, account_no, row.sent_on, row.channel)


def _report(row: Any, subject_code: str) -> CreditReport:
    return CreditReport(
        subject_code,
        row.source,
        row.issued_on,
        row.has_dishonesty,
        row.on_serious_list,
        row.rating,
    )


# ---- the population ----------------------------------------------------------------------


def subject_ids_with_accounts(connection: Connection, utility: Utility) -> list[int]:
    """The rated population of a utility: every subject having an account with it."""
    query = (
        select(AccountRow.subject_id)
        .where(AccountRow.utility == utility.value)
        .distinct()
        .order_by(AccountRow.subject_id)
    )
    return list(connection.execute(query).scalars())


# ---- one subject: statements built once --------------------------------------------------


def _owned(query: Select[Any]) -> Select[Any]:
    """Rows of the subject's accounts with the utility (``:subject_id``, ``:utility``)."""
    return query.where(
        AccountRow.subject_id == bindparam("subject_id"),
        AccountRow.utility == bindparam("utility"),
    )


def _of_accounts(columns: Sequence[Any], account_id: Any) -> Select[Any]:
    return _owned(select(*columns).join(AccountRow, AccountRow.id == account_id))


_ONE_SUBJECT = select(*_SUBJECT_COLUMNS).where(SubjectRow.code == bindparam("code"))
_ONE_ACCOUNTS = _owned(select(*_ACCOUNT_COLUMNS)).order_by(AccountRow.id)
_ONE_BILLS = _of_accounts(_BILL_COLUMNS, BillRow.account_id).order_by(*_BILL_ORDER)
_ONE_PAYMENTS = _owned(
    select(*_PAYMENT_COLUMNS)
    .join(BillRow, BillRow.id == PaymentRow.bill_id)
    .join(AccountRow, AccountRow.id == BillRow.account_id)
).order_by(*_PAYMENT_ORDER)
_ONE_INCIDENTS = _of_accounts(_INCIDENT_COLUMNS, IncidentRow.account_id).order_by(*_INCIDENT_ORDER)
_ONE_REMINDERS = _of_accounts(_REMINDER_COLUMNS, ReminderRow.account_id).order_by(*_REMINDER_ORDER)
_ONE_REPORTS = (
    select(*_REPORT_COLUMNS)
    .where(CreditReportRow.subject_id == bindparam("subject_id"))
    .order_by(*_REPORT_ORDER)
)
_ONE_COMMITMENTS = (
    select(*_COMMITMENT_COLUMNS)
    .where(
        CommitmentRow.subject_id == bindparam("subject_id"),
        CommitmentRow.utility == bindparam("utility"),
    )
    .order_by(*_COMMITMENT_ORDER)
)


def get_credit_file(connection: Connection, code: str, utility: Utility) -> CreditFile | None:
    """One subject's credit file with a utility (``None`` if no subject has that code); the
    same record :func:`iter_credit_files` gives for it, in eight indexed queries."""
    subject = connection.execute(_ONE_SUBJECT, {"code": code}).first()
    if subject is None:
        return None
    params = {"subject_id": subject.id, "utility": utility.value}
    accounts = list(connection.execute(_ONE_ACCOUNTS, params))
    account_no = {row.id: row.account_no for row in accounts}
    bills: tuple[Bill, ...] = ()
    incidents: tuple[Incident, ...] = ()
    reminders: tuple[Reminder, ...] = ()
    if accounts:
        bill_rows = list(connection.execute(_ONE_BILLS, params))
        bill_no = {row.id: row.bill_no for row in bill_rows}
        payments = _payments_by_bill(connection.execute(_ONE_PAYMENTS, params), bill_no)
        bills = tuple(
            _bill(row, account_no[row.account_id], payments.get(row.id, ())) for row in bill_rows
        )
        incidents = tuple(
            _incident(row, account_no[row.account_id])
            for row in connection.execute(_ONE_INCIDENTS, params)
        )
        reminders = tuple(
            _reminder(row, account_no[row.account_id])
            for row in connection.execute(_ONE_REMINDERS, params)
        )
    return CreditFile(
        subject=_subject(subject),
        utility=utility,
        accounts=tuple(_account(row, subject.code) for row in accounts),
        bills=bills,
        incidents=incidents,
        reminders=reminders,
        credit_reports=tuple(
            _report(row, subject.code) for row in connection.execute(_ONE_REPORTS, params)
        ),
        commitments=tuple(_commitment(row) for row in connection.execute(_ONE_COMMITMENTS, params)),
    )


# ---- many subjects -----------------------------------------------------------------------


def iter_credit_files(
    connection: Connection, utility: Utility, subject_ids: Sequence[int] | None = None
) -> Iterator[CreditFile]:
    """Credit files of the given subjects (default: the utility's whole population), in id order."""
    ids = (
        list(subject_ids)
        if subject_ids is not None
        else subject_ids_with_accounts(connection, utility)
    )
    for start in range(0, len(ids), _CHUNK):
        yield from _load_chunk(connection, utility, ids[start : start + _CHUNK])


def _load_chunk(connection: Connection, utility: Utility, ids: list[int]) -> Iterator[CreditFile]:
    subjects = {
        row.id: row
        for row in connection.execute(select(*_SUBJECT_COLUMNS).where(SubjectRow.id.in_(ids)))
    }
    accounts = list(
        connection.execute(
            select(*_ACCOUNT_COLUMNS)
            .where(AccountRow.subject_id.in_(ids), AccountRow.utility == utility.value)
            .order_by(AccountRow.id)
        )
    )
    account_ids = [row.id for row in accounts]
    subject_of_account = {row.id: row.subject_id for row in accounts}
    account_no = {row.id: row.account_no for row in accounts}
    code_of = {subject_id: row.code for subject_id, row in subjects.items()}

    by_subject: dict[int, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for row in accounts:
        by_subject[row.subject_id]["accounts"].append(_account(row, code_of[row.subject_id]))
    for account_id, bill in _bills(connection, account_ids, account_no):
        by_subject[subject_of_account[account_id]]["bills"].append(bill)
    for row in _rows(connection, _INCIDENT_COLUMNS, IncidentRow, account_ids, _INCIDENT_ORDER):
        by_subject[subject_of_account[row.account_id]]["incidents"].append(
            _incident(row, account_no[row.account_id])
        )
    for row in _rows(connection, _REMINDER_COLUMNS, ReminderRow, account_ids, _REMINDER_ORDER):
        by_subject[subject_of_account[row.account_id]]["reminders"].append(
            _reminder(row, account_no[row.account_id])
        )
    reports = connection.execute(
        select(*_REPORT_COLUMNS).where(CreditReportRow.subject_id.in_(ids)).order_by(*_REPORT_ORDER)
    )
    for report in reports:
        by_subject[report.subject_id]["credit_reports"].append(
            _report(report, code_of[report.subject_id])
        )
    commitments = connection.execute(
        select(*_COMMITMENT_COLUMNS)
        .where(CommitmentRow.subject_id.in_(ids), CommitmentRow.utility == utility.value)
        .order_by(*_COMMITMENT_ORDER)
    )
    for commitment in commitments:
        by_subject[commitment.subject_id]["commitments"].append(_commitment(commitment))
    for subject_id in ids:
        subject = subjects.get(subject_id)
        if subject is None:
            continue
        parts = by_subject.get(subject_id, {})
        yield CreditFile(
            subject=_subject(subject),
            utility=utility,
            accounts=tuple(parts.get("accounts", ())),
            bills=tuple(parts.get("bills", ())),
            incidents=tuple(parts.get("incidents", ())),
            reminders=tuple(parts.get("reminders", ())),
            credit_reports=tuple(parts.get("credit_reports", ())),
            commitments=tuple(parts.get("commitments", ())),
        )


def _rows(
    connection: Connection,
    columns: Sequence[Any],
    table: Any,
    account_ids: list[int],
    order: Sequence[Any],
) -> Iterator[Any]:
    if not account_ids:
        return iter(())
    return iter(
        connection.execute(
            select(*columns).where(table.account_id.in_(account_ids)).order_by(*order)
        )
    )


def _bills(
    connection: Connection, account_ids: list[int], account_no: dict[int, str]
) -> Iterator[tuple[int, Bill]]:
    """Bills with their payments, as ``(account_id, Bill)``, oldest due date first."""
    if not account_ids:
        return
    bill_rows = list(
        connection.execute(
            select(*_BILL_COLUMNS).where(BillRow.account_id.in_(account_ids)).order_by(*_BILL_ORDER)
        )
    )
    bill_no = {row.id: row.bill_no for row in bill_rows}
    bill_ids = list(bill_no)
    payments: dict[int, list[Payment]] = defaultdict(list)
    for start in range(0, len(bill_ids), 5000):
        query = (
            select(*_PAYMENT_COLUMNS)
            .where(PaymentRow.bill_id.in_(bill_ids[start : start + 5000]))
            .order_by(*_PAYMENT_ORDER)
        )
        for bill_id, found in _payments_by_bill(connection.execute(query), bill_no).items():
            payments[bill_id].extend(found)
    for row in bill_rows:
        yield row.account_id, _bill(row, account_no[row.account_id], payments.get(row.id, ()))


# ---- evidence set aside by the dishonesty-record register --------------------------------
#
# The records service (``records``, a higher layer) marks the incidents and bills a repaired,
# removed or corrected-away dishonesty record stands on; every rating engine leaves marked rows
# out (SPEC 3: repaired or removed records do not count; records under objection still do).
# A mark moves the row's ``updated_at`` past every stamp its table holds, so the columnar
# snapshot's fingerprint (the newest ``updated_at`` per table) and incremental re-rating
# ("changed since the watermark") always see it, even within the second of the last import
# (SQLite stamps ``CURRENT_TIMESTAMP`` to the second). Imports never write the mark
# (``tables.NOT_IMPORTED``).


def _mark_stamp(connection: Connection, table: Any) -> Any:
    """The ``updated_at`` a mark writes: the database's now, or just after the newest stamp of
    the table when that is not earlier (same second, or a clock behind), so the table's newest
    ``updated_at`` always moves."""
    now, newest = connection.execute(
        select(type_coerce(func.now(), DateTime(timezone=True)), func.max(table.c.updated_at))
    ).one()
    if newest is None or now > newest:
        return now
    return newest + dt.timedelta(microseconds=1)


def _write_mark(
    connection: Connection, table: Any, where: ColumnElement[bool], value: int | None
) -> None:
    stamp = _mark_stamp(connection, table)
    connection.execute(update(table).where(where).values(set_aside_by=value, updated_at=stamp))


def set_aside_evidence(
    connection: Connection,
    *,
    record_id: int,
    incident_ids: Collection[int],
    bill_ids: Collection[int],
) -> None:
    """Set the incidents and bills (store ids) aside for the dishonesty record ``record_id``:
    no rating counts them until :func:`restore_evidence` clears the mark.

    A row carries one mark: a row already set aside (by this record or another one) keeps its
    mark, so restoring that other record makes it count again. Never commits.
    """
    for table, ids in ((_INCIDENTS, incident_ids), (_BILLS, bill_ids)):
        wanted = sorted(set(ids))
        for start in range(0, len(wanted), _MARK_CHUNK):
            chunk = wanted[start : start + _MARK_CHUNK]
            where = and_(table.c.id.in_(chunk), table.c.set_aside_by.is_(None))
            _write_mark(connection, table, where, record_id)


def restore_evidence(connection: Connection, *, record_id: int) -> None:
    """Clear the marks of ``record_id``: its incidents and bills count again. Never commits."""
    for table in (_INCIDENTS, _BILLS):
        _write_mark(connection, table, table.c.set_aside_by == record_id, None)


_INCIDENTS: Any = IncidentRow.__table__
_BILLS: Any = BillRow.__table__
_MARK_CHUNK = 5000


# ---- records an explanation points at --------------------------------------------------


def visible_account_ids(subject_id: int, utilities: Iterable[Utility]) -> Select[int]:
    """The subject's accounts of ``utilities`` (a subquery of ids)."""
    return select(AccountRow.id).where(
        AccountRow.subject_id == subject_id,
        AccountRow.utility.in_(sorted(u.value for u in utilities)),
    )


def evidence_record(
    connection: Connection,
    subject_id: int,
    utilities: Iterable[Utility],
    kind: str,
    ref: str,
    on: dt.date | None = None,
) -> dict[str, Any] | None:
    """One record an explanation points at, within the subject's visible accounts."""
    accounts = visible_account_ids(subject_id, utilities)
    if kind == "bill":
        bill = connection.execute(
            select(BillRow, AccountRow.account_no)
            .join(AccountRow, AccountRow.id == BillRow.account_id)
            .where(BillRow.bill_no == ref, BillRow.account_id.in_(accounts))
        ).one_or_none()
        if bill is None:
            return None
        paid = list(
            connection.execute(
                select(PaymentRow.payment_no, PaymentRow.paid_on, PaymentRow.amount)
                .where(PaymentRow.bill_id == bill.id)
                .order_by(PaymentRow.paid_on)
            )
        )
        return {"row": bill._mapping, "payments": [p._mapping for p in paid]}
    if kind == "incident":
        incident = connection.execute(
            select(IncidentRow, AccountRow.account_no)
            .join(AccountRow, AccountRow.id == IncidentRow.account_id)
            .where(IncidentRow.incident_no == ref, IncidentRow.account_id.in_(accounts))
        ).one_or_none()
        return None if incident is None else {"row": incident._mapping, "payments": []}
    if kind == "account":
        account = connection.execute(
            select(AccountRow).where(AccountRow.account_no == ref, AccountRow.id.in_(accounts))
        ).one_or_none()
        return None if account is None else {"row": account._mapping, "payments": []}
    if kind == "report":
        statement = select(CreditReportRow).where(
            CreditReportRow.subject_id == subject_id, CreditReportRow.source == ref
        )
        if on is not None:
            statement = statement.where(CreditReportRow.issued_on == on)
        report = connection.execute(
            statement.order_by(CreditReportRow.issued_on.desc()).limit(1)
        ).one_or_none()
        return None if report is None else {"row": report._mapping, "payments": []}
    return None


# ---- how subjects are named (code, kind, reference) -------------------------------------


@dataclass(frozen=True, slots=True)
class SubjectName:
    id: int
    code: str
    kind: str

    @property
    def ref(self) -> str:
        return subject_ref(self.id, self.code, self.kind)


_SUBJECT_NAME = select(SubjectRow.id, SubjectRow.code, SubjectRow.kind)


def subject_card_of(connection: Connection, code: str) -> Subject | None:
    row = connection.execute(_ONE_SUBJECT, {"code": code}).first()
    return None if row is None else _subject(row)


def account_ids_of(connection: Connection, subject_id: int, utility: str) -> dict[str, int]:
    """The subject's accounts with the utility: account_no → id."""
    rows = connection.execute(
        select(AccountRow.account_no, AccountRow.id).where(
            AccountRow.subject_id == subject_id, AccountRow.utility == utility
        )
    )
    return {row.account_no: row.id for row in rows}


def add_incident(
    connection: Connection,
    *,
    incident_no: str,
    account_id: int,
    kind: IncidentKind,
    occurred_on: dt.date,
    note: str,
) -> int:
    """An incident another use case records (a commitment breach), not the billing system."""
    new_id: int = connection.execute(
        insert(IncidentRow)
        .values(
            incident_no=incident_no,
            account_id=account_id,
            kind=kind.value,
            occurred_on=occurred_on,
            note=note[:500],
        )
        .returning(IncidentRow.id)
    ).scalar_one()
    return new_id


def subject_by_id(connection: Connection, subject_id: int) -> SubjectName | None:
    row = connection.execute(_SUBJECT_NAME.where(SubjectRow.id == subject_id)).one_or_none()
    return None if row is None else SubjectName(row.id, row.code, row.kind)


def subject_by_code(connection: Connection, code: str) -> SubjectName | None:
    row = connection.execute(_SUBJECT_NAME.where(SubjectRow.code == code)).one_or_none()
    return None if row is None else SubjectName(row.id, row.code, row.kind)


def subjects_by_codes(connection: Connection, codes: Collection[str]) -> dict[str, SubjectName]:
    wanted = sorted(set(codes))
    found: dict[str, SubjectName] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for row in connection.execute(_SUBJECT_NAME.where(SubjectRow.code.in_(chunk))):
            found[row.code] = SubjectName(row.id, row.code, row.kind)
    return found


# Reads behind the API and the console: search, paged credit-file tables, statistics.
#
# Every list is paged with ``offset``/``limit`` and asks for one row more than it shows, to know
# whether there is a next page without counting a whole table. Tenancy is a filter on the
# account's ``utility``.


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _values(utilities: Collection[Utility]) -> list[str]:
    return sorted(u.value for u in utilities)


@dataclass(frozen=True, slots=True)
class SubjectHit:
    id: int
    code: str
    kind: str
    name: str
    area: str | None
    utilities: tuple[str, ...]

    @property
    def ref(self) -> str:
        """What URLs name the subject by (``id-<n>`` for a natural person)."""
        return subject_ref(self.id, self.code, self.kind)


def _partial_match(
    text: str, *, personal_partial: bool
) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """(code, name) conditions: prefix of the code, fragment of the name.

    Without ``personal_partial`` a natural person matches only on the whole ID number or the
    whole name: otherwise a reader who sees them masked could recover them one character at a
    time (``?q=32082619850117…``). Organisations' codes and names are public and match in part.
    """
    by_code = SubjectRow.code.like(_escape_like(text.upper()) + "%", escape="\\")
    by_name = SubjectRow.name.like("%" + _escape_like(text) + "%", escape="\\")
    if personal_partial:
        return by_code, by_name
    legal = SubjectRow.kind != "natural"
    return (
        or_(and_(legal, by_code), SubjectRow.code == normalize_code(text)),
        or_(and_(legal, by_name), SubjectRow.name == text),
    )


def search_subjects(
    connection: Connection,
    query: str,
    utilities: Collection[Utility],
    *,
    offset: int,
    limit: int,
    personal_partial: bool = False,
) -> Page[SubjectHit]:
    """Subjects by code prefix, name fragment or account-number prefix, within ``utilities``;
    natural persons by their whole ID number or name unless ``personal_partial``."""
    allowed = _values(utilities)
    visible = exists().where(
        AccountRow.subject_id == SubjectRow.id, AccountRow.utility.in_(allowed)
    )
    statement = select(
        SubjectRow.id, SubjectRow.code, SubjectRow.kind, SubjectRow.name, SubjectRow.area
    ).where(visible)
    text = query.strip()
    if text:
        by_code, by_name = _partial_match(text, personal_partial=personal_partial)
        by_account = select(AccountRow.subject_id).where(
            AccountRow.account_no.like(_escape_like(text) + "%", escape="\\"),
            AccountRow.utility.in_(allowed),
        )
        statement = statement.where(or_(by_code, by_name, SubjectRow.id.in_(by_account)))
    rows = list(
        connection.execute(statement.order_by(SubjectRow.code).offset(offset).limit(limit + 1))
    )
    shown = rows[:limit]
    utilities_of = subject_utility_map(connection, [row.id for row in shown], allowed)
    hits = [
        SubjectHit(row.id, row.code, row.kind, row.name, row.area, utilities_of.get(row.id, ()))
        for row in rows
    ]
    return page_of(hits, offset, limit)


def subject_utility_map(
    connection: Connection, subject_ids: Sequence[int], allowed: Sequence[str]
) -> dict[int, tuple[str, ...]]:
    if not subject_ids:
        return {}
    found: dict[int, set[str]] = {}
    for subject_id, utility in connection.execute(
        select(AccountRow.subject_id, AccountRow.utility).where(
            AccountRow.subject_id.in_(subject_ids), AccountRow.utility.in_(allowed)
        )
    ):
        found.setdefault(subject_id, set()).add(utility)
    return {key: tuple(sorted(value)) for key, value in found.items()}


@dataclass(frozen=True, slots=True)
class AccountHit:
    account_no: str
    utility: str
    subject_code: str
    subject_name: str
    subject_kind: str
    opened_on: dt.date
    payment_mode: str
    address: str | None
    area: str | None
    subject_id: int

    @property
    def subject_ref(self) -> str:
        return subject_ref(self.subject_id, self.subject_code, self.subject_kind)


def search_accounts(
    connection: Connection,
    query: str,
    utilities: Collection[Utility],
    *,
    offset: int,
    limit: int,
) -> Page[AccountHit]:
    statement = (
        select(
            AccountRow.account_no,
            AccountRow.utility,
            SubjectRow.code,
            SubjectRow.name,
            SubjectRow.kind,
            AccountRow.opened_on,
            AccountRow.payment_mode,
            AccountRow.address,
            AccountRow.area,
            SubjectRow.id,
        )
        .join(SubjectRow, SubjectRow.id == AccountRow.subject_id)
        .where(AccountRow.utility.in_(_values(utilities)))
    )
    text = query.strip()
    if text:
        statement = statement.where(
            or_(
                AccountRow.account_no.like(_escape_like(text) + "%", escape="\\"),
                SubjectRow.code == normalize_code(text),
            )
        )
    rows = connection.execute(
        statement.order_by(AccountRow.account_no).offset(offset).limit(limit + 1)
    )
    return page_of([_account_hit(row) for row in rows], offset, limit)


def _account_hit(row: Any) -> AccountHit:
    return AccountHit(*row)


def subject_detail(connection: Connection, subject_id: int) -> SubjectDetail:
    row = connection.execute(select(*_SUBJECT_COLUMNS).where(SubjectRow.id == subject_id)).one()
    return SubjectDetail(*row)


_ACCOUNT_LINE_COLUMNS = _ACCOUNT_COLUMNS[2:]  # account_no … area
_REPORT_LINE_COLUMNS = _REPORT_COLUMNS[2:]  # source … rating


def accounts_of(
    connection: Connection, subject_id: int, utilities: Collection[Utility]
) -> list[AccountLine]:
    rows = connection.execute(
        select(*_ACCOUNT_LINE_COLUMNS)
        .where(AccountRow.subject_id == subject_id, AccountRow.utility.in_(_values(utilities)))
        .order_by(AccountRow.utility, AccountRow.account_no)
    )
    return [AccountLine(*row) for row in rows]


def credit_reports_of(connection: Connection, subject_id: int) -> list[CreditReportLine]:
    rows = connection.execute(
        select(*_REPORT_LINE_COLUMNS)
        .where(CreditReportRow.subject_id == subject_id)
        .order_by(CreditReportRow.issued_on.desc())
        .limit(50)
    )
    return [CreditReportLine(*row) for row in rows]


@dataclass(frozen=True, slots=True)
class BillLine:
    bill_no: str
    account_no: str
    period_start: dt.date
    period_end: dt.date
    usage: Decimal | None
    unit: str | None
    amount: Decimal
    due_on: dt.date
    paid: Decimal
    set_aside_by: int | None = None  # the dishonesty record that set it aside (not rated)


def bills_of(
    connection: Connection,
    subject_id: int,
    utilities: Collection[Utility],
    *,
    offset: int,
    limit: int,
) -> Page[BillLine]:
    paid = (
        select(type_coerce(func.coalesce(func.sum(PaymentRow.amount), 0), Money()))
        .where(PaymentRow.bill_id == BillRow.id)
        .scalar_subquery()
    )
    rows = connection.execute(
        select(
            BillRow.bill_no,
            AccountRow.account_no,
            BillRow.period_start,
            BillRow.period_end,
            BillRow.usage,
            BillRow.unit,
            BillRow.amount,
            BillRow.due_on,
            paid.label("paid"),
            BillRow.set_aside_by,
        )
        .join(AccountRow, AccountRow.id == BillRow.account_id)
        .where(BillRow.account_id.in_(visible_account_ids(subject_id, utilities)))
        .order_by(BillRow.due_on.desc(), BillRow.id.desc())
        .offset(offset)
        .limit(limit + 1)
    )
    lines = [
        BillLine(*row[:8], paid=row.paid or Decimal("0.00"), set_aside_by=row.set_aside_by)
        for row in rows
    ]
    return page_of(lines, offset, limit)


@dataclass(frozen=True, slots=True)
class PaymentLine:
    payment_no: str
    bill_no: str
    account_no: str
    paid_on: dt.date
    amount: Decimal


def payments_of(
    connection: Connection,
    subject_id: int,
    utilities: Collection[Utility],
    *,
    offset: int,
    limit: int,
) -> Page[PaymentLine]:
    rows = connection.execute(
        select(
            PaymentRow.payment_no,
            BillRow.bill_no,
            AccountRow.account_no,
            PaymentRow.paid_on,
            PaymentRow.amount,
        )
        .join(BillRow, BillRow.id == PaymentRow.bill_id)
        .join(AccountRow, AccountRow.id == BillRow.account_id)
        .where(BillRow.account_id.in_(visible_account_ids(subject_id, utilities)))
        .order_by(PaymentRow.paid_on.desc(), PaymentRow.id.desc())
        .offset(offset)
        .limit(limit + 1)
    )
    return page_of([PaymentLine(*row) for row in rows], offset, limit)


@dataclass(frozen=True, slots=True)
class IncidentLine:
    incident_no: str
    account_no: str
    kind: str
    occurred_on: dt.date
    amount: Decimal | None
    asset_class: str | None
    severity: str | None
    note: str | None
    set_aside_by: int | None = None  # the dishonesty record that set it aside (not rated)


def incidents_of(
    connection: Connection,
    subject_id: int,
    utilities: Collection[Utility],
    *,
    offset: int,
    limit: int,
) -> Page[IncidentLine]:
    rows = connection.execute(
        select(
            IncidentRow.incident_no,
            AccountRow.account_no,
            IncidentRow.kind,
            IncidentRow.occurred_on,
            IncidentRow.amount,
            IncidentRow.asset_class,
            IncidentRow.severity,
            IncidentRow.note,
            IncidentRow.set_aside_by,
        )
        .join(AccountRow, AccountRow.id == IncidentRow.account_id)
        .where(IncidentRow.account_id.in_(visible_account_ids(subject_id, utilities)))
        .order_by(IncidentRow.occurred_on.desc(), IncidentRow.id.desc())
        .offset(offset)
        .limit(limit + 1)
    )
    return page_of([IncidentLine(*row) for row in rows], offset, limit)


def reminders_of(
    connection: Connection, subject_id: int, utilities: Collection[Utility]
) -> list[ReminderLine]:
    rows = connection.execute(
        select(
            ReminderRow.reminder_no,
            AccountRow.account_no,
            ReminderRow.sent_on,
            ReminderRow.channel,
        )
        .join(AccountRow, AccountRow.id == ReminderRow.account_id)
        .where(ReminderRow.account_id.in_(visible_account_ids(subject_id, utilities)))
        .order_by(ReminderRow.sent_on.desc())
        .limit(50)
    )
    return [ReminderLine(*row) for row in rows]


def count_subjects_of(connection: Connection, utility: Utility) -> int:
    return int(
        connection.execute(
            select(func.count(func.distinct(AccountRow.subject_id))).where(
                AccountRow.utility == utility.value
            )
        ).scalar_one()
    )
