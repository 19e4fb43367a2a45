"""The one-subject loader (statements built once, used by the live rating) gives exactly the
record the batch loader gives — same records in the same order — on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from tests.e2e.api.world import uscc
from utilcredit.customers import repository
from utilcredit.customers.model import Utility
from utilcredit.customers.tables import SubjectRow
from utilcredit.demo import DemoSpec, generate
from utilcredit.importing.runner import import_paths

AS_OF = dt.date(2026, 11, 22)
TIES = uscc(990)  # a subject whose records tie on every ordering date


def _write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def ties_folder(folder: Path) -> Path:
    """Records sharing their dates, written out of number order, so only the id breaks ties."""
    folder.mkdir(parents=True)
    _write(
        folder / "subjects.csv",
        [["code", "kind", "name", "area"], [TIES, "legal", "同日记录测试公司", "涟城镇"]],
    )
    _write(
        folder / "accounts.csv",
        [
            ["account_no", "subject_code", "utility", "opened_on", "payment_mode", "area"],
            ["TW2", TIES, "water", "2020-01-01", "postpaid", "涟城镇"],
            ["TW1", TIES, "water", "2020-01-01", "postpaid", "涟城镇"],
        ],
    )
    _write(
        folder / "bills.csv",
        [
            ["bill_no", "account_no", "period_start", "period_end", "amount", "due_on"],
            ["TB9", "TW1", "2026-01-01", "2026-01-31", "10.00", "2026-02-15"],
            ["TB1", "TW2", "2026-01-01", "2026-01-31", "20.00", "2026-02-15"],
            ["TB5", "TW1", "2025-12-01", "2025-12-31", "30.00", "2026-01-15"],
        ],
    )
    _write(
        folder / "payments.csv",
        [
            ["payment_no", "bill_no", "paid_on", "amount"],
            ["TP9", "TB9", "2026-02-01", "4.00"],
            ["TP1", "TB9", "2026-02-01", "6.00"],
            ["TP5", "TB9", "2026-01-20", "1.00"],
        ],
    )
    _write(
        folder / "incidents.csv",
        [
            ["incident_no", "account_no", "kind", "occurred_on", "amount", "note"],
            ["TI9", "TW1", "violation", "2026-03-01", "", "b"],
            ["TI1", "TW2", "violation", "2026-03-01", "", "a"],
        ],
    )
    _write(
        folder / "reminders.csv",
        [
            ["reminder_no", "account_no", "sent_on", "channel"],
            ["TR9", "TW2", "2026-03-05", "sms"],
            ["TR1", "TW1", "2026-03-05", "letter"],
        ],
    )
    _write(
        folder / "credit_reports.csv",
        [
            ["subject_code", "source", "issued_on", "has_dishonesty", "on_serious_list"],
            [TIES, "jiangsu", "2026-04-01", "false", "false"],
            [TIES, "creditchina", "2026-04-01", "true", "false"],
        ],
    )
    return folder


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    generate(DemoSpec(subjects=120, seed=11, as_of=AS_OF, years=2), folder, workers=1)
    return folder


@pytest.fixture
def store(engine: Engine, demo_files: Path, tmp_path: Path) -> Engine:
    for folder in (demo_files, ties_folder(tmp_path / "ties")):
        report = import_paths(engine, [folder], actor="test")
        assert report.ok, [f.rejects for f in report.files]
    return engine


@pytest.mark.parametrize("utility", list(Utility))
def test_one_subject_loads_exactly_as_in_the_batch(store: Engine, utility: Utility) -> None:
    with store.connect() as connection:
        ids = list(connection.execute(select(SubjectRow.id).order_by(SubjectRow.id)).scalars())
        batch = list(repository.iter_credit_files(connection, utility, ids))
        assert len(batch) == len(ids)
        for expected in batch:
            one = repository.get_credit_file(connection, expected.subject.code, utility)
            assert one == expected, expected.subject.code
    assert any(f.accounts for f in batch) and any(not f.accounts for f in batch)
    assert any(b.payments for f in batch for b in f.bills)


def test_ties_on_a_date_come_in_storage_order(store: Engine) -> None:
    with store.connect() as connection:
        loaded = repository.get_credit_file(connection, TIES, Utility.WATER)
    assert loaded is not None
    assert [a.account_no for a in loaded.accounts] == ["TW2", "TW1"]
    assert [b.bill_no for b in loaded.bills] == ["TB5", "TB9", "TB1"]
    assert [p.payment_no for p in loaded.bills[1].payments] == ["TP5", "TP9", "TP1"]
    assert [i.incident_no for i in loaded.incidents] == ["TI9", "TI1"]
    assert [r.reminder_no for r in loaded.reminders] == ["TR9", "TR1"]
    assert [r.source for r in loaded.credit_reports] == ["jiangsu", "creditchina"]


def test_unknown_code_and_a_subject_without_the_utility(store: Engine) -> None:
    with store.connect() as connection:
        assert repository.get_credit_file(connection, "914403001922038216", Utility.WATER) is None
        power = repository.get_credit_file(connection, TIES, Utility.POWER)
    assert power is not None and power.subject.code == TIES
    assert not (power.accounts or power.bills or power.incidents or power.reminders)
    assert len(power.credit_reports) == 2  # reports belong to the subject, whatever the utility
