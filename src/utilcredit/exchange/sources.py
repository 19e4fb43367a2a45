"""The credit file read as catalog rows: one streaming query per kind, each row a source key
(which store row it came from, so a returned error finds it again) and the catalog's values
as the strings that will be written. Reads only; SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Executable,
    Integer,
    Select,
    String,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.functions import FunctionElement

from utilcredit.commitments.model import (
    COMMITMENT_STATUS_LABELS,
    COMMITMENT_TYPE_ZH,
    DISCLOSURE_ZH,
    CommitmentType,
    Disclosure,
)
from utilcredit.customers.model import CommitmentStatus, PaymentMode, SubjectKind
from utilcredit.customers.tables import (
    AccountRow,
    BillRow,
    CommitmentRow,
    IncidentRow,
    PaymentRow,
    SubjectRow,
)
from utilcredit.exchange.model import id_type_name, iso, quantity, yes_no, yuan
from utilcredit.localtime import SHANGHAI
from utilcredit.policies.model.dishonesty import DishonestyClass, DishonestyKind
from utilcredit.records.model import (
    CLASS_LABELS,
    KIND_LABELS,
    RECORD_STATUS_LABELS,
    RecordStatus,
)
from utilcredit.records.tables import DishonestyRecordRow

#: Rows fetched per round trip: memory stays flat however many rows a kind has.
YIELD_PER = 5_000

FEE_NAMES = {"water": "水费", "power": "电费"}
ARREARS_NAMES = {"water": "拖欠水费", "power": "拖欠电费"}
SUBJECT_CATEGORY = {SubjectKind.LEGAL: "法人及非法人组织", SubjectKind.NATURAL: "自然人"}

#: Per utility: (name, USCC) of the unit that handles payments and determines arrears.
Units = Mapping[str, tuple[str, str]]
Row = tuple[str, list[str]]


@dataclass(frozen=True, slots=True)
class Scope:
    """Which rows an export reads: the determination day, the utilities, and for an
    incremental export the window of changes ``[since, until)``."""

    as_of: dt.date
    utilities: Collection[str]
    until: dt.datetime
    since: dt.datetime | None = None
    #: Only these source keys (a resubmission of corrected rows); None: every row in scope.
    keys: frozenset[str] | None = None

    def only(self, prefix: str, column: Any) -> list[ColumnElement[bool]]:
        """The filter to ``keys`` of one prefix (``payment``, ``arrears``, …) on ``column``."""
        if self.keys is None:
            return []
        idents = [k.partition(":")[2] for k in self.keys if k.startswith(prefix + ":")]
        if prefix == "arrears":  # arrears:<account>:<day>: the account, on the export's day
            idents = [ident.rsplit(":", 1)[0] for ident in idents]
        if prefix == "record":
            return [column.in_(sorted(int(i) for i in idents if i.isdigit()))]
        return [column.in_(sorted(idents))]

    def changed(self, stamp: InstrumentedAttribute[dt.datetime]) -> list[ColumnElement[bool]]:
        window = [stamp < self.until]
        if self.since is not None:
            window.append(stamp >= self.since)
        return window


def _fen(column: InstrumentedAttribute[Any]) -> ColumnElement[int]:
    """The stored integer behind a Money or Quantity column (no Decimal per row)."""
    return type_coerce(column, Integer)


class _IsoDay(FunctionElement[str]):
    """A date column read as its ISO text, ``YYYY-MM-DD``: the file's form, without a ``date``
    object made and formatted again for every row. SQLite keeps dates as that text already;
    PostgreSQL formats them explicitly (a cast would follow the server's DateStyle)."""

    type = String()
    inherit_cache = True
    name = "iso_day"


@compiles(_IsoDay)
def _iso_day_as_stored(element: _IsoDay, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS VARCHAR)"


@compiles(_IsoDay, "postgresql")
def _iso_day_postgresql(element: _IsoDay, compiler: Any, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM-DD')"


def _day(column: InstrumentedAttribute[dt.date]) -> ColumnElement[str]:
    return _IsoDay(column)


def _stream(connection: Connection, query: Executable) -> Iterator[Any]:
    yield from connection.execute(query.execution_options(yield_per=YIELD_PER))


def payments(connection: Connection, scope: Scope, units: Units, *, natural: bool) -> Iterator[Row]:
    kind = SubjectKind.NATURAL if natural else SubjectKind.LEGAL
    query = (
        select(
            PaymentRow.payment_no,
            SubjectRow.name,
            SubjectRow.code,
            SubjectRow.id_type,
            AccountRow.utility,
            AccountRow.payment_mode,
            _day(BillRow.period_start),
            _day(BillRow.period_end),
            _fen(BillRow.usage),
            BillRow.unit,
            _fen(PaymentRow.amount),
            _day(PaymentRow.paid_on),
        )
        .join(BillRow, BillRow.id == PaymentRow.bill_id)
        .join(AccountRow, AccountRow.id == BillRow.account_id)
        .join(SubjectRow, SubjectRow.id == AccountRow.subject_id)
        .where(
            SubjectRow.kind == kind,
            AccountRow.utility.in_(scope.utilities),
            BillRow.set_aside_by.is_(None),
            PaymentRow.paid_on <= scope.as_of,
            *scope.changed(PaymentRow.updated_at),
            *scope.only("payment", PaymentRow.payment_no),
        )
        .order_by(PaymentRow.id)
    )
    for no, name, code, id_type, utility, mode, start, end, usage, unit, fen, paid_on in _stream(
        connection, query
    ):
        who = [name, id_type_name(id_type), code] if natural else [name, code]
        unit_name, unit_code = units[utility]
        yield (
            f"payment:{no}",
            [
                *who,
                FEE_NAMES[utility],
                yes_no(mode == PaymentMode.PREPAID),
                start,
                end,
                quantity(usage),
                unit or "",
                yuan(fen),
                unit_name,
                unit_code,
                paid_on,
            ],
        )


def arrears(connection: Connection, scope: Scope, units: Units, *, natural: bool) -> Iterator[Row]:
    """Each account with bills past due and unpaid on the determination day: from the oldest
    such bill's first metered day to the newest one's last, with what is still owed. An
    incremental export takes the accounts whose bills or payments changed in its window."""
    paid = (
        select(func.coalesce(func.sum(_fen(PaymentRow.amount)), literal_column("0")))
        .where(PaymentRow.bill_id == BillRow.id, PaymentRow.paid_on <= scope.as_of)
        .scalar_subquery()
    )
    owed = (
        select(
            BillRow.account_id,
            (_fen(BillRow.amount) - paid).label("owed"),
            BillRow.period_start,
            BillRow.period_end,
        )
        .join(AccountRow, AccountRow.id == BillRow.account_id)
        .where(
            AccountRow.utility.in_(scope.utilities),
            BillRow.due_on < scope.as_of,
            BillRow.set_aside_by.is_(None),
        )
        .subquery()
    )
    per_account = (
        select(
            owed.c.account_id,
            func.sum(owed.c.owed).label("owed"),
            func.min(owed.c.period_start).label("first"),
            func.max(owed.c.period_end).label("last"),
        )
        .where(owed.c.owed > 0)
        .group_by(owed.c.account_id)
        .subquery()
    )
    kind = SubjectKind.NATURAL if natural else SubjectKind.LEGAL
    query = (
        select(
            AccountRow.account_no,
            SubjectRow.name,
            SubjectRow.code,
            SubjectRow.id_type,
            AccountRow.utility,
            per_account.c.first,
            per_account.c.last,
            per_account.c.owed,
        )
        .join(AccountRow, AccountRow.id == per_account.c.account_id)
        .join(SubjectRow, SubjectRow.id == AccountRow.subject_id)
        .where(SubjectRow.kind == kind, *scope.only("arrears", AccountRow.account_no))
        .order_by(AccountRow.id)
    )
    if scope.since is not None:
        query = query.where(AccountRow.id.in_(_accounts_with_changed_bills(scope)))
    for account_no, name, code, id_type, utility, first, last, fen in _stream(connection, query):
        unit_name, unit_code = units[utility]
        first_day, last_day = _as_dates(first), _as_dates(last)
        if natural:
            values = [name, id_type_name(id_type), code, ARREARS_NAMES[utility]]
            values += [iso(first_day), iso(last_day), yuan(int(fen)), unit_name]
        else:
            values = [name, code, ARREARS_NAMES[utility], iso(first_day), iso(last_day)]
            values += [yuan(int(fen)), unit_name, unit_code, iso(scope.as_of)]
        yield f"arrears:{account_no}:{scope.as_of.isoformat()}", values


def _as_dates(value: object) -> dt.date:
    """min()/max() of a date column come back as text on SQLite."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _accounts_with_changed_bills(scope: Scope) -> Select[tuple[int]]:
    bills = select(BillRow.account_id).where(*scope.changed(BillRow.updated_at))
    paid = (
        select(BillRow.account_id)
        .join(PaymentRow, PaymentRow.bill_id == BillRow.id)
        .where(*scope.changed(PaymentRow.updated_at))
    )
    return bills.union(paid)  # type: ignore[return-value]


def violations(connection: Connection, scope: Scope, _units: Units) -> Iterator[Row]:
    """违约用电: the power accounts' ``violation`` incidents. The canonical import carries one
    amount per incident, the total asked of the customer, so it fills both 违约用电金额 and
    违约用电总金额; energy, days and period are not in the billing exports and stay empty."""
    query = (
        select(
            IncidentRow.incident_no,
            AccountRow.account_no,
            SubjectRow.name,
            IncidentRow.occurred_on,
            _fen(IncidentRow.amount),
        )
        .join(AccountRow, AccountRow.id == IncidentRow.account_id)
        .join(SubjectRow, SubjectRow.id == AccountRow.subject_id)
        .where(
            IncidentRow.kind == "violation",
            AccountRow.utility == "power",
            AccountRow.utility.in_(scope.utilities),
            IncidentRow.set_aside_by.is_(None),
            IncidentRow.occurred_on <= scope.as_of,
            *scope.changed(IncidentRow.updated_at),
            *scope.only("incident", IncidentRow.incident_no),
        )
        .order_by(IncidentRow.id)
    )
    for no, account_no, name, occurred_on, fen in _stream(connection, query):
        amount = yuan(fen) if fen is not None else ""
        yield f"incident:{no}", [account_no, name, iso(occurred_on), amount, "", "", amount, ""]


def commitments(connection: Connection, scope: Scope, _units: Units) -> Iterator[Row]:
    """Every commitment accepted or decided (one still 已作出, not yet accepted, is not yet the
    utility's to report)."""
    c = CommitmentRow
    query = (
        select(
            c.code.label("commitment_code"),
            SubjectRow.name,
            SubjectRow.kind,
            SubjectRow.code,
            c.commitment_type,
            c.reason,
            c.content,
            c.liability,
            c.made_on,
            c.valid_until,
            c.status,
            c.unfulfilled_content,
            c.liability_pursued,
            c.status_on,
            c.accepting_unit,
            c.accepting_unit_code,
            c.determining_unit,
            c.determining_unit_code,
            c.disclosure,
            c.document_name,
        )
        .join(SubjectRow, SubjectRow.id == c.subject_id)
        .where(
            c.utility.in_(scope.utilities),
            c.status != CommitmentStatus.MADE,
            *scope.changed(c.updated_at),
            *scope.only("commitment", c.code),
        )
        .order_by(c.id)
    )
    for row in _stream(connection, query):
        yield (
            f"commitment:{row.commitment_code}",
            [
                row.commitment_code,
                row.name,
                SUBJECT_CATEGORY[SubjectKind(row.kind)],
                row.code,
                COMMITMENT_TYPE_ZH[CommitmentType(row.commitment_type)],
                row.reason,
                row.content,
                row.liability,
                iso(row.made_on),
                iso(row.valid_until) or "长期",
                COMMITMENT_STATUS_LABELS[CommitmentStatus(row.status)],
                row.unfulfilled_content or "",
                row.liability_pursued or "",
                iso(row.status_on),
                row.accepting_unit,
                row.accepting_unit_code,
                row.determining_unit,
                row.determining_unit_code,
                DISCLOSURE_ZH[Disclosure(row.disclosure)],
                row.document_name or "",
            ],
        )


def records(connection: Connection, scope: Scope, units: Units) -> Iterator[Row]:
    """Determined dishonesty records with their current state — published, expired,
    repaired, corrected or removed — so the platform can stop publishing what we stopped."""
    r = DishonestyRecordRow
    query = (
        select(
            r.id,
            r.utility,
            SubjectRow.name,
            SubjectRow.kind,
            SubjectRow.code,
            r.kind.label("record_kind"),
            r.record_class,
            r.rule_text,
            _fen(r.amount).label("fen"),
            r.determining_unit,
            r.determining_unit_code,
            r.determined_on,
            r.publish_from,
            r.publish_until,
            r.publication_stopped_on,
            r.status,
            r.updated_at,
        )
        .join(SubjectRow, SubjectRow.id == r.subject_id)
        .where(
            r.utility.in_(scope.utilities),
            r.determined_on.is_not(None),
            r.determined_on <= scope.as_of,
            *scope.changed(r.updated_at),
            *scope.only("record", r.id),
        )
        .order_by(r.id)
    )
    for row in _stream(connection, query):
        unit_name, unit_code = units[row.utility]
        yield (
            f"record:{row.id}",
            [
                f"SX{row.id:08d}",
                row.name,
                SUBJECT_CATEGORY[SubjectKind(row.kind)],
                row.code,
                KIND_LABELS[DishonestyKind(row.record_kind)],
                CLASS_LABELS[DishonestyClass(row.record_class)],
                row.rule_text,
                yuan(row.fen) if row.fen is not None else "",
                row.determining_unit or unit_name,
                row.determining_unit_code or unit_code,
                iso(row.determined_on),
                iso(row.publish_from),
                iso(row.publication_stopped_on or row.publish_until),
                RECORD_STATUS_LABELS[RecordStatus(row.status)],
                iso(_local_day(row.updated_at)),
            ],
        )


def _local_day(stamp: dt.datetime) -> dt.date:
    aware = stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
    return aware.astimezone(SHANGHAI).date()


Source = Callable[[Connection, Scope, Units], Iterator[Row]]

SOURCES: dict[str, Source] = {
    "payments": lambda c, s, u: payments(c, s, u, natural=False),
    "payments-natural": lambda c, s, u: payments(c, s, u, natural=True),
    "arrears": lambda c, s, u: arrears(c, s, u, natural=False),
    "arrears-natural": lambda c, s, u: arrears(c, s, u, natural=True),
    "violations": violations,
    "commitments": commitments,
    "records": records,
}
