"""The SQL of incremental re-rating: which subjects' ratings may differ between two as-of dates.

A rating run at a new as-of date re-rates only the subjects whose rating may have moved since the
current run and carries the others over (:func:`utilcredit.rating.runs.service.plan_rerate`).
With the data unchanged, time alone moves a rating only where a record's date crosses one of the
rating semantics' date boundaries (:mod:`utilcredit.rating.evaluator`), and these queries find
the subjects with such a record. Between as-of dates ``lo < hi``:

* a record dated in ``(lo, hi]`` comes into existence (records after D do not exist at D) and
  enters every window; an account opened in ``(lo, hi]`` comes into existence with its bills
  (incidents count by their own date, whenever their account opened);
* a record counts in "within N years" at D iff ``D − N years < date ≤ D``, so only records dated
  in ``(lo − N years, hi − N years]`` leave a window (the ``leaving`` ranges);
* a bill settled late counts in ``no_overdue_in_window`` over N years while its settlement day
  is after D − N years: only payments dated in the ``settlements_leaving`` ranges move it;
* a bill due in ``[lo, hi)`` becomes overdue (a bill due on D is not late yet): a late payment,
  arrears;
* a credit commitment stands at D from its ``made_on`` through its ``valid_until`` until a
  breach, expiry or withdrawal dated ``status_on`` (``customers.model.Commitment.stands_on``):
  it starts to stand when made in ``(lo, hi]``, stops when valid until a day in ``[lo, hi)``
  or ended on a day in ``(lo, hi]`` (asked for with ``commitments``, when the policy tests
  them);
* arrears months of the oldest bill unpaid at ``hi`` may cross a monthly anniversary: the
  caller compares whole months at both dates for :func:`oldest_unpaid_due`'s answer (the oldest
  unpaid bill is the same at both dates unless a payment or a due date lies between them, which
  the first query catches).

Marks of the dishonesty-record register (``set_aside_by``) are data changes, not dates: they
move ``updated_at``, which re-rating's "changed since the watermark" query catches; the oldest
unpaid bill leaves set-aside bills out, as every engine does.

So :func:`moved_by_dates` together with the arrears check is a superset of the subjects whose
rating (level, every clause's status, value and evidence) differs between ``lo`` and ``hi``;
``tests/integration/rating_sql/test_incremental.py`` holds it to the reference evaluator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, and_, exists, func, literal, or_, select, union
from sqlalchemy.sql import CompoundSelect, Select

from utilcredit.customers.model import COMMITMENT_ENDED
from utilcredit.customers.tables import (
    AccountRow,
    BillRow,
    CommitmentRow,
    CreditReportRow,
    IncidentRow,
    PaymentRow,
)


def moved_by_dates(
    utility: str,
    entering: tuple[dt.date, dt.date],
    leaving: Sequence[tuple[dt.date, dt.date]],
    settlements_leaving: Sequence[tuple[dt.date, dt.date]] = (),
    *,
    commitments: bool = False,
) -> CompoundSelect[Any]:
    """Subject ids of a utility with a record whose date lies in ``entering`` (lo, hi] or in one
    of the ``leaving`` ranges (lo, hi]; bills by due date with ``lo`` included (a bill due on lo
    becomes late the day after), payments (also in the ``settlements_leaving`` ranges), reports
    and account openings by their own date; with ``commitments``, the subjects with a commitment
    to the utility made in (lo, hi], valid until a day in [lo, hi), or breached, expired or
    withdrawn on a day in (lo, hi]."""
    lo, hi = entering

    def within(
        column: Any,
        *,
        include_lo: bool = False,
        ranges: Sequence[tuple[dt.date, dt.date]] = leaving,
    ) -> Any:
        clause = and_(column >= lo if include_lo else column > lo, column <= hi)
        leaves = [and_(column > a, column <= b) for a, b in ranges if a < b]
        return or_(clause, *leaves)

    accounts = AccountRow.utility == utility
    parts: list[Any] = []
    if commitments:
        ended = sorted(status.value for status in COMMITMENT_ENDED)
        parts.append(
            select(CommitmentRow.subject_id).where(
                CommitmentRow.utility == utility,
                exists().where(AccountRow.subject_id == CommitmentRow.subject_id, accounts),
                or_(
                    and_(CommitmentRow.made_on > lo, CommitmentRow.made_on <= hi),
                    and_(CommitmentRow.valid_until >= lo, CommitmentRow.valid_until < hi),
                    and_(
                        CommitmentRow.status.in_(ended),
                        CommitmentRow.status_on > lo,
                        CommitmentRow.status_on <= hi,
                    ),
                ),
            )
        )
    return union(
        select(AccountRow.subject_id).where(
            accounts, AccountRow.opened_on > lo, AccountRow.opened_on <= hi
        ),
        select(AccountRow.subject_id)
        .join(BillRow, BillRow.account_id == AccountRow.id)
        .where(accounts, within(BillRow.due_on, include_lo=True)),
        select(AccountRow.subject_id)
        .join(BillRow, BillRow.account_id == AccountRow.id)
        .join(PaymentRow, PaymentRow.bill_id == BillRow.id)
        .where(accounts, within(PaymentRow.paid_on, ranges=settlements_leaving)),
        select(AccountRow.subject_id)
        .join(IncidentRow, IncidentRow.account_id == AccountRow.id)
        .where(accounts, within(IncidentRow.occurred_on)),
        select(CreditReportRow.subject_id).where(
            CreditReportRow.issued_on > lo,
            CreditReportRow.issued_on <= hi,
            exists().where(AccountRow.subject_id == CreditReportRow.subject_id, accounts),
        ),
        *parts,
    )


def oldest_unpaid_due(utility: str, at: dt.date) -> Select[int, dt.date]:
    """``(subject id, due date)`` per subject of a utility: the due date of its oldest bill
    overdue and unpaid at ``at`` (payments dated ≤ at sum to less than the amount), as the
    evaluator counts arrears."""
    paid = (
        select(PaymentRow.bill_id, func.sum(PaymentRow.amount).label("paid"))
        .where(PaymentRow.paid_on <= at)
        .group_by(PaymentRow.bill_id)
        .subquery()
    )
    return (
        select(AccountRow.subject_id, func.min(BillRow.due_on))
        .join(BillRow, BillRow.account_id == AccountRow.id)
        .outerjoin(paid, paid.c.bill_id == BillRow.id)
        .where(
            AccountRow.utility == utility,
            # as the evaluator: accounts opened by then, bills not dated before their opening,
            # none set aside
            AccountRow.opened_on <= at,
            BillRow.due_on >= AccountRow.opened_on,
            BillRow.due_on < at,
            BillRow.set_aside_by.is_(None),
            func.coalesce(paid.c.paid, literal(0, BigInteger)) < BillRow.amount,
        )
        .group_by(AccountRow.subject_id)
    )
