"""Small keyword-only builders of credit files for rating tests.

A ``History`` starts clean (one prepaid account opened 2015-01-01 and, when a report source is
given, a clean public credit report from it issued 2026-01-01) so a test adds only the records its
rule is about.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from utilcredit.customers.model import (
    Account,
    Bill,
    Commitment,
    CommitmentStatus,
    CreditFile,
    CreditReport,
    Incident,
    IncidentKind,
    Payment,
    PaymentMode,
    Severity,
    Subject,
    SubjectKind,
    Utility,
)

AS_OF = dt.date(2026, 6, 30)
SUBJECT_CODE = "91320826MA1TEST00X"
OPENED = dt.date(2015, 1, 1)
ACCOUNT = "ACC-1"


@dataclass
class History:
    utility: Utility
    accounts: list[Account] = field(default_factory=list)
    bills: list[Bill] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    reports: list[CreditReport] = field(default_factory=list)
    commitments: list[Commitment] = field(default_factory=list)

    @classmethod
    def clean(cls, utility: Utility, report_source: str | None) -> History:
        history = cls(utility).account()
        if report_source is not None:
            history.report(report_source, dt.date(2026, 1, 1))
        return history

    def account(
        self,
        *,
        number: str = ACCOUNT,
        mode: PaymentMode = PaymentMode.PREPAID,
        opened: dt.date = OPENED,
    ) -> History:
        self.accounts = [a for a in self.accounts if a.account_no != number]
        self.accounts.append(Account(number, SUBJECT_CODE, self.utility, opened, mode))
        return self

    def bill(
        self,
        *,
        due: dt.date,
        amount: str = "100.00",
        paid: dict[dt.date, str] | None = None,
        account: str = ACCOUNT,
        set_aside_by: int | None = None,
    ) -> History:
        """A bill; ``paid`` maps payment dates to amounts (none: unpaid); ``set_aside_by``: the
        dishonesty record that set it aside."""
        bill_no = f"B{len(self.bills) + 1:03d}"
        payments = tuple(
            Payment(f"{bill_no}-P{i}", bill_no, day, Decimal(value))
            for i, (day, value) in enumerate(sorted((paid or {}).items()), start=1)
        )
        period_start = due - dt.timedelta(days=45)
        self.bills.append(
            Bill(
                bill_no,
                account,
                period_start,
                period_start + dt.timedelta(days=29),
                Decimal(amount),
                due,
                payments=payments,
                set_aside_by=set_aside_by,
            )
        )
        return self

    def late(self, *dues: dt.date) -> History:
        """Bills paid in full one day after their due date: one late payment each, no arrears."""
        for due in dues:
            self.bill(due=due, paid={due + dt.timedelta(days=1): "100.00"})
        return self

    def unpaid(self, due: dt.date) -> History:
        return self.bill(due=due)

    def incident(
        self,
        kind: IncidentKind,
        *days: dt.date,
        amount: str | None = None,
        asset_class: str | None = None,
        severity: Severity | None = None,
        account: str = ACCOUNT,
        set_aside_by: int | None = None,
    ) -> History:
        for day in days:
            number = f"I{len(self.incidents) + 1:03d}"
            self.incidents.append(
                Incident(
                    number,
                    account,
                    kind,
                    day,
                    amount=None if amount is None else Decimal(amount),
                    asset_class=asset_class,
                    severity=severity,
                    set_aside_by=set_aside_by,
                )
            )
        return self

    def report(
        self,
        source: str,
        issued_on: dt.date,
        *,
        dishonest: bool = False,
        serious_list: bool = False,
        rating: str | None = None,
    ) -> History:
        self.reports.append(
            CreditReport(SUBJECT_CODE, source, issued_on, dishonest, serious_list, rating)
        )
        return self

    def commitment(
        self,
        made_on: dt.date,
        *,
        valid_until: dt.date | None = None,
        status: CommitmentStatus = CommitmentStatus.IN_FORCE,
        status_on: dt.date | None = None,
        commitment_type: str = "approval_substitute",
    ) -> History:
        """A credit commitment to the utility (``status_on``: the made day unless given)."""
        code = f"CM{len(self.commitments) + 1:03d}"
        self.commitments.append(
            Commitment(code, commitment_type, made_on, valid_until, status, status_on or made_on)
        )
        return self

    def without_reports(self) -> History:
        self.reports = []
        return self

    def build(self) -> CreditFile:
        return CreditFile(
            subject=Subject(SUBJECT_CODE, SubjectKind.LEGAL, "测试用水单位"),
            utility=self.utility,
            accounts=tuple(self.accounts),
            bills=tuple(self.bills),
            incidents=tuple(self.incidents),
            credit_reports=tuple(self.reports),
            commitments=tuple(self.commitments),
        )


def days_before(day: dt.date, days: int) -> dt.date:
    return day - dt.timedelta(days=days)
