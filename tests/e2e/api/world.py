"""A small two-utility world for API and console tests: customers, users, tokens.

Built through the public use cases (the import runner, the access service), so the tests see
exactly what an operator's upload and ``utilcredit user add`` would produce.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from utilcredit.access import service as access
from utilcredit.access.model import Principal, Role
from utilcredit.customers.model import Utility
from utilcredit.identifiers.model import ric_check_char, uscc_check_char
from utilcredit.importing.runner import import_paths

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
