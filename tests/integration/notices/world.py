"""A small water utility whose customers a Lianshui run turns red, yellow or leaves green,
saved the way the command line saves a run (the run and its notices in one transaction)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import count
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from tests.support.channels import GatewayTestServer, SmtpTestServer
from utilcredit.config import NoticeSettings
from utilcredit.customers.tables import AccountRow, BillRow, SubjectRow
from utilcredit.localtime import SHANGHAI
from utilcredit.notices import planning
from utilcredit.notices.adapters import adapters_from
from utilcredit.notices.tables import NoticeRow
from utilcredit.policies.service import policy_at
from utilcredit.rating.runs import service as runs
from utilcredit.rating.runs.model import RunHeader
from utilcredit.rating.sql.engines import ReferenceEngine

AS_OF = dt.date(2026, 11, 20)
#: Planning at 10:00 in Shanghai: outside quiet hours, early enough for the day's cap.
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI).astimezone(dt.UTC)
LIANSHUI = policy_at("lianshui-water", AS_OF)
SENDING = planning.Sending.of(NoticeSettings(_env_file=None))
_numbers = count(1)


@dataclass
class World:
    engine: Engine
    subjects: dict[str, int] = field(default_factory=dict)

    def subject(
        self,
        name: str,
        *,
        arrears_months: float | None = None,
        phone: str | None = "13812345678",
        address: str | None = "涟水县安东北路1号",
        amount: str = "1200.00",
    ) -> int:
        """A customer with one water account; an unpaid bill due ``arrears_months`` before the
        as-of date makes it yellow (2–3 months) or red (3–6)."""
        n = next(_numbers)
        with self.engine.begin() as connection:
            subject_id = _insert(
                connection,
                SubjectRow,
                code=f"9132082600000{n:04d}X",
                kind="legal",
                name=name,
                phone=phone,
                address=address,
            )
            account_id = _insert(
                connection,
                AccountRow,
                account_no=f"LS-{n:05d}",
                subject_id=subject_id,
                utility="water",
                opened_on=dt.date(2015, 1, 1),
                payment_mode="postpaid",
            )
            if arrears_months is not None:
                due = AS_OF - dt.timedelta(days=round(arrears_months * 30.5))
                _insert(
                    connection,
                    BillRow,
                    bill_no=f"B-{n:05d}",
                    account_id=account_id,
                    period_start=due - dt.timedelta(days=45),
                    period_end=due - dt.timedelta(days=15),
                    amount=Decimal(amount),
                    due_on=due,
                )
        self.subjects[name] = subject_id
        return subject_id


def _insert(connection: Connection, table: Any, **values: object) -> int:
    return int(connection.execute(insert(table).values(**values).returning(table.id)).scalar_one())


def save_run(
    engine: Engine, as_of: dt.date = AS_OF, now: dt.datetime = NOW
) -> tuple[RunHeader, planning.PlanReport]:
    """Begin the run (commit); rate, write it and plan its notices (one commit)."""
    with engine.begin() as connection:
        run_id = runs.begin_run(connection, LIANSHUI, as_of, engine="reference", actor="test")
    with engine.begin() as connection:
        header = runs.write_run(connection, run_id, LIANSHUI, ReferenceEngine())
        report = planning.plan_run(connection, run_id, sending=SENDING, now=now)
    return header, report


def statuses(engine: Engine) -> dict[tuple[str, str], list[str]]:
    """(kind, channel) → the statuses of those notices."""
    found: dict[tuple[str, str], list[str]] = {}
    with engine.connect() as connection:
        for kind, channel, status in connection.execute(
            select(NoticeRow.kind, NoticeRow.channel, NoticeRow.status).order_by(NoticeRow.id)
        ):
            found.setdefault((kind, channel), []).append(status)
    return found


def channel_settings(
    gateway: GatewayTestServer | None, smtp: SmtpTestServer | None, **more: object
) -> NoticeSettings:
    values: dict[str, object] = {"_env_file": None}
    if gateway is not None:
        values |= {
            "sms_url": f"{gateway.url}/sms",
            "sms_token": gateway.token,
            "wechat_url": f"{gateway.url}/wechat",
            "wechat_token": gateway.token,
        }
    if smtp is not None:
        values |= {"smtp_host": "127.0.0.1", "smtp_port": smtp.port}
    return NoticeSettings(**(values | more))  # type: ignore[arg-type]


@contextmanager
def channels(settings: NoticeSettings) -> Iterator[dict]:  # type: ignore[type-arg]
    adapters = adapters_from(settings)
    try:
        yield adapters
    finally:
        for adapter in adapters.values():
            adapter.close()
