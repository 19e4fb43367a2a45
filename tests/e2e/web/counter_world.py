"""The counter workflow's world for the console tests, at dates relative to today (the console
acts on ``localtime.today()``).

A Zhanjiang power customer (``SUBJECT``, a company founded in 2015) with a power account whose
bills were all paid on time, and a public credit report from 信用中国 issued today with no
dishonesty: it meets every 信易电 requirement once its address lies in a pilot zone. The store
starts with no pilot zone: the world adds ``ZONE`` (麻章区 · 湛江奋勇高新区) to the Zhanjiang
policy, through the applications service as an admin would. The power utility's default policy
is Zhanjiang's (``SETTINGS_CONSOLE``). Users: a power operator ``pop``, a power reviewer
``prev``, a power admin ``padmin`` and a water operator ``wop``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, insert

from tests.integration.records.builders import PASSWORD, Store
from utilcredit.access import service as access
from utilcredit.access.model import Principal, Role
from utilcredit.applications import zones as application_zones
from utilcredit.config import ConsoleSettings
from utilcredit.customers.model import Utility
from utilcredit.customers.tables import CreditReportRow, SubjectRow
from utilcredit.localtime import today

POLICY = "zhanjiang-power"
SUBJECT = "91440800MA4UCNTR1X"
SUBJECT_NAME = "湛江柜台示范电子有限公司"
ZONE = application_zones.ZoneEdit(
    policy_key=POLICY, district="麻章区", park="湛江奋勇高新区", area_code="440811"
)
SETTINGS_CONSOLE = ConsoleSettings(default_policies={"water": "shaoguan-water", "power": POLICY})
__all__ = ["PASSWORD", "POLICY", "SETTINGS_CONSOLE", "SUBJECT", "ZONE", "CounterWorld"]


@dataclass(frozen=True)
class CounterWorld:
    today: dt.date
    users: dict[str, Principal]
    subject_id: int
    zone_id: int


class _Company(Store):
    def __post_init__(self) -> None:
        self.subject_id = int(
            self.connection.execute(
                insert(SubjectRow)
                .values(
                    code=self.code,
                    kind="legal",
                    name=SUBJECT_NAME,
                    legal_rep="陈明",
                    address="湛江市麻章区奋勇高新区纬二路 8 号",
                    founded_on=dt.date(2015, 3, 1),
                )
                .returning(SubjectRow.id)
            ).scalar_one()
        )


def _users(connection: Connection) -> dict[str, Principal]:
    made: dict[str, Principal] = {}
    for name, role, utility in (
        ("pop", Role.OPERATOR, Utility.POWER),
        ("prev", Role.REVIEWER, Utility.POWER),
        ("padmin", Role.ADMIN, Utility.POWER),
        ("wop", Role.OPERATOR, Utility.WATER),
    ):
        user_id = access.create_user(
            connection,
            username=name,
            display_name=name,
            password=PASSWORD,
            roles=frozenset({role}),
            utilities=frozenset({utility}),
            actor="test",
        )
        principal = access.principal_of(connection, user_id)
        assert principal is not None
        made[name] = principal
    return made


def build_counter_world(engine: Engine) -> CounterWorld:
    day = today()
    with engine.begin() as connection:
        users = _users(connection)
        company = _Company(connection, code=SUBJECT)
        company.account("ZJ-C1", utility="power", opened=dt.date(2016, 1, 1))
        for months_ago in (3, 2, 1):
            due = day - dt.timedelta(days=30 * months_ago)
            company.bill("ZJ-C1", due, "800.00", ((due - dt.timedelta(days=2), "800.00"),))
        connection.execute(
            insert(CreditReportRow).values(
                subject_id=company.subject_id,
                source="creditchina",
                issued_on=day,
                has_dishonesty=False,
                rating=None,
                on_serious_list=False,
            )
        )
        zone = application_zones.set_zone(connection, users["padmin"], ZONE)
    return CounterWorld(day, users, company.subject_id, zone.id)
