"""The credit file loaders: every query that reads whole :class:`CreditFile` records.

Two loaders share the same columns and record builders (``columns.py``), so they give the same
records: :func:`iter_credit_files` reads subjects in chunks with ``IN`` lists (batch rating), and
:func:`get_credit_file` reads one subject with statements built once at import time and bound
per call (the live rating endpoint: building a SQLAlchemy statement costs more than running it).

The domain's other queries live beside this module: ``subjects.py`` (one subject looked up by
id or code, its accounts), ``pages.py`` (the reader's search and the credit file's pages) and
``writes.py`` (what other domains' use cases write into the credit file).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Select, bindparam, func, select

from utilcredit.customers.columns import (
    ACCOUNT_COLUMNS,
    BILL_COLUMNS,
    BILL_ORDER,
    COMMITMENT_COLUMNS,
    COMMITMENT_ORDER,
    INCIDENT_COLUMNS,
    INCIDENT_ORDER,
    PAYMENT_COLUMNS,
    PAYMENT_ORDER,
    REMINDER_COLUMNS,
    REMINDER_ORDER,
    REPORT_COLUMNS,
    REPORT_ORDER,
    SUBJECT_BY_CODE,
    SUBJECT_COLUMNS,
    account_record,
    bill_record,
    commitment_record,
    incident_record,
    payments_by_bill,
    reminder_record,
    report_record,
    subject_record,
)
from utilcredit.customers.model import Bill, CreditFile, Incident, Payment, Reminder, Utility
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

_CHUNK = 500  # subjects per round of queries: bounded memory, few round trips


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


def count_subjects_of(connection: Connection, utility: Utility) -> int:
    return int(
        connection.execute(
            select(func.count(func.distinct(AccountRow.subject_id))).where(
                AccountRow.utility == utility.value
            )
        ).scalar_one()
    )


def natural_person_codes(connection: Connection) -> frozenset[str]:
    """The codes (resident ID numbers) of the natural persons, which lists print masked."""
    query = select(SubjectRow.code).where(SubjectRow.kind == "natural")
    return frozenset(connection.execute(query).scalars())


# ---- one subject: statements built once --------------------------------------------------


def _owned(query: Select[Any]) -> Select[Any]:
    """Rows of the subject's accounts with the utility (``:subject_id``, ``:utility``)."""
    return query.where(
        AccountRow.subject_id == bindparam("subject_id"),
        AccountRow.utility == bindparam("utility"),
    )


def _of_accounts(columns: Sequence[Any], account_id: Any) -> Select[Any]:
    return _owned(select(*columns).join(AccountRow, AccountRow.id == account_id))


_ONE_ACCOUNTS = _owned(select(*ACCOUNT_COLUMNS)).order_by(AccountRow.id)
_ONE_BILLS = _of_accounts(BILL_COLUMNS, BillRow.account_id).order_by(*BILL_ORDER)
_ONE_PAYMENTS = _owned(
    select(*PAYMENT_COLUMNS)
    .join(BillRow, BillRow.id == PaymentRow.bill_id)
    .join(AccountRow, AccountRow.id == BillRow.account_id)
).order_by(*PAYMENT_ORDER)
_ONE_INCIDENTS = _of_accounts(INCIDENT_COLUMNS, IncidentRow.account_id).order_by(*INCIDENT_ORDER)
_ONE_REMINDERS = _of_accounts(REMINDER_COLUMNS, ReminderRow.account_id).order_by(*REMINDER_ORDER)
_ONE_REPORTS = (
    select(*REPORT_COLUMNS)
    .where(CreditReportRow.subject_id == bindparam("subject_id"))
    .order_by(*REPORT_ORDER)
)
_ONE_COMMITMENTS = (
    select(*COMMITMENT_COLUMNS)
    .where(
        CommitmentRow.subject_id == bindparam("subject_id"),
        CommitmentRow.utility == bindparam("utility"),
    )
    .order_by(*COMMITMENT_ORDER)
)


def get_credit_file(connection: Connection, code: str, utility: Utility) -> CreditFile | None:
    """One subject's credit file with a utility (``None`` if no subject has that code); the
    same record :func:`iter_credit_files` gives for it, in eight indexed queries."""
    subject = connection.execute(SUBJECT_BY_CODE, {"code": code}).first()
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
        payments = payments_by_bill(connection.execute(_ONE_PAYMENTS, params), bill_no)
        bills = tuple(
            bill_record(row, account_no[row.account_id], payments.get(row.id, ()))
            for row in bill_rows
        )
        incidents = tuple(
            incident_record(row, account_no[row.account_id])
            for row in connection.execute(_ONE_INCIDENTS, params)
        )
        reminders = tuple(
            reminder_record(row, account_no[row.account_id])
            for row in connection.execute(_ONE_REMINDERS, params)
        )
    return CreditFile(
        subject=subject_record(subject),
        utility=utility,
        accounts=tuple(account_record(row, subject.code) for row in accounts),
        bills=bills,
        incidents=incidents,
        reminders=reminders,
        credit_reports=tuple(
            report_record(row, subject.code) for row in connection.execute(_ONE_REPORTS, params)
        ),
        commitments=tuple(
            commitment_record(row) for row in connection.execute(_ONE_COMMITMENTS, params)
        ),
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
        for row in connection.execute(select(*SUBJECT_COLUMNS).where(SubjectRow.id.in_(ids)))
    }
    accounts = list(
        connection.execute(
            select(*ACCOUNT_COLUMNS)
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
        by_subject[row.subject_id]["accounts"].append(account_record(row, code_of[row.subject_id]))
    for account_id, bill in _bills(connection, account_ids, account_no):
        by_subject[subject_of_account[account_id]]["bills"].append(bill)
    for row in _rows(connection, INCIDENT_COLUMNS, IncidentRow, account_ids, INCIDENT_ORDER):
        by_subject[subject_of_account[row.account_id]]["incidents"].append(
            incident_record(row, account_no[row.account_id])
        )
    for row in _rows(connection, REMINDER_COLUMNS, ReminderRow, account_ids, REMINDER_ORDER):
        by_subject[subject_of_account[row.account_id]]["reminders"].append(
            reminder_record(row, account_no[row.account_id])
        )
    reports = connection.execute(
        select(*REPORT_COLUMNS).where(CreditReportRow.subject_id.in_(ids)).order_by(*REPORT_ORDER)
    )
    for report in reports:
        by_subject[report.subject_id]["credit_reports"].append(
            report_record(report, code_of[report.subject_id])
        )
    commitments = connection.execute(
        select(*COMMITMENT_COLUMNS)
        .where(CommitmentRow.subject_id.in_(ids), CommitmentRow.utility == utility.value)
        .order_by(*COMMITMENT_ORDER)
    )
    for commitment in commitments:
        by_subject[commitment.subject_id]["commitments"].append(commitment_record(commitment))
    for subject_id in ids:
        subject = subjects.get(subject_id)
        if subject is None:
            continue
        parts = by_subject.get(subject_id, {})
        yield CreditFile(
            subject=subject_record(subject),
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
            select(*BILL_COLUMNS).where(BillRow.account_id.in_(account_ids)).order_by(*BILL_ORDER)
        )
    )
    bill_no = {row.id: row.bill_no for row in bill_rows}
    bill_ids = list(bill_no)
    payments: dict[int, list[Payment]] = defaultdict(list)
    for start in range(0, len(bill_ids), 5000):
        query = (
            select(*PAYMENT_COLUMNS)
            .where(PaymentRow.bill_id.in_(bill_ids[start : start + 5000]))
            .order_by(*PAYMENT_ORDER)
        )
        for bill_id, found in payments_by_bill(connection.execute(query), bill_no).items():
            payments[bill_id].extend(found)
    for row in bill_rows:
        yield row.account_id, bill_record(row, account_no[row.account_id], payments.get(row.id, ()))
