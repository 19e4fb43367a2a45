"""The store gives the rating engine exactly the credit file the imported files describe."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from utilcredit.customers import repository
from utilcredit.customers.model import (
    Account,
    Bill,
    CreditFile,
    CreditReport,
    Incident,
    IncidentKind,
    Payment,
    PaymentMode,
    Reminder,
    Severity,
    Subject,
    SubjectKind,
    Utility,
)
from utilcredit.demo import DemoSpec, generate
from utilcredit.importing.runner import import_paths
from utilcredit.policies.loader import load_policy
from utilcredit.rating import service
from utilcredit.rating.evaluator import evaluate

AS_OF = dt.date(2026, 11, 22)


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    generate(DemoSpec(subjects=120, seed=7, as_of=AS_OF, years=3), folder, workers=1)
    return folder


@pytest.fixture
def loaded(engine: Engine, demo_files: Path) -> Path:
    report = import_paths(engine, [demo_files], actor="test")
    assert all(f.result is not None and not f.rejects for f in report.files)
    return demo_files


def _read(folder: Path, kind: str) -> list[dict[str, str]]:
    with (folder / f"{kind}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _money(text: str) -> Decimal | None:
    return Decimal(text) if text else None


def credit_files_from_csv(folder: Path, utility: Utility) -> dict[str, CreditFile]:
    """An independent reading of the canonical files, straight from CSV."""
    subjects = {
        row["code"]: Subject(
            row["code"],
            SubjectKind(row["kind"]),
            row["name"],
            row["id_type"] or None,
            row["legal_rep"] or None,
            row["phone"] or None,
            row["address"] or None,
            row["area"] or None,
            _date(row["founded_on"]) if row["founded_on"] else None,
        )
        for row in _read(folder, "subjects")
    }
    accounts = {
        row["account_no"]: Account(
            row["account_no"],
            row["subject_code"],
            Utility(row["utility"]),
            _date(row["opened_on"]),
            PaymentMode(row["payment_mode"]),
            row["address"] or None,
            row["area"] or None,
        )
        for row in _read(folder, "accounts")
        if row["utility"] == utility.value
    }
    payments: dict[str, list[Payment]] = defaultdict(list)
    for row in _read(folder, "payments"):
        payments[row["bill_no"]].append(
            Payment(
                row["payment_no"], row["bill_no"], _date(row["paid_on"]), Decimal(row["amount"])
            )
        )
    parts: dict[str, dict[str, list[object]]] = defaultdict(lambda: defaultdict(list))
    for row in _read(folder, "bills"):
        if row["account_no"] in accounts:
            bill = Bill(
                row["bill_no"],
                row["account_no"],
                _date(row["period_start"]),
                _date(row["period_end"]),
                Decimal(row["amount"]),
                _date(row["due_on"]),
                _money(row["usage"]),
                row["unit"] or None,
                tuple(sorted(payments[row["bill_no"]], key=lambda p: (p.paid_on, p.payment_no))),
            )
            parts[accounts[row["account_no"]].subject_code]["bills"].append(bill)
    for row in _read(folder, "incidents"):
        if row["account_no"] in accounts:
            parts[accounts[row["account_no"]].subject_code]["incidents"].append(
                Incident(
                    row["incident_no"],
                    row["account_no"],
                    IncidentKind(row["kind"]),
                    _date(row["occurred_on"]),
                    _money(row["amount"]),
                    row["asset_class"] or None,
                    Severity(row["severity"]) if row["severity"] else None,
                    row["note"] or None,
                )
            )
    for row in _read(folder, "reminders"):
        if row["account_no"] in accounts:
            parts[accounts[row["account_no"]].subject_code]["reminders"].append(
                Reminder(
                    row["reminder_no"],
                    row["account_no"],
                    _date(row["sent_on"]),
                    row["channel"] or None,
                )
            )
    for row in _read(folder, "credit_reports"):
        parts[row["subject_code"]]["credit_reports"].append(
            CreditReport(
                row["subject_code"],
                row["source"],
                _date(row["issued_on"]),
                row["has_dishonesty"] == "true",
                row["on_serious_list"] == "true",
                row["rating"] or None,
            )
        )
    for account in accounts.values():
        parts[account.subject_code]["accounts"].append(account)
    return {
        code: CreditFile(
            subjects[code],
            utility,
            *(
                tuple(parts[code][k])
                for k in ("accounts", "bills", "incidents", "reminders", "credit_reports")  # type: ignore[arg-type]
            ),
        )
        for code in parts
        if parts[code]["accounts"]
    }


def _canonical(credit_file: CreditFile) -> CreditFile:
    """Order-insensitive form: the engine must not depend on the order records come in."""
    return CreditFile(
        credit_file.subject,
        credit_file.utility,
        tuple(sorted(credit_file.accounts, key=lambda a: a.account_no)),
        tuple(sorted(credit_file.bills, key=lambda b: b.bill_no)),
        tuple(sorted(credit_file.incidents, key=lambda i: i.incident_no)),
        tuple(sorted(credit_file.reminders, key=lambda r: r.reminder_no)),
        tuple(sorted(credit_file.credit_reports, key=lambda r: (r.source, r.issued_on))),
    )


@pytest.mark.parametrize("utility", [Utility.WATER, Utility.POWER])
def test_credit_files_from_the_store_equal_the_imported_files(
    engine: Engine, loaded: Path, utility: Utility
) -> None:
    expected = credit_files_from_csv(loaded, utility)
    with engine.connect() as connection:
        stored = {cf.subject.code: cf for cf in repository.iter_credit_files(connection, utility)}
    assert stored.keys() == expected.keys()
    for code, credit_file in expected.items():
        assert _canonical(stored[code]) == _canonical(credit_file), code


def test_rating_from_the_store_equals_rating_the_files(engine: Engine, loaded: Path) -> None:
    policy = load_policy("lianshui-water").policy
    expected = {
        code: evaluate(cf, policy, AS_OF).level
        for code, cf in credit_files_from_csv(loaded, Utility.WATER).items()
    }
    with engine.connect() as connection:
        rated = {
            e.subject_code: e.level for e in service.rate_population(connection, policy, AS_OF)
        }
    assert rated == expected
    assert len(set(rated.values())) >= 3  # the demo population is not uniform


def test_one_subject_is_found_by_code_and_unknown_codes_are_not(
    engine: Engine, loaded: Path
) -> None:
    code = next(iter(credit_files_from_csv(loaded, Utility.WATER)))
    with engine.connect() as connection:
        credit_file = repository.get_credit_file(connection, code, Utility.WATER)
        assert credit_file is not None and credit_file.subject.code == code and credit_file.accounts
        assert repository.get_credit_file(connection, "914403001922038216", Utility.WATER) is None
