"""A small two-utility world for API and console tests: customers, users, tokens, and (on
demand, :class:`Casework`) dishonesty records, objections and repair applications.

Built through the public use cases (the import runner, the access service, the register's
services), so the tests see exactly what an operator's upload, ``utilcredit user add`` and the
register's workflows would produce.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from tests.integration.records.builders import calendar_year_ahead
from utilcredit.access import service as access
from utilcredit.access.model import Principal, Role
from utilcredit.config import Settings
from utilcredit.customers.model import Utility
from utilcredit.identifiers.model import ric_check_char, uscc_check_char
from utilcredit.importing.runner import import_paths
from utilcredit.localtime import today
from utilcredit.policies.service import policy_at
from utilcredit.records import derivation, objections, repairs, service
from utilcredit.records.attachments import Upload
from utilcredit.records.model import RepairDecision
from utilcredit.records.repository import casework

AS_OF = "2026-11-22"
PASSWORD = "correct-horse-9"


def uscc(n: int) -> str:
    first = f"91320826{n:09d}"
    return first + uscc_check_char(first)


def ric(n: int) -> str:
    first = f"32082619800101{n:03d}"
    return first + ric_check_char(first)


WATER_ONLY = uscc(1)  # water account, black under lianshui-water (bill unpaid 9 months)
POWER_ONLY = uscc(2)  # power account, clean
BOTH = uscc(3)  # water and power accounts, prepaid and clean
PERSON = ric(4)  # a natural person with a water account


def _write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def export_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    _write(
        folder / "subjects.csv",
        [
            ["code", "kind", "name", "id_type", "legal_rep", "phone", "address", "area"],
            [
                WATER_ONLY,
                "legal",
                "涟水县甲水业用户公司",
                "",
                "王小明",
                "13812345678",
                "涟城镇一号",
                "涟城镇",
            ],
            [
                POWER_ONLY,
                "legal",
                "涟水县乙电力用户公司",
                "",
                "李四",
                "13900001111",
                "高沟镇二号",
                "高沟镇",
            ],
            [BOTH, "legal", "涟水县丙综合公司", "", "赵六", "13700002222", "涟城镇三号", "涟城镇"],
            [PERSON, "natural", "张三丰", "居民身份证", "", "13600003333", "保滩镇四号", "保滩镇"],
        ],
    )
    _write(
        folder / "accounts.csv",
        [
            ["account_no", "subject_code", "utility", "opened_on", "payment_mode", "area"],
            ["W1", WATER_ONLY, "water", "2020-01-01", "postpaid", "涟城镇"],
            ["P2", POWER_ONLY, "power", "2020-01-01", "prepaid", "高沟镇"],
            ["W3", BOTH, "water", "2020-01-01", "prepaid", "涟城镇"],
            ["P3", BOTH, "power", "2020-01-01", "prepaid", "涟城镇"],
            ["W4", PERSON, "water", "2021-05-01", "postpaid", "保滩镇"],
        ],
    )
    bills = [["bill_no", "account_no", "period_start", "period_end", "amount", "due_on"]]
    bills.append(["B1", "W1", "2026-01-01", "2026-01-31", "100.00", "2026-02-15"])
    for n in range(1, 26):
        bills.append([f"B1-{n:02d}", "W1", "2025-01-01", "2025-01-31", "10.00", "2025-02-15"])
    bills.append(["B4", "W4", "2026-09-01", "2026-09-30", "50.00", "2026-10-15"])
    _write(folder / "bills.csv", bills)
    _write(
        folder / "payments.csv",
        [
            ["payment_no", "bill_no", "paid_on", "amount"],
            *[[f"PAY-{n:02d}", f"B1-{n:02d}", "2025-02-01", "10.00"] for n in range(1, 26)],
        ],
    )
    return folder


@dataclass
class User:
    username: str
    principal: Principal
    token: str


@dataclass
class World:
    users: dict[str, User]

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.users[username].token}"}


# username → (roles, utilities)
USERS: dict[str, tuple[frozenset[Role], frozenset[Utility]]] = {
    "admin": (frozenset({Role.ADMIN}), frozenset(Utility)),
    "op-water": (frozenset({Role.OPERATOR}), frozenset({Utility.WATER})),
    "op-power": (frozenset({Role.OPERATOR}), frozenset({Utility.POWER})),
    "op-both": (frozenset({Role.OPERATOR}), frozenset(Utility)),
    "rev-water": (frozenset({Role.REVIEWER}), frozenset({Utility.WATER})),
    "rev-power": (frozenset({Role.REVIEWER}), frozenset({Utility.POWER})),
    "office": (frozenset({Role.CREDIT_OFFICE}), frozenset({Utility.WATER})),
    "auditor-water": (frozenset({Role.AUDITOR}), frozenset({Utility.WATER})),
}


def build_world(engine: Engine, folder: Path) -> World:
    report = import_paths(engine, [export_folder(folder)], actor="setup")
    assert report.ok, [f.rejects for f in report.files]
    users: dict[str, User] = {}
    with engine.begin() as connection:
        for username, (roles, utilities) in USERS.items():
            access.create_user(
                connection,
                username=username,
                display_name=username,
                password=PASSWORD,
                roles=roles,
                utilities=utilities,
                actor="setup",
            )
            principal = access.authenticate(connection, username, PASSWORD)
            assert principal is not None
            users[username] = User(username, principal, access.issue_token(connection, principal))
    return World(users)


# ---- dishonesty records (opt-in: the register's tests build them with Casework) -------------

# The policies with dishonesty rules the register's tests derive under, per utility.
RECORD_POLICY: dict[Utility, str] = {
    Utility.WATER: "shaoguan-water",
    Utility.POWER: "zhanjiang-power",
}
CASE_ACCOUNT: dict[Utility, str] = {Utility.WATER: "W1", Utility.POWER: "P2"}
# Who works the world's cases: the filer files objections and repairs, the reviewer confirms
# and decides. Neither is a user of the access matrix, so a matrix reviewer never decides a
# case they filed.
FILER: dict[Utility, str] = {Utility.WATER: "op-water", Utility.POWER: "op-power"}
DECIDER: dict[Utility, str] = {Utility.WATER: "rev-water", Utility.POWER: "rev-power"}

# The casework calendar (2026: the working-day library knows up to 2026-12-31).
OCCURRED_ON = dt.date(2026, 2, 2)  # the incidents
DERIVED_ON = dt.date(2026, 3, 1)
DETERMINED_ON = dt.date(2026, 3, 2)  # confirmed: published; a general record is repairable…
REPAIRABLE_FROM = dt.date(2026, 6, 2)  # …three months later
OBJECTED_ON = dt.date(2026, 6, 1)  # an objection is due five working days later (overdue now)
APPLIED_ON = dt.date(2026, 6, 3)  # repair applications, then accepted, decided and closed
COMMITMENT_SIGNED_ON = dt.date(2026, 6, 2)
ACCEPTED_ON = dt.date(2026, 6, 4)
DECIDED_ON = dt.date(2026, 6, 10)
CLOSED_ON = dt.date(2026, 6, 11)

PDF_BYTES = b"%PDF-1.4\n% utilcredit test proof\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


class Casework:
    """Dishonesty records of the world's subjects in the states the register's routes need,
    built through the register's own services (derive, confirm, file an objection, apply for
    repair, …) over incidents imported like an operator's upload. Every call makes a new case:
    a test that changes one asks for a fresh one."""

    def __init__(self, engine: Engine, world: World, folder: Path, settings: Settings) -> None:
        self.engine = engine
        self.world = world
        self.folder = folder
        self.settings = settings
        self._numbers = itertools.count(1)
        calendar_year_ahead(engine, today())  # the routes count deadlines from today

    def principal(self, username: str) -> Principal:
        return self.world.users[username].principal

    @property
    def attachments(self) -> Path:
        return self.settings.data_dir / "attachments"

    def incident(
        self,
        utility: Utility,
        *,
        kind: str = "theft",
        occurred_on: dt.date = OCCURRED_ON,
        account: str | None = None,
        amount: str = "300.00",
    ) -> str:
        """A new incident on the utility's account, imported; its number."""
        number = next(self._numbers)
        incident_no = f"INC-{utility.value}-{number}"
        folder = self.folder / f"incident-{number}"
        folder.mkdir(parents=True)
        _write(
            folder / "incidents.csv",
            [
                ["incident_no", "account_no", "kind", "occurred_on", "amount"],
                [
                    incident_no,
                    account or CASE_ACCOUNT[utility],
                    kind,
                    occurred_on.isoformat(),
                    amount,
                ],
            ],
        )
        report = import_paths(self.engine, [folder], actor="setup")
        assert report.ok, [f.rejects for f in report.files]
        return incident_no

    def candidate(self, utility: Utility, *, account: str | None = None) -> int:
        """A new candidate record (a theft), derived by the system under the utility's policy."""
        self.incident(utility, account=account)
        with self.engine.begin() as connection:
            summary = derivation.derive(
                connection,
                policy_at(RECORD_POLICY[utility], DERIVED_ON),
                DERIVED_ON,
                settings=self.settings.records,
            )
        assert len(summary.created) == 1, summary
        return summary.created[0]

    def published(self, utility: Utility, *, account: str | None = None) -> int:
        """A new record confirmed on DETERMINED_ON by the world's reviewer, hence published."""
        record_id = self.candidate(utility, account=account)
        with self.engine.begin() as connection:
            record = service.confirm(
                connection,
                self.principal(DECIDER[utility]),
                record_id,
                today=DETERMINED_ON,
                settings=self.settings.records,
            )
        assert record.status == "published", record
        return record_id

    def objection(self, utility: Utility) -> int:
        """A new open objection (with a PDF attached) to a new published record, filed by the
        world's operator on OBJECTED_ON."""
        record_id = self.published(utility)
        with self.engine.begin() as connection:
            line = objections.file_objection(
                connection,
                self.principal(FILER[utility]),
                record_id,
                reason="事件认定有误，系表计故障",
                uploads=[Upload("证明.pdf", PDF_BYTES)],
                today=OBJECTED_ON,
                settings=self.settings.records,
                folder=self.attachments,
            )
        return line.id

    def repair(self, utility: Utility, status: str = "submitted") -> int:
        """A new repair application of a new published record, filed by the world's operator
        and taken by the world's reviewer to ``status`` (submitted, accepted, decided — rejected —,
        closed or withdrawn)."""
        record_id = self.published(utility)
        filer, decider = self.principal(FILER[utility]), self.principal(DECIDER[utility])
        records = self.settings.records
        with self.engine.begin() as connection:
            repair_id = repairs.apply_repair(
                connection,
                filer,
                record_id,
                statement="已停止违法行为并补缴全部费用",
                commitment_signed_on=COMMITMENT_SIGNED_ON,
                uploads=[Upload("整改证明.pdf", PDF_BYTES)],
                today=APPLIED_ON,
                settings=records,
                folder=self.attachments,
            ).id
            if status == "withdrawn":
                repairs.withdraw_repair(connection, filer, repair_id, today=ACCEPTED_ON)
            if status in ("accepted", "decided", "closed"):
                repairs.accept_repair(
                    connection, decider, repair_id, today=ACCEPTED_ON, settings=records
                )
            if status in ("decided", "closed"):
                repairs.decide_repair(
                    connection,
                    decider,
                    repair_id,
                    RepairDecision.REJECTED,
                    note="证明材料不足以证明已纠正",
                    today=DECIDED_ON,
                    settings=records,
                )
            if status == "closed":
                repairs.close_repair(connection, decider, repair_id, today=CLOSED_ON)
            found = repairs.visible_repair(connection, None, repair_id)[0]
        assert found.status == status, found
        return repair_id

    def attachment_of_objection(self, objection_id: int) -> int:
        with self.engine.connect() as connection:
            [found] = casework.attachments_of(connection, "objection", objection_id)
        return found.id
