"""Dishonesty records for the console tests, seeded through the register's own use cases at
dates relative to today (the console acts on ``localtime.today()``).

A Shaoguan water customer (``SUBJECT``) in red: two bills paid late this year, a 12,000 CNY
bill unpaid for about five months despite a payment demand (R1, R2), and a theft three weeks
ago (R3). The arrears record was derived and confirmed 110 days ago, so the three-month minimum
publication of a general record has passed and it may be repaired today; the theft is a
candidate derived today. A current shaoguan-water run rates the subject as of today.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert

from tests.integration.rating_runs.helpers import save
from tests.integration.records.builders import Staff, Store, calendar_year_ahead, pay, staff
from utilcredit.config import RecordsSettings
from utilcredit.customers.tables import SubjectRow
from utilcredit.localtime import today
from utilcredit.policies.loader import load_policy
from utilcredit.records import derivation, objections, service
from utilcredit.records.attachments import Upload

SHAOGUAN = load_policy("shaoguan-water")
ZHANJIANG = load_policy("zhanjiang-power")
SETTINGS = RecordsSettings()
SUBJECT = "91440200MA4UTEST1X"
PERSON = "440203198001011234"  # a natural person (not checked: written straight to the store)
POWER_SUBJECT = "91440800MA4UPOWR1X"
PDF = b"%PDF-1.4\n% objection proof\n%%EOF\n"


@dataclass(frozen=True)
class RecordsWorld:
    today: dt.date
    people: Staff
    subject_id: int
    arrears: int  # published, repairable today once the bill is paid
    arrears_bill: int
    theft: int  # a candidate
    power: int  # a power candidate (Zhanjiang D4, which names an exemption)
    person_record: int | None = None  # a natural person's record under an overdue objection
    overdue_objection: int | None = None

    def pay_arrears(self, engine: Engine) -> None:
        with engine.begin() as connection:
            pay(connection, self.arrears_bill, self.today, "12000.00")


class _Person(Store):
    """A natural person's file (the builder's own subject is a company)."""

    def __post_init__(self) -> None:
        self.subject_id = int(
            self.connection.execute(
                insert(SubjectRow)
                .values(code=self.code, kind="natural", name="李小龙", id_type="居民身份证")
                .returning(SubjectRow.id)
            ).scalar_one()
        )


class _Company(Store):
    name: str = "湛江示范电力用户有限公司"

    def __post_init__(self) -> None:
        self.subject_id = int(
            self.connection.execute(
                insert(SubjectRow)
                .values(code=self.code, kind="legal", name=self.name, legal_rep="王五")
                .returning(SubjectRow.id)
            ).scalar_one()
        )


def _in(engine: Engine, step: Callable[[Connection], Any]) -> Any:
    with engine.begin() as connection:
        return step(connection)


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def build_records_world(
    engine: Engine, folder: Path, *, overdue_objection: bool = False
) -> RecordsWorld:
    day = today()
    people = staff(engine)
    calendar_year_ahead(engine, day)

    def shaoguan_file(connection: Connection) -> tuple[int, int]:
        store = Store(connection, code=SUBJECT)
        store.account("SG-1")
        store.bill("SG-1", day - days(300), "100.00", ((day - days(290), "100.00"),))
        store.bill("SG-1", day - days(250), "100.00", ((day - days(240), "100.00"),))
        bill = store.bill("SG-1", day - days(150), "12000.00")
        store.reminder("SG-1", day - days(145))
        store.incident("SG-1", "theft", day - days(20), "300.00")
        return store.subject_id, bill

    subject_id, bill = _in(engine, shaoguan_file)
    (arrears,) = _in(
        engine, lambda c: derivation.derive(c, SHAOGUAN, day - days(110), settings=SETTINGS)
    ).created
    _in(
        engine,
        lambda c: service.confirm(
            c, people.reviewer, arrears, today=day - days(110), settings=SETTINGS
        ),
    )

    person_record = objection_id = None
    if overdue_objection:

        def person_file(connection: Connection) -> None:
            person = _Person(connection, code=PERSON)
            person.account("SG-9")
            person.incident("SG-9", "violation", day - days(45))

        _in(engine, person_file)
        (person_record,) = _in(
            engine, lambda c: derivation.derive(c, SHAOGUAN, day - days(40), settings=SETTINGS)
        ).created
        _in(
            engine,
            lambda c: service.confirm(
                c, people.reviewer, person_record, today=day - days(39), settings=SETTINGS
            ),
        )
        objection_id = _in(
            engine,
            lambda c: objections.file_objection(
                c,
                people.operator,
                person_record,
                reason="违约用水认定有误，已整改",
                uploads=[Upload("说明.pdf", PDF)],
                today=day - days(30),
                settings=SETTINGS,
                folder=folder / "attachments",
            ),
        ).id

    (theft,) = _in(engine, lambda c: derivation.derive(c, SHAOGUAN, day, settings=SETTINGS)).created

    def power_file(connection: Connection) -> None:
        company = _Company(connection, code=POWER_SUBJECT)
        company.account("ZJ-1", utility="power")
        company.incident("ZJ-1", "commitment_breach", day - days(20))

    _in(engine, power_file)
    (power,) = _in(
        engine, lambda c: derivation.derive(c, ZHANJIANG, day, settings=SETTINGS)
    ).created
    save(engine, SHAOGUAN, day)
    return RecordsWorld(
        day, people, subject_id, arrears, bill, theft, power, person_record, objection_id
    )
