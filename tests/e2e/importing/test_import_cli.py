"""``utilcredit import`` and ``utilcredit purge-uploads`` as processes, on SQLite and PostgreSQL:
a bad file in a folder is a reject with its reason (no traceback) and the rest of the folder
is imported; expired uploads are deleted."""

from __future__ import annotations

import csv
import os
import random
import time
from pathlib import Path

from sqlalchemy import Engine

from tests.integration.importing.test_import import HUAWEI, SUBJECTS, count, write_csv
from tests.support.shell import run_cli as run
from utilcredit.customers.tables import CreditReportRow, SubjectRow


def test_a_bad_file_is_reported_and_the_rest_of_the_folder_imported(
    engine: Engine, store_env: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    write_csv(folder / "subjects.csv", SUBJECTS)
    (folder / "accounts.csv").write_bytes(random.Random(3).randbytes(3000))  # not text at all
    (folder / "credit_reports.csv").write_text(
        "subject_code,source,issued_on,has_dishonesty,on_serious_list\n"
        f"{HUAWEI},jiangsu,2026-10-01,false,false\n",
        encoding="utf-8",
    )
    rejects = tmp_path / "rejects.csv"
    done = run(store_env, "import", str(folder), "--quiet", "--rejects", str(rejects))
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert (count(engine, SubjectRow), count(engine, CreditReportRow)) == (3, 1)
    with rejects.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["file"], r["row"]) for r in rows] == [("accounts.csv", "0")]
    assert "GB18030" in rows[0]["reason"]


def test_purge_uploads_deletes_what_is_past_retention(
    engine: Engine, store_env: dict[str, str], tmp_path: Path
) -> None:
    data = Path(store_env["UTILCREDIT_DATA_DIR"])
    old_id, new_id = "a" * 32, "b" * 32
    old, new = data / "uploads" / old_id, data / "uploads" / new_id
    for folder in (old, new):
        folder.mkdir(parents=True)
        (folder / "subjects.csv").write_text("code,kind,name\n", encoding="utf-8")
    reports = data / "rejects"
    reports.mkdir(parents=True)
    old_report = reports / f"upload-{old_id}.csv"
    old_report.write_text("file,row\n", encoding="utf-8")
    mine = reports / "import-20260101-000000.csv"  # the CLI's own reports are not uploads
    mine.write_text("file,row\n", encoding="utf-8")
    unrelated = data / "uploads" / "keep-me"
    unrelated.mkdir()
    month_ago, two_days_ago = time.time() - 31 * 86_400, time.time() - 2 * 86_400
    for path in (old, old_report, mine, unrelated):
        os.utime(path, (month_ago, month_ago))
    os.utime(new, (two_days_ago, two_days_ago))

    done = run(store_env, "purge-uploads")
    assert done.returncode == 0, done.stderr
    assert "removed 1" in done.stdout
    assert not old.exists() and not old_report.exists()
    assert new.exists() and mine.exists() and unrelated.exists()

    kept = run({**store_env, "UTILCREDIT_UPLOAD_RETENTION_DAYS": "60"}, "purge-uploads")
    assert kept.returncode == 0 and "removed 0" in kept.stdout
    gone = run(store_env, "purge-uploads", "--older-than", "1")
    assert gone.returncode == 0 and "removed 1" in gone.stdout and not new.exists()
