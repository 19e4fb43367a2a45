"""A small register for publishing, dated relative to ``today``: a company (full name, USCC,
legal representative, phone, address) and a person (name, ID number, phone, address), each with
records in and out of their publication period and commitments marked and not marked for
disclosure. ``PUBLIC_KEYS`` is what the published view must hold, ``INTERNAL`` every internal
value that must never reach a public response."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert

from utilcredit.customers.tables import AccountRow, CommitmentRow, SubjectRow
from utilcredit.records.tables import DishonestyRecordRow

COMPANY_CODE = "91440200617512345J"
COMPANY_NAME = "韶关示范制衣有限公司"
OTHER_CODE = "91440800190350011Q"
OTHER_NAME = "湛江另一实业有限公司"
PERSON_CODE = "420101198101011111"
PERSON_NAME = "王小明"
PERSON_MASKED = "4201011981****1111"
PERSON_NAME_MASKED = "王**"
UNIT = ("韶关示范供水有限公司", "91440200MA4UNIT01X")

#: Internal values: none may appear in a public response.
INTERNAL = {
    "company phone": "13812345678",
    "person phone": "13987654321",
    "company address": "韶关市浈江区示范路88号",
    "person address": "随州市曾都区隐私巷7号",
    "legal representative": "赵大海",
    "person full name": PERSON_NAME,
    "person ID number": PERSON_CODE,
    "amount owed": "12345.67",
    "amount owed (fen)": "1234567",
    "record summary": "户号 W-SECRET-77 欠费",
    "account number": "W-SECRET-77",
    "commitment letter": "本人承诺内容含隐私",
    "liability": "违诺责任内部文本",
    "commitment fields": "隐私字段值",
    "created by": "op-secret",
    "derivation key": "shaoguan-water:arrears:secret",
    "person's reason": "王小明因住址变更申请",
}


@dataclass(frozen=True)
class World:
    today: dt.date
    company: int
    person: int
    other: int


def _add(connection: Connection, table: Any, **values: Any) -> int:
    return int(connection.execute(insert(table).values(**values).returning(table.id)).scalar_one())


def record(
    connection: Connection,
    key: str,
    subject: int,
    *,
    status: str,
    publish_from: dt.date | None,
    publish_until: dt.date | None,
    stopped: dt.date | None = None,
    record_class: str = "general",
    kind: str = "arrears",
) -> int:
    return _add(
        connection,
        DishonestyRecordRow,
        derivation_key=f"{INTERNAL['derivation key']}:{key}",
        subject_id=subject,
        utility="water",
        kind=kind,
        record_class=record_class,
        status=status,
        policy_key="shaoguan-water",
        policy_version="2022.1",
        rule_id="D1",
        rule_text="欠缴水费经催告后超过一个月仍未缴纳",
        cause_on=(publish_from or dt.date(2026, 1, 1)) - dt.timedelta(days=40),
        amount=Decimal(INTERNAL["amount owed"]),
        summary=INTERNAL["record summary"],
        determining_unit=UNIT[0],
        determining_unit_code=UNIT[1],
        determined_on=publish_from,
        publish_from=publish_from,
        publish_until=publish_until,
        publication_stopped_on=stopped,
    )


def commitment(
    connection: Connection,
    code: str,
    subject: int,
    *,
    disclosure: str = "public",
    status: str = "in_force",
    made_on: dt.date,
    valid_until: dt.date | None,
    reason: str = "暂无法提供物业权属证明，申请用水报装",
) -> int:
    return _add(
        connection,
        CommitmentRow,
        code=code,
        subject_id=subject,
        utility="water",
        template_key="shaoguan-credit-water",
        template_version="2022",
        commitment_type="approval_substitute",
        reason=reason,
        content=INTERNAL["commitment letter"],
        liability=INTERNAL["liability"],
        fields={"secret": INTERNAL["commitment fields"]},
        made_on=made_on,
        valid_until=valid_until,
        status=status,
        status_on=made_on,
        accepting_unit=UNIT[0],
        accepting_unit_code=UNIT[1],
        determining_unit=UNIT[0],
        determining_unit_code=UNIT[1],
        disclosure=disclosure,
        document_name="承诺书.pdf",
        created_by=INTERNAL["created by"],
    )


def build(connection: Connection, today: dt.date) -> tuple[World, dict[str, int]]:
    """The world and the ids of its records by label."""
    day = dt.timedelta(days=1)
    company = _add(
        connection,
        SubjectRow,
        code=COMPANY_CODE,
        kind="legal",
        name=COMPANY_NAME,
        legal_rep=INTERNAL["legal representative"],
        phone=INTERNAL["company phone"],
        address=INTERNAL["company address"],
        area="浈江区",
    )
    person = _add(
        connection,
        SubjectRow,
        code=PERSON_CODE,
        kind="natural",
        name=PERSON_NAME,
        id_type="身份证",
        phone=INTERNAL["person phone"],
        address=INTERNAL["person address"],
    )
    other = _add(connection, SubjectRow, code=OTHER_CODE, kind="legal", name=OTHER_NAME)
    _add(
        connection,
        AccountRow,
        account_no=INTERNAL["account number"],
        subject_id=company,
        utility="water",
        opened_on=dt.date(2020, 1, 1),
        payment_mode="postpaid",
        address=INTERNAL["company address"],
    )
    start = today - 30 * day
    ids = {
        "in-period": record(
            connection,
            "a",
            company,
            status="published",
            publish_from=start,
            publish_until=today + 300 * day,
        ),
        "ends-today": record(  # the last day counts: public
            connection,
            "b",
            company,
            status="published",
            publish_from=today - 364 * day,
            publish_until=today,
        ),
        "ended": record(  # the calendar has not expired it yet, but its period is over
            connection,
            "c",
            company,
            status="published",
            publish_from=today - 400 * day,
            publish_until=today - day,
        ),
        "repaired": record(
            connection,
            "d",
            company,
            status="repaired",
            publish_from=start,
            publish_until=today + 300 * day,
            stopped=today - 2 * day,
        ),
        "stopped-today": record(  # stopped today: no longer public today
            connection,
            "e",
            company,
            status="published",
            publish_from=start,
            publish_until=today + 300 * day,
            stopped=today,
        ),
        "confirmed": record(
            connection,
            "f",
            company,
            status="confirmed",
            publish_from=start,
            publish_until=today + 300 * day,
        ),
        "under-objection": record(
            connection,
            "g",
            company,
            status="under_objection",
            publish_from=start,
            publish_until=today + 300 * day,
        ),
        "minor": record(
            connection,
            "h",
            company,
            status="confirmed",
            publish_from=None,
            publish_until=today + 60 * day,
            record_class="minor",
        ),
        "future": record(
            connection,
            "i",
            company,
            status="published",
            publish_from=today + day,
            publish_until=today + 300 * day,
        ),
        "person-in-period": record(
            connection,
            "j",
            person,
            status="published",
            publish_from=start,
            publish_until=today + 300 * day,
        ),
        "other-serious": record(
            connection,
            "k",
            other,
            status="published",
            publish_from=start,
            publish_until=today + 1000 * day,
            record_class="serious",
            kind="theft",
        ),
    }
    commitment(connection, "CN-PUBLIC-1", company, made_on=start, valid_until=today + 300 * day)
    commitment(
        connection,
        "CN-PERSON-1",
        person,
        made_on=start,
        valid_until=today + 300 * day,
        reason=INTERNAL["person's reason"],
    )
    commitment(connection, "CN-LASTING-1", other, made_on=start, valid_until=None)
    commitment(
        connection,
        "CN-BREACHED-1",
        other,
        status="breached",
        made_on=start,
        valid_until=today + 10 * day,
    )
    commitment(
        connection,
        "CN-HIDDEN-1",
        company,
        disclosure="not_public",
        made_on=start,
        valid_until=None,
    )
    commitment(
        connection,
        "CN-ONREQ-1",
        company,
        disclosure="on_request",
        made_on=start,
        valid_until=None,
    )
    commitment(connection, "CN-MADE-1", company, status="made", made_on=start, valid_until=None)
    commitment(
        connection, "CN-WITHDRAWN-1", company, status="withdrawn", made_on=start, valid_until=None
    )
    commitment(
        connection,
        "CN-OLD-1",
        company,
        made_on=today - 400 * day,
        valid_until=today - day,
    )
    return World(today, company, person, other), ids


EXPECTED_RECORD_LABELS = ("in-period", "ends-today", "person-in-period", "other-serious")
EXPECTED_COMMITMENTS = ("CN-PUBLIC-1", "CN-PERSON-1", "CN-LASTING-1", "CN-BREACHED-1")
