"""The per-source aggregates of the compiled query: one subquery per credit-file table.

:class:`SourceAggregates` reads each table the policy's leaf tests need once (accounts, bills
with their payments, incidents, credit reports, commitments), keeps only what existed at D, and
counts per subject with filtered aggregates: for each leaf, its counts and, under a trigger
clause, its evidence items. :mod:`~utilcredit.rating.sql.compiler` joins these subqueries into
one row per subject and decides the leaves, clauses, level and designations on it. The
semantics are the reference evaluator's (:mod:`utilcredit.rating.facts` and
:mod:`utilcredit.rating.evaluator`); the comments at each aggregate say which rule it applies.

The aggregates stay one class in one module: they share the plan, the vocabulary and the as-of
constants, and they are not independent (the incident aggregate reads the bill aggregate's
per-bill CTE to leave out reported late payments that a bill already shows).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Integer,
    String,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    null,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.sql.elements import ColumnElement

from utilcredit.customers.model import COMMITMENT_ENDED, IncidentKind, Utility
from utilcredit.customers.tables import (
    AccountRow,
    BillRow,
    CommitmentRow,
    CreditReportRow,
    IncidentRow,
    PaymentRow,
    SubjectRow,
)
from utilcredit.policies.model.conditions import (
    AllAccountsPrepaidTest,
    AmountBounds,
    ArrearsMonthsTest,
    CommitmentGivenTest,
    IncidentCountTest,
    LatePaymentCountTest,
    NoArrearsTest,
    NoOverdueInWindowTest,
    NotOnSeriousListTest,
    ReportNoDishonestyTest,
    ReportRatingTest,
    Window,
    parse_asset_class,
)
from utilcredit.policies.model.policy import Policy
from utilcredit.rating.dates import subtract_years
from utilcredit.rating.sql.constructs import string_agg
from utilcredit.rating.sql.decoder import FIELD, ITEM
from utilcredit.rating.sql.plan import Leaf, Plan
from utilcredit.rating.sql.snapshot import SNAPSHOT_BILLS
from utilcredit.rating.sql.vocabulary import Vocabulary

_S = SubjectRow.__table__
_A = AccountRow.__table__
_B = BillRow.__table__
_P = PaymentRow.__table__
_I = IncidentRow.__table__
_R = CreditReportRow.__table__
_C = CommitmentRow.__table__


def _fen(column: ColumnElement[Any]) -> ColumnElement[int]:
    """An ``amount_fen`` column as the plain integer it is stored as (no Decimal conversion)."""
    return type_coerce(column, BigInteger)


def _window_start(window: Window, as_of: dt.date) -> dt.date | None:
    """Exclusive lower bound of the window (``D − N years``), None for "since opened"."""
    return None if window.since_opened else subtract_years(as_of, window.years or 0)


def _fen_condition(column: ColumnElement[Any], bounds: AmountBounds) -> ColumnElement[bool]:
    """``bounds`` (CNY, Decimal) as integer comparisons on an ``amount_fen`` column, exactly."""
    conditions: list[ColumnElement[bool]] = []
    if bounds.lower is not None:
        value, inclusive = bounds.lower
        fen = value * 100
        # n ≥ x ⇔ n ≥ ⌈x⌉; n > x ⇔ n > ⌊x⌋ (n an integer)
        conditions.append(column >= math.ceil(fen) if inclusive else column > math.floor(fen))
    if bounds.upper is not None:
        value, inclusive = bounds.upper
        fen = value * 100
        conditions.append(column <= math.floor(fen) if inclusive else column < math.ceil(fen))
    return and_(*conditions)


def _in(column: ColumnElement[Any], values: Iterable[str]) -> ColumnElement[bool]:
    ordered = sorted(values)
    return column.in_(ordered) if ordered else false()


def as_text(expression: ColumnElement[Any]) -> ColumnElement[str]:
    return cast(expression, String)


def _item(*parts: ColumnElement[Any]) -> ColumnElement[str]:
    """One evidence item: the parts as text joined by :data:`FIELD`."""
    result: ColumnElement[str] = as_text(parts[0])
    for part in parts[1:]:
        result = result + literal(FIELD, String) + as_text(part)
    return result


def _agg(item: ColumnElement[str], when: ColumnElement[bool] | None = None) -> ColumnElement[str]:
    value = item if when is None else case((when, item), else_=null())
    return string_agg(value, cast(literal(ITEM, String), String))


def _count(when: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((when, 1), else_=0))


class SourceAggregates:
    """The subqueries of one compiled query that read the store, one per source table."""

    def __init__(
        self,
        policy: Policy,
        as_of: dt.date,
        vocabulary: Vocabulary,
        subject_ids: Sequence[int] | None,
        plan: Plan,
        settled_bills: bool = False,
        subject_range: tuple[int, int] | None = None,
    ) -> None:
        self.policy = policy
        self.settled_bills = settled_bills
        self.as_of = as_of
        self.day = literal(as_of, Date)
        self.vocabulary = vocabulary
        self.subject_ids = None if subject_ids is None else sorted(set(subject_ids))
        self.subject_range = subject_range
        self.plan = plan
        self.utility: Utility = policy.utility
        self.bill_facts: Any = None  # the per-bill CTE, once bill_aggregate has built it

    def date(self, value: dt.date) -> ColumnElement[Any]:
        return literal(value, Date)

    def of_subjects(self, subject_id: ColumnElement[int]) -> list[ColumnElement[bool]]:
        """The conditions that keep a source's rows to the rated subjects (none: all)."""
        if self.subject_ids is not None:
            return [subject_id.in_(self.subject_ids)]
        if self.subject_range is not None:
            first, stop = self.subject_range
            return [subject_id >= first, subject_id < stop]
        return []

    # -- the rated accounts and population -------------------------------------------------

    def accounts(self) -> Any:
        query = select(
            _A.c.id, _A.c.subject_id, _A.c.account_no, _A.c.opened_on, _A.c.payment_mode
        ).where(_A.c.utility == self.utility.value, *self.of_subjects(_A.c.subject_id))
        return query.subquery("acc")

    def population(self, accounts: Any) -> Any:
        query = select(_S.c.id, _S.c.code).where(*self.of_subjects(_S.c.id))
        if self.subject_ids is None:
            query = query.where(_S.c.id.in_(select(accounts.c.subject_id)))
        return query.subquery("pop")

    # -- per-source aggregates -------------------------------------------------------------

    def leaves_of(self, *types: type) -> list[Leaf]:
        return [leaf for leaf in self.plan.leaves if isinstance(leaf.test, types)]

    def account_aggregate(self) -> Any | None:
        leaves = self.leaves_of(AllAccountsPrepaidTest)
        if not leaves:
            return None
        postpaid = _A.c.payment_mode != "prepaid"
        columns: list[ColumnElement[Any]] = [
            _A.c.subject_id.label("subject_id"),
            func.count().label("acc_n"),
            _count(postpaid).label("acc_postpaid"),
        ]
        if any(leaf.in_trigger for leaf in leaves):
            flag = case((postpaid, "1"), else_="0")
            columns.append(_agg(_item(_A.c.id, flag, _A.c.account_no)).label("acc_ev"))
        query = select(*columns).where(
            _A.c.utility == self.utility.value,
            _A.c.opened_on <= self.day,
            *self.of_subjects(_A.c.subject_id),
        )
        return query.group_by(_A.c.subject_id).subquery("acc_agg")

    def bills_with_payments(self, accounts: Any) -> Any:
        """One row per bill that existed at D (due on or after its account opened), was due
        before D (a bill due on D is not late yet) and is not set aside, with what was paid by
        its due date, by D, and by the later of its due date and the start W of each
        ``no_overdue_in_window`` window (``paid_w_<window>``); payments dated after D do not
        exist yet."""
        bill = SNAPSHOT_BILLS if self.settled_bills else _B
        columns = [
            accounts.c.subject_id,
            accounts.c.account_no,
            bill.c.account_id,
            bill.c.id,
            bill.c.bill_no,
            bill.c.due_on,
        ]
        amount = _fen(bill.c.amount_fen)
        bills = bill.join(accounts, bill.c.account_id == accounts.c.id)
        existed = (
            bill.c.due_on >= accounts.c.opened_on,
            bill.c.due_on < self.day,
            bill.c.set_aside_by.is_(None),
        )
        cutoffs = {
            name: case((bill.c.due_on > self.date(start), bill.c.due_on), else_=self.date(start))
            for name, start in self.overdue_windows().items()
            if start is not None
        }
        if self.settled_bills:
            # the snapshot's bills carry their payment sums: settled by a day (≤ D) = paid in
            # full by that day
            return (
                select(
                    *columns,
                    amount.label("amount_fen"),
                    bill.c.paid_by_due,
                    case((bill.c.settled_on <= self.day, amount), else_=0).label("paid_by_day"),
                    *(
                        case((bill.c.settled_on <= cutoff, amount), else_=0).label(f"paid_w_{name}")
                        for name, cutoff in cutoffs.items()
                    ),
                )
                .select_from(bills)
                .where(*existed)
            )

        def paid_by(day: ColumnElement[Any]) -> ColumnElement[Any]:
            return func.coalesce(
                func.sum(case((_P.c.paid_on <= day, _fen(_P.c.amount_fen)), else_=0)), 0
            )

        paid_by_day = func.coalesce(func.sum(_fen(_P.c.amount_fen)), 0)
        return (
            select(
                *columns,
                amount.label("amount_fen"),
                paid_by(bill.c.due_on).label("paid_by_due"),
                paid_by_day.label("paid_by_day"),
                *(paid_by(cutoff).label(f"paid_w_{name}") for name, cutoff in cutoffs.items()),
            )
            .select_from(
                bills.outerjoin(_P, and_(_P.c.bill_id == bill.c.id, _P.c.paid_on <= self.day))
            )
            .where(*existed)
            .group_by(*columns, amount)
        )

    def bill_aggregate(self, accounts: Any) -> Any | None:
        late_leaves = self.leaves_of(LatePaymentCountTest, NoOverdueInWindowTest)
        arrears_leaves = self.leaves_of(ArrearsMonthsTest, NoArrearsTest)
        if not late_leaves and not arrears_leaves:
            return None
        bills = (
            self.bills_with_payments(accounts)
            # read twice (per-subject sums, and the late days that de-duplicate reported late
            # payments), computed once: SQLite and PostgreSQL materialize a CTE used twice
            .cte("bill_facts")
            .prefix_with("MATERIALIZED", dialect="duckdb")
        )
        self.bill_facts = bills
        late = bills.c.paid_by_due < bills.c.amount_fen
        unpaid = bills.c.paid_by_day < bills.c.amount_fen
        columns: list[ColumnElement[Any]] = [bills.c.subject_id.label("subject_id")]
        if arrears_leaves:
            columns.append(_count(unpaid).label("unpaid_n"))
            columns.append(
                func.min(case((unpaid, bills.c.due_on), else_=null())).label("unpaid_oldest")
            )
            if any(leaf.in_trigger for leaf in arrears_leaves):
                columns.append(
                    _agg(_item(bills.c.due_on, bills.c.bill_no), unpaid).label("unpaid_ev")
                )
        for window_name, start in self.late_windows().items():
            in_window = late if start is None else and_(late, bills.c.due_on > self.date(start))
            columns.append(_count(in_window).label(f"late_b_{window_name}"))
            if self.late_window_in_trigger(window_name):
                item = _item(
                    bills.c.due_on,
                    bills.c.account_no,
                    literal("B", String),
                    bills.c.id,
                    bills.c.bill_no,
                )
                columns.append(_agg(item, in_window).label(f"late_b_ev_{window_name}"))
        for window_name, start in self.overdue_windows().items():
            # overdue at some moment of (W, D]: not settled by max(due date, W); "since opened"
            # has no W: settled late, i.e. a late payment
            paid = bills.c.paid_by_due if start is None else bills.c[f"paid_w_{window_name}"]
            overdue = paid < bills.c.amount_fen
            columns.append(_count(overdue).label(f"overdue_b_{window_name}"))
        return select(*columns).group_by(bills.c.subject_id).subquery("bill_agg")

    def _windows_of(
        self, kind: type[LatePaymentCountTest | NoOverdueInWindowTest]
    ) -> dict[str, dt.date | None]:
        windows: dict[str, dt.date | None] = {}
        for leaf in self.leaves_of(kind):
            assert isinstance(leaf.test, LatePaymentCountTest | NoOverdueInWindowTest)
            windows[self.window_name(leaf.test.window)] = _window_start(
                leaf.test.window, self.as_of
            )
        return windows

    def late_windows(self) -> dict[str, dt.date | None]:
        """The windows of ``late_payment_count`` tests, by name: their start (None: all)."""
        return self._windows_of(LatePaymentCountTest)

    def overdue_windows(self) -> dict[str, dt.date | None]:
        """The windows of ``no_overdue_in_window`` tests, by name."""
        return self._windows_of(NoOverdueInWindowTest)

    def reported_windows(self) -> dict[str, dt.date | None]:
        """The windows in which reported late payments (incidents) are counted: both kinds."""
        return {**self.late_windows(), **self.overdue_windows()}

    def window_name(self, window: Window) -> str:
        return "all" if window.since_opened else f"y{window.years}"

    def late_window_in_trigger(self, name: str) -> bool:
        return any(
            leaf.in_trigger
            for leaf in self.leaves_of(LatePaymentCountTest)
            if isinstance(leaf.test, LatePaymentCountTest)
            and self.window_name(leaf.test.window) == name
        )

    def incident_filters(
        self, test: IncidentCountTest, rows: Any
    ) -> list[tuple[ColumnElement[bool], ColumnElement[bool]]]:
        """(definitely true, undecided) conditions of each filter of the test."""
        filters: list[tuple[ColumnElement[bool], ColumnElement[bool]]] = []
        if test.amount is not None:
            filters.append(
                (
                    and_(
                        rows.c.amount_fen.is_not(None),
                        _fen_condition(rows.c.amount_fen, test.amount),
                    ),
                    rows.c.amount_fen.is_(None),
                )
            )
        if test.asset_class is not None:
            asset_range = test.asset_class
            known = {v for v in self.vocabulary.asset_classes if parse_asset_class(v) is not None}
            matching = {v for v in known if asset_range.contains(v)}
            unreadable = self.vocabulary.asset_classes - known
            filters.append(
                (
                    _in(rows.c.asset_class, matching),
                    or_(rows.c.asset_class.is_(None), _in(rows.c.asset_class, unreadable)),
                )
            )
        if test.severity is not None:
            filters.append(
                (
                    rows.c.severity == test.severity.value,
                    or_(rows.c.severity.is_(None), rows.c.severity == ""),
                )
            )
        return filters

    def incident_aggregate(self, accounts: Any) -> Any | None:
        count_leaves = self.leaves_of(IncidentCountTest)
        late_windows = self.reported_windows()
        if not count_leaves and not late_windows:
            return None
        # Incidents that existed at D: dated on or before D (whenever their account opened: the
        # subject's whole history counts) and not set aside.
        source: Any = _I.join(accounts, _I.c.account_id == accounts.c.id)
        columns: list[ColumnElement[Any]] = [
            accounts.c.subject_id,
            accounts.c.account_no,
            _I.c.id,
            _I.c.incident_no,
            _I.c.kind,
            _I.c.occurred_on,
            _fen(_I.c.amount_fen).label("amount_fen"),
            _I.c.asset_class,
            _I.c.severity,
        ]
        if late_windows:
            # A reported late payment on the same account and date as a bill-derived one is the
            # same event seen twice (facts._reported_late_payments).
            facts = self.bill_facts
            late_days = (
                select(facts.c.account_id, facts.c.due_on)
                .where(facts.c.paid_by_due < facts.c.amount_fen)
                .distinct()
                .subquery("late_bill_days")
            )
            reported = _I.c.kind == IncidentKind.LATE_PAYMENT.value
            # A plain equi-join (``reported`` is tested in the CASE below, not in ON): with it in
            # ON, DuckDB falls back to a nested-loop join, minutes at provincial scale. The late
            # days are distinct, so the join matches each incident at most once either way.
            source = source.outerjoin(
                late_days,
                and_(
                    late_days.c.account_id == _I.c.account_id,
                    late_days.c.due_on == _I.c.occurred_on,
                ),
            )
            columns.append(
                case((and_(reported, late_days.c.account_id.is_(None)), 1), else_=0).label(
                    "late_counted"
                )
            )
        rows = (
            select(*columns)
            .select_from(source)
            .where(_I.c.occurred_on <= self.day, _I.c.set_aside_by.is_(None))
            .subquery("incident_facts")
        )
        aggregates: list[ColumnElement[Any]] = [rows.c.subject_id.label("subject_id")]
        for leaf in count_leaves:
            test = leaf.test
            assert isinstance(test, IncidentCountTest)
            base: list[ColumnElement[bool]] = [rows.c.kind.in_(sorted(k.value for k in test.kinds))]
            start = _window_start(test.window, self.as_of)
            if start is not None:
                base.append(rows.c.occurred_on > self.date(start))
            filters = self.incident_filters(test, rows)
            matched = and_(*base, *(sure for sure, _ in filters))
            counted = matched
            aggregates.append(_count(matched).label(f"n_{leaf.number}"))
            if filters:
                undecided = and_(
                    *base,
                    *(or_(sure, unknown) for sure, unknown in filters),
                    or_(*(unknown for _, unknown in filters)),
                )
                counted = or_(matched, undecided)
                aggregates.append(_count(undecided).label(f"u_{leaf.number}"))
            if leaf.in_trigger:
                flag = case((matched, "0"), else_="1")
                item = _item(flag, rows.c.occurred_on, rows.c.id, rows.c.incident_no)
                aggregates.append(_agg(item, counted).label(f"ev_{leaf.number}"))
        for window_name, start in late_windows.items():
            counted = rows.c.late_counted == 1
            if start is not None:
                counted = and_(counted, rows.c.occurred_on > self.date(start))
            aggregates.append(_count(counted).label(f"late_i_{window_name}"))
            if self.late_window_in_trigger(window_name):
                item = _item(
                    rows.c.occurred_on,
                    rows.c.account_no,
                    literal("I", String),
                    rows.c.id,
                    rows.c.incident_no,
                )
                aggregates.append(_agg(item, counted).label(f"late_i_ev_{window_name}"))
        return select(*aggregates).group_by(rows.c.subject_id).subquery("incident_agg")

    def report_aggregate(self) -> Any | None:
        """Per subject, its latest trusted reports (issued on the newest date ≤ D among those of
        a trusted source): how many, how many show dishonesty or the serious list, how many
        carry a grade (``rating`` neither NULL nor empty) and, per ``report_rating`` leaf, how
        many of those graded lie outside its grades."""
        leaves = self.leaves_of(ReportNoDishonestyTest, NotOnSeriousListTest, ReportRatingTest)
        if not leaves:
            return None
        rating_leaves = [leaf for leaf in leaves if isinstance(leaf.test, ReportRatingTest)]
        trusted = {source.casefold() for source in self.policy.report_sources}
        sources = {s for s in self.vocabulary.report_sources if s.casefold() in trusted}
        reports = (
            select(
                _R.c.subject_id,
                _R.c.id,
                _R.c.source,
                _R.c.issued_on,
                cast(_R.c.has_dishonesty, Integer).label("dishonest"),
                cast(_R.c.on_serious_list, Integer).label("serious"),
                _R.c.rating,
                func.max(_R.c.issued_on).over(partition_by=_R.c.subject_id).label("latest"),
            )
            .where(
                _in(_R.c.source, sources),
                _R.c.issued_on <= self.day,
                *self.of_subjects(_R.c.subject_id),
            )
            .subquery("trusted_reports")
        )
        columns: list[ColumnElement[Any]] = [
            reports.c.subject_id.label("subject_id"),
            func.count().label("rep_n"),
            _count(reports.c.dishonest == 1).label("rep_dishonest"),
            _count(reports.c.serious == 1).label("rep_serious"),
        ]
        if any(leaf.in_trigger for leaf in leaves if not isinstance(leaf.test, ReportRatingTest)):
            item = _item(reports.c.id, reports.c.source)
            columns.append(_agg(item).label("rep_ev"))
        if rating_leaves:
            # evaluator._report_rating: a report grades when its rating is truthy in Python
            graded = and_(reports.c.rating.is_not(None), reports.c.rating != "")
            columns.append(_count(graded).label("rep_graded"))
            for leaf in rating_leaves:
                assert isinstance(leaf.test, ReportRatingTest)
                outside = and_(graded, reports.c.rating.not_in(sorted(set(leaf.test.grades))))
                columns.append(_count(outside).label(f"rep_outside_{leaf.number}"))
            if any(leaf.in_trigger for leaf in rating_leaves):
                item = _item(reports.c.id, reports.c.source)
                columns.append(_agg(item, graded).label("rep_graded_ev"))
        return (
            select(*columns)
            .where(reports.c.issued_on == reports.c.latest)
            .group_by(reports.c.subject_id)
            .subquery("report_agg")
        )

    def commitment_aggregate(self) -> Any | None:
        """Per subject, its commitments to the policy's utility that stand at D
        (``customers.model.Commitment.stands_on``: made on or before D, valid through D, not
        breached, expired or withdrawn on or before D), per ``commitment_given`` leaf (its
        commitment types)."""
        leaves = self.leaves_of(CommitmentGivenTest)
        if not leaves:
            return None
        ended = sorted(status.value for status in COMMITMENT_ENDED)
        standing = and_(
            _C.c.made_on <= self.day,
            or_(_C.c.valid_until.is_(None), _C.c.valid_until >= self.day),
            or_(_C.c.status.not_in(ended), _C.c.status_on > self.day),
        )
        columns: list[ColumnElement[Any]] = [_C.c.subject_id.label("subject_id")]
        for leaf in leaves:
            test = leaf.test
            assert isinstance(test, CommitmentGivenTest)
            counted = standing
            if test.types:
                counted = and_(standing, _C.c.commitment_type.in_(sorted(set(test.types))))
            columns.append(_count(counted).label(f"com_n_{leaf.number}"))
            if leaf.in_trigger:
                item = _item(_C.c.made_on, _C.c.id, _C.c.code)
                columns.append(_agg(item, counted).label(f"com_ev_{leaf.number}"))
        query = select(*columns).where(
            _C.c.utility == self.utility.value,
            _C.c.made_on <= self.day,
            *self.of_subjects(_C.c.subject_id),
        )
        return query.group_by(_C.c.subject_id).subquery("commitment_agg")
