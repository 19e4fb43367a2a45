"""What the round-trip tests share: the credit file of ``world.py`` with a second payment, a
local platform, and exports, sends and loads each in a transaction of its own."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, insert, select

from tests.integration.exchange.world import AS_OF, UNITS
from utilcredit.customers.tables import BillRow, PaymentRow
from utilcredit.exchange import service
from utilcredit.exchange.model import Batch
from utilcredit.exchange.service import ExportRequest

TOKEN = "platform-token"


def add_second_payment(engine: Engine) -> None:
    with engine.begin() as connection:
        bill_id = connection.execute(
            select(BillRow.id).where(BillRow.bill_no == "B-2")
        ).scalar_one()
        connection.execute(
            insert(PaymentRow).values(
                payment_no="PAY-3",
                bill_id=bill_id,
                paid_on=dt.date(2026, 11, 20),
                amount=Decimal("1.00"),
            )
        )


def soon(seconds: int = 5) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)


def export(
    engine: Engine,
    root: Path,
    kind: str,
    *,
    now: dt.datetime | None = None,
    since_last: bool = False,
    corrections: bool = False,
) -> Batch:
    request = ExportRequest(
        catalog="zhanjiang-2022",
        kind=kind,
        as_of=AS_OF,
        utilities=[],
        since_last=since_last,
        corrections=corrections,
    )
    with engine.begin() as connection:
        return service.export(connection, request, units=UNITS, root=root, now=now or soon()).batch


def batch(engine: Engine, batch_id: int) -> Batch:
    with engine.connect() as connection:
        return service.batch(connection, batch_id)
