"""A small credit file written straight into the store, and the users who work on records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import count

from sqlalchemy import Connection, Engine, insert, select

from utilcredit.access import service as access
from utilcredit.access.model import Principal, Role
from utilcredit.customers.model import Utility
from utilcredit.customers.tables import (
    AccountRow,
    BillRow,
    IncidentRow,
    PaymentRow,
    ReminderRow,
    SubjectRow,
)
from utilcredit.workdays import service as workdays
from utilcredit.workdays.model import UnknownCalendarYearError

PASSWORD = "Tiger-Lily-Harbour-42"
_numbers = count(1)


@dataclass
class Account:
    number: str
    utility: str = "water"
    opened: dt.date = dt.date(2015, 1, 1)


@dataclass
class Store:
    """Builds one subject's file; each method returns the new row's id."""

    connection: Connection
    code: str = "91440200MA4UTEST1X"
    subject_id: int = 0
    accounts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.subject_id = int(
            self.connection.execute(
                insert(SubjectRow)
                .values(code=self.code, kind="legal", name="韶关示范实业有限公司", legal_rep="张三")
                .returning(SubjectRow.id)
            ).scalar_one()
        )

    def account(
        self, number: str, utility: str = "water", opened: dt.date = dt.date(2015, 1, 1)
    ) -> int:
        account_id = int(
            self.connection.execute(
                insert(AccountRow)
                .values(
                    account_no=number,
                    subject_id=self.subject_id,
                    utility=utility,
                    opened_on=opened,
                    payment_mode="postpaid",
                )
                .returning(AccountRow.id)
            ).scalar_one()
        )
        self.accounts[number] = account_id
        return account_id

    def bill(
        self, account: str, due: dt.date, amount: str, paid: tuple[tuple[dt.date, str], ...] = ()
    ) -> int:
        number = f"B{next(_numbers):05d}"
        bill_id = int(
            self.connection.execute(
                insert(BillRow)
                .values(
                    bill_no=number,
                    account_id=self.accounts[account],
                    period_start=due - dt.timedelta(days=45),
                    period_end=due - dt.timedelta(days=15),
                    amount=Decimal(amount),
                    due_on=due,
                )
                .returning(BillRow.id)
            ).scalar_one()
        )
        for day, value in paid:
            self.pay(bill_id, day, value)
        return bill_id

    def pay(self, bill_id: int, day: dt.date, amount: str) -> None:
        pay(self.connection, bill_id, day, amount)

    def reminder(self, account: str, sent: dt.date) -> int:
        return int(
            self.connection.execute(
                insert(ReminderRow)
                .values(
                    reminder_no=f"R{next(_numbers):05d}",
                    account_id=self.accounts[account],
                    sent_on=sent,
                    channel="letter",
                )
                .returning(ReminderRow.id)
            ).scalar_one()
        )

    def incident(
        self,
        account: str,
        kind: str,
        day: dt.date,
        amount: str | None = None,
        severity: str | None = None,
    ) -> int:
        return int(
            self.connection.execute(
                insert(IncidentRow)
                .values(
                    incident_no=f"I{next(_numbers):05d}",
                    account_id=self.accounts[account],
                    kind=kind,
                    occurred_on=day,
                    amount=None if amount is None else Decimal(amount),
                    severity=severity,
                )
                .returning(IncidentRow.id)
            ).scalar_one()
        )


def pay(connection: Connection, bill_id: int, day: dt.date, amount: str) -> None:
    connection.execute(
        insert(PaymentRow).values(
            payment_no=f"P{next(_numbers):05d}",
            bill_id=bill_id,
            paid_on=day,
            amount=Decimal(amount),
        )
    )


def set_aside_of(
    connection: Connection, table: type[BillRow] | type[IncidentRow], row_id: int
) -> int | None:
    value = connection.execute(select(table.set_aside_by).where(table.id == row_id)).scalar_one()
    return None if value is None else int(value)


@dataclass(frozen=True)
class Staff:
    operator: Principal
    reviewer: Principal
    power_reviewer: Principal
    credit_office: Principal
    dual: Principal  # operator and reviewer at once: may file and decide, never the same case


def staff(engine: Engine) -> Staff:
    """An operator and a reviewer of the water utility, a power reviewer, the credit office."""
    made = {}
    with engine.begin() as connection:
        for name, role, utilities in (
            ("op", Role.OPERATOR, {Utility.WATER}),
            ("rev", Role.REVIEWER, {Utility.WATER}),
            ("prev", Role.REVIEWER, {Utility.POWER}),
            ("office", Role.CREDIT_OFFICE, set(Utility)),
            ("dual", Role.REVIEWER, {Utility.WATER}),
        ):
            user_id = access.create_user(
                connection,
                username=name,
                display_name=None,
                password=PASSWORD,
                roles=frozenset({role, Role.OPERATOR} if name == "dual" else {role}),
                utilities=frozenset(utilities),
                actor="test",
            )
            principal = access.principal_of(connection, user_id)
            assert principal is not None
            made[name] = principal
    return Staff(made["op"], made["rev"], made["prev"], made["office"], made["dual"])


def calendar_year_ahead(engine: Engine, day: dt.date) -> None:
    """Deadlines counted late in December reach a year the calendar library may not know yet:
    load a stand-in schedule for it (New Year's Day only) so that tests acting "today" run on
    any day of the year."""
    ahead = day + dt.timedelta(days=60)
    with engine.begin() as connection:
        try:
            workdays.calendar(connection).require_year(ahead.year)
        except UnknownCalendarYearError:
            schedule = f"date,kind,name\n{ahead.year}-01-01,holiday,元旦\n".encode()
            workdays.load(connection, schedule, source="tests", actor="tests")
