"""A small credit file for exports: a company with water and power accounts, a resident,
their bills and payments, a violation, a commitment and a published dishonesty record."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert

from utilcredit.customers.tables import (
    AccountRow,
    BillRow,
    CommitmentRow,
    IncidentRow,
    PaymentRow,
    SubjectRow,
)
from utilcredit.records.tables import DishonestyRecordRow

D = dt.date
AS_OF = D(2026, 11, 30)
COMPANY = "91440800190350011Q"
RESIDENT = "11010519491231002X"
WATER_UNIT = ("示范供水有限公司", "91440200617512345J")
POWER_UNIT = ("示范供电局", "91440800190350011Q")
UNITS = {"water": WATER_UNIT, "power": POWER_UNIT}


def _add(connection: Connection, table: Any, **values: Any) -> int:
    return int(connection.execute(insert(table).values(**values).returning(table.id)).scalar_one())


def build(connection: Connection) -> None:
    company = _add(connection, SubjectRow, code=COMPANY, kind="legal", name="湛江示范实业有限公司")
    resident = _add(
        connection, SubjectRow, code=RESIDENT, kind="natural", name="李四", id_type="身份证"
    )
    power = _add(
        connection,
        AccountRow,
        account_no="P-001",
        subject_id=company,
        utility="power",
        opened_on=D(2020, 1, 1),
        payment_mode="postpaid",
    )
    water = _add(
        connection,
        AccountRow,
        account_no="W-001",
        subject_id=resident,
        utility="water",
        opened_on=D(2020, 1, 1),
        payment_mode="prepaid",
    )
    paid = bill(connection, "B-1", power, D(2026, 9, 1), "974.25", usage="1261.5")
    _add(
        connection,
        PaymentRow,
        payment_no="PAY-1",
        bill_id=paid,
        paid_on=D(2026, 10, 14),
        amount=Decimal("974.25"),
    )
    bill(connection, "B-2", power, D(2026, 10, 1), "1294.75")  # unpaid, due 2026-11-15
    part = bill(connection, "B-3", water, D(2026, 9, 1), "100.00", usage="12", unit="m³")
    _add(
        connection,
        PaymentRow,
        payment_no="PAY-2",
        bill_id=part,
        paid_on=D(2026, 10, 20),
        amount=Decimal("60.00"),
    )
    _add(
        connection,
        IncidentRow,
        incident_no="V-1",
        account_id=power,
        kind="violation",
        occurred_on=D(2026, 6, 21),
        amount=Decimal("9229.87"),
    )
    _add(
        connection,
        CommitmentRow,
        code="CN-POWER-20260301-1",
        subject_id=company,
        utility="power",
        template_key="zhanjiang-property",
        template_version="2022",
        commitment_type="approval_substitute",
        reason="暂无法提供物业权属证明，申请用电报装",
        content="本单位承诺一年内补齐物业权属证明。",
        liability="未履行承诺的，同意供电部门依法中止供电。",
        fields={},
        made_on=D(2026, 3, 1),
        valid_until=D(2027, 3, 1),
        status="in_force",
        status_on=D(2026, 3, 2),
        accepting_unit=POWER_UNIT[0],
        accepting_unit_code=POWER_UNIT[1],
        determining_unit=POWER_UNIT[0],
        determining_unit_code=POWER_UNIT[1],
        disclosure="public",
        document_name="承诺书.pdf",
        created_by="op",
    )
    _add(
        connection,
        DishonestyRecordRow,
        derivation_key="test:theft:1",
        subject_id=company,
        utility="power",
        kind="theft",
        record_class="serious",
        status="published",
        policy_key="zhanjiang-power",
        policy_version="2022",
        rule_id="D2",
        rule_text="窃电",
        cause_on=D(2026, 6, 1),
        amount=Decimal("5000.00"),
        summary="窃电",
        determining_unit=POWER_UNIT[0],
        determining_unit_code=POWER_UNIT[1],
        determined_on=D(2026, 7, 1),
        publish_from=D(2026, 7, 2),
        publish_until=D(2029, 7, 1),
    )


def bill(
    connection: Connection,
    number: str,
    account: int,
    start: dt.date,
    amount: str,
    *,
    usage: str | None = None,
    unit: str = "kWh",
) -> int:
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return _add(
        connection,
        BillRow,
        bill_no=number,
        account_id=account,
        period_start=start,
        period_end=end,
        usage=None if usage is None else Decimal(usage),
        unit=unit if usage is not None else None,
        amount=Decimal(amount),
        due_on=end + dt.timedelta(days=15),
    )
