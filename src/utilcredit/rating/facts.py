"""The credit file reduced to what existed at D: the facts every test of an evaluation reads.

Computed once per evaluation by :func:`collect_facts` (pure): accounts opened by D; incidents
and bills that existed at D, without those set aside by the dishonesty-record register; the late
payments (bill-derived, plus those the billing system reports that are not the same event); the
bills overdue and unpaid at D, oldest first; the trusted credit reports issued by D; the
commitments made by D. The rules are those of SPEC 3, listed in :mod:`utilcredit.rating.evaluator`,
which runs the tests on these facts. :class:`ApplicationFacts` adds what an eligibility check reads
of a credit-based application.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from utilcredit.customers.model import (
    Account,
    Bill,
    Commitment,
    CreditFile,
    CreditReport,
    Incident,
    IncidentKind,
    SubjectKind,
)
from utilcredit.policies.model.credit_application import AddressType
from utilcredit.policies.model.policy import Policy
from utilcredit.rating.results import Evidence, EvidenceKind


@dataclass(frozen=True, slots=True)
class LatePayment:
    account_no: str
    on: dt.date  # the due date (bill-derived) or the incident date (reported directly)
    bill_no: str | None = None
    incident_no: str | None = None

    def evidence(self) -> Evidence:
        if self.bill_no is not None:
            return Evidence(EvidenceKind.BILL, self.bill_no, self.on, "到期未付清")
        return Evidence(EvidenceKind.INCIDENT, self.incident_no or "", self.on, "营收系统报送")


@dataclass(frozen=True, slots=True)
class UnpaidBill:
    bill: Bill
    outstanding: Decimal


@dataclass(frozen=True, slots=True)
class Facts:
    as_of: dt.date
    accounts: tuple[Account, ...]
    incidents: tuple[Incident, ...]
    late_payments: tuple[LatePayment, ...]
    unpaid_overdue: tuple[UnpaidBill, ...]  # oldest due date first
    reports: tuple[CreditReport, ...]
    bills: tuple[Bill, ...] = ()  # that existed at D (due ≤ D), none set aside
    commitments: tuple[Commitment, ...] = ()
    application: ApplicationFacts | None = None  # only when checking a credit-based application


@dataclass(frozen=True, slots=True)
class ApplicationFacts:
    """What an eligibility check reads of the application beside the credit file (D = applied on)."""

    subject_code: str
    subject_kind: SubjectKind
    founded_on: dt.date | None
    address: str
    address_type: AddressType | None
    zone: str | None  # the matched pilot zone ("湛江经济技术开发区 石化产业园区"), None outside


def _opened_on_by_account(credit_file: CreditFile) -> dict[str, dt.date]:
    return {account.account_no: account.opened_on for account in credit_file.accounts}


def _existed(account_no: str, on: dt.date, opened: dict[str, dt.date], as_of: dt.date) -> bool:
    """Did a bill of this account due ``on`` exist at D? Unknown accounts are trusted."""
    if on > as_of:
        return False
    opened_on = opened.get(account_no)
    return opened_on is None or (opened_on <= as_of and on >= opened_on)


def paid_by(bill: Bill, day: dt.date) -> Decimal:
    return sum((p.amount for p in bill.payments if p.paid_on <= day), Decimal(0))


def _bill_late_payments(bills: Iterable[Bill], as_of: dt.date) -> list[LatePayment]:
    return [
        LatePayment(bill.account_no, bill.due_on, bill_no=bill.bill_no)
        for bill in bills
        if bill.due_on < as_of and paid_by(bill, bill.due_on) < bill.amount
    ]


def _reported_late_payments(
    incidents: Iterable[Incident], already: set[tuple[str, dt.date]]
) -> list[LatePayment]:
    # Same account and date as a bill-derived late payment: the billing system reporting the same
    # event the bills already show, so it is not counted twice.
    return [
        LatePayment(incident.account_no, incident.occurred_on, incident_no=incident.incident_no)
        for incident in incidents
        if incident.kind == IncidentKind.LATE_PAYMENT
        and (incident.account_no, incident.occurred_on) not in already
    ]


def collect_facts(credit_file: CreditFile, policy: Policy, as_of: dt.date) -> Facts:
    opened = _opened_on_by_account(credit_file)
    accounts = tuple(a for a in credit_file.accounts if a.opened_on <= as_of)
    # Set-aside rows are left out first, as if absent (a set-aside bill no longer makes a
    # reported late payment on its due date a duplicate). Incidents are the subject's whatever
    # the account's opening date.
    incidents = tuple(
        i for i in credit_file.incidents if i.set_aside_by is None and i.occurred_on <= as_of
    )
    bills = [
        b
        for b in credit_file.bills
        if b.set_aside_by is None and _existed(b.account_no, b.due_on, opened, as_of)
    ]
    from_bills = _bill_late_payments(bills, as_of)
    from_incidents = _reported_late_payments(
        incidents, {(lp.account_no, lp.on) for lp in from_bills}
    )
    late_payments = tuple(
        sorted(from_bills + from_incidents, key=lambda lp: (lp.on, lp.account_no))
    )
    unpaid = tuple(
        sorted(
            (
                UnpaidBill(bill, bill.amount - paid_by(bill, as_of))
                for bill in bills
                if bill.due_on < as_of and paid_by(bill, as_of) < bill.amount
            ),
            key=lambda u: (u.bill.due_on, u.bill.bill_no),
        )
    )
    trusted = {source.casefold() for source in policy.report_sources}
    reports = tuple(
        r
        for r in credit_file.credit_reports
        if r.source.casefold() in trusted and r.issued_on <= as_of
    )
    commitments = tuple(c for c in credit_file.commitments if c.made_on <= as_of)
    return Facts(
        as_of, accounts, incidents, late_payments, unpaid, reports, tuple(bills), commitments
    )
