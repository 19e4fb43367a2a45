"""Large-file key handling, forced on for small files: duplicate keys found across compressed
key blocks keep their first row, and parents held compact (:class:`keys.ParentIds`, for
millions of parents) resolve as the ``dict`` does — in-process and in the CSV worker."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from tests.integration.importing.test_import import (
    ACCOUNTS,
    SUBJECTS,
    count,
    load,
    write_csv,
)
from utilcredit.customers.tables import BillRow, PaymentRow
from utilcredit.importing import keys, pipeline, service

BILL_HEADER = ["bill_no", "account_no", "period_start", "period_end", "usage", "unit", "amount"]
BILL_HEADER += ["due_on"]


def _bill(number: int, account: str = "W001") -> list[str]:
    return [f"B{number:04d}", account, "2026-01-01", "2026-01-31", "1", "m3", "9.50", "2026-02-15"]


@pytest.fixture(params=[False, True], ids=["in-process", "csv-worker"])
def large_file_paths(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keys, "BLOCK", 5)  # keys go to compressed blocks every 5
    monkeypatch.setattr(service, "COMPACT_PARENTS", 0)  # every preloaded parent map compact
    if request.param:
        monkeypatch.setattr(pipeline, "WORKER_MIN_BYTES", 0)


def test_duplicates_across_key_blocks_and_compact_parents(
    engine: Engine, tmp_path: Path, large_file_paths: None
) -> None:
    folder = tmp_path / "base"
    folder.mkdir()
    write_csv(folder / "subjects.csv", SUBJECTS)
    write_csv(folder / "accounts.csv", ACCOUNTS)
    assert all(not r.rejects for r in load(engine, folder))

    bills = [BILL_HEADER] + [_bill(i, "P001" if i % 3 else "W001") for i in range(1, 61)]
    bills[45] = _bill(3)  # row 46 repeats row 4, nine blocks later
    bills[50] = _bill(3)  # and again: still row 4 that is kept
    bills[55] = _bill(70, "NOPE")  # an account nobody has
    (report,) = load(engine, write_csv(tmp_path / "bills.csv", bills), batch_rows=8)
    assert report.result is not None
    assert [(r.row, r.field) for r in report.rejects] == [
        (46, "bill_no"),
        (51, "bill_no"),
        (56, "account_no"),
    ]
    assert all("same as row 4 " in r.reason for r in report.rejects[:2])
    assert report.result.inserted == 57 == count(engine, BillRow)

    payments = [["payment_no", "bill_no", "paid_on", "amount"]] + [
        [f"Y{i:04d}", f"B{i:04d}", "2026-02-10", "9.50"] for i in range(1, 61)
    ]
    payments[20] = ["Y0007", "B0020", "2026-02-10", "9.50"]  # row 21 repeats row 8's key
    payments[30] = ["Y0030", "B0099", "2026-02-10", "9.50"]  # a bill nobody has
    (report,) = load(engine, write_csv(tmp_path / "payments.csv", payments), batch_rows=8)
    assert report.result is not None
    # B0045, B0050 and B0055 were rejected above: their payments name unknown bills
    assert [(r.row, r.field) for r in report.rejects] == [
        (21, "payment_no"),
        (31, "bill_no"),
        (46, "bill_no"),
        (51, "bill_no"),
        (56, "bill_no"),
    ]
    assert report.result.inserted == 55
    with engine.connect() as connection:
        attached = connection.execute(
            select(PaymentRow.payment_no, BillRow.bill_no).join(
                BillRow, BillRow.id == PaymentRow.bill_id
            )
        ).all()
    assert {payment[1:] for payment, _ in attached} == {bill[1:] for _, bill in attached}
    again = load(engine, tmp_path / "payments.csv", batch_rows=8)[0].result
    assert again is not None and (again.inserted, again.updated, again.unchanged) == (0, 0, 55)
