"""Import by upload: same runner and reject report as the CLI."""

from __future__ import annotations

import csv
import io
import os
import random
import time

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from tests.e2e.api.world import World, uscc
from utilcredit.config import Settings
from utilcredit.customers.tables import SubjectRow


def test_upload_with_a_bad_row_reports_and_serves_the_rejects(
    client: TestClient, world: World, engine: Engine
) -> None:
    subjects = (
        f"code,kind,name\n{uscc(10)},legal,涟水县新公司\n913208260000000099,legal,校验位错误公司\n"
    )
    response = client.post(
        "/api/imports",
        files=[("files", ("subjects.csv", subjects.encode(), "text/csv"))],
        headers=world.headers("op-water"),
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["ok"] is False and result["rejected_rows"] == 1
    [file] = result["files"]
    assert (file["kind"], file["inserted"], file["rejected"]) == ("subjects", 1, 1)

    report = client.get(result["reject_report_url"], headers=world.headers("op-water"))
    assert report.status_code == 200
    assert report.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert [(r["file"], r["row"], r["field"]) for r in rows] == [("subjects.csv", "3", "code")]

    per_run = client.get(
        f"/api/imports/{file['run_id']}/rejects.csv", headers=world.headers("op-water")
    )
    first = next(csv.DictReader(io.StringIO(per_run.content.decode("utf-8-sig"))))
    assert first["row"] == "3"
    runs = client.get("/api/imports", headers=world.headers("op-water")).json()
    assert runs["items"][0]["id"] == file["run_id"]
    with engine.connect() as connection:
        assert (
            connection.execute(
                select(func.count()).select_from(SubjectRow).where(SubjectRow.code == uscc(10))
            ).scalar_one()
            == 1
        )


def test_unknown_kind_and_unsupported_type(client: TestClient, world: World) -> None:
    unknown = client.post(
        "/api/imports",
        files=[("files", ("customers.csv", b"a,b\n1,2\n", "text/csv"))],
        headers=world.headers("op-water"),
    )
    assert unknown.status_code == 200
    assert unknown.json()["files"][0]["error"]
    bad_type = client.post(
        "/api/imports",
        files=[("files", ("subjects.exe", b"MZ", "application/octet-stream"))],
        headers=world.headers("op-water"),
    )
    assert bad_type.status_code == 422
    assert bad_type.json()["error"]["fields"][0]["field"] == "files"


def test_missing_files_names_the_field(client: TestClient, world: World) -> None:
    response = client.post("/api/imports", headers=world.headers("op-water"))
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "files"


def test_reject_report_ids_are_checked(client: TestClient, world: World) -> None:
    assert (
        client.get(
            "/api/imports/uploads/../../etc/passwd/rejects.csv", headers=world.headers("op-water")
        ).status_code
        == 404
    )
    assert (
        client.get(
            f"/api/imports/uploads/{'a' * 32}/rejects.csv", headers=world.headers("op-water")
        ).status_code
        == 404
    )
    assert client.get("/api/imports/999", headers=world.headers("op-water")).status_code == 404


def test_bad_files_are_rejects_with_reasons_not_server_errors(
    client: TestClient, world: World, engine: Engine
) -> None:
    good = f"{uscc(11)},legal,涟水县好公司\n"
    files = [
        ("subjects.csv", random.Random(5).randbytes(2000)),
        ("subjects_utf16.csv", ("code,kind,name\n" + good).encode("utf-16")),
        (
            "subjects_latin1.csv",
            b"code,kind,name\n" + f"{uscc(12)},legal,Caf\xe9\n".encode("latin-1"),
        ),
        (
            "subjects_field.csv",
            ("code,kind,name\n" + good + f"{uscc(13)},legal,{'x' * 10_000_000}\n").encode(),
        ),
        (
            "subjects_number.jsonl",
            (
                '{"code": "' + uscc(14) + '", "kind": "legal", "name": ' + "9" * 5000 + "}\n"
            ).encode(),
        ),
    ]
    response = client.post(
        "/api/imports",
        files=[("files", (name, content, "text/csv")) for name, content in files],
        headers=world.headers("op-water"),
    )
    assert response.status_code == 200, response.text
    result = response.json()
    by_file = {f["file"]: f for f in result["files"]}
    assert "GB18030" in by_file["subjects.csv"]["error"]
    assert "UTF-16" in by_file["subjects_utf16.csv"]["error"]
    assert (
        by_file["subjects_latin1.csv"]["inserted"],
        by_file["subjects_latin1.csv"]["rejected"],
    ) == (0, 1)
    assert (
        by_file["subjects_field.csv"]["inserted"],
        by_file["subjects_field.csv"]["rejected"],
    ) == (1, 1)
    assert by_file["subjects_number.jsonl"]["rejected"] == 1
    report = client.get(result["reject_report_url"], headers=world.headers("op-water"))
    rows = list(csv.DictReader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert all(row["reason"] for row in rows) and len(rows) == 5
    with engine.connect() as connection:
        assert (
            connection.execute(
                select(func.count()).select_from(SubjectRow).where(SubjectRow.code == uscc(11))
            ).scalar_one()
            == 1
        )


def test_reject_reports_never_hold_a_formula(client: TestClient, world: World) -> None:
    subjects = "code,kind,name\n=1+2,legal,x\n@SUM(A1),legal,y\n-3+3,legal,z\n"
    response = client.post(
        "/api/imports",
        files=[("files", ("subjects.csv", subjects.encode(), "text/csv"))],
        headers=world.headers("op-water"),
    )
    result = response.json()
    run_id = result["files"][0]["run_id"]
    for url in (result["reject_report_url"], f"/api/imports/{run_id}/rejects.csv"):
        report = client.get(url, headers=world.headers("op-water"))
        rows = list(csv.DictReader(io.StringIO(report.content.decode("utf-8-sig"))))
        assert [row["value"] for row in rows] == ["'=1+2", "'@SUM(A1)", "'-3+3"], url


def test_an_upload_deletes_uploads_past_retention(
    client: TestClient, world: World, settings: Settings
) -> None:
    expired = settings.data_dir / "uploads" / ("e" * 32)
    expired.mkdir(parents=True)
    (expired / "subjects.csv").write_text("code,kind,name\n", encoding="utf-8")
    report = settings.data_dir / "rejects" / f"upload-{'e' * 32}.csv"
    report.parent.mkdir(parents=True)
    report.write_text("file,row\n", encoding="utf-8")
    long_ago = time.time() - (settings.upload_retention_days + 1) * 86_400
    for path in (expired, report):
        os.utime(path, (long_ago, long_ago))
    response = client.post(
        "/api/imports",
        files=[
            (
                "files",
                ("subjects.csv", f"code,kind,name\n{uscc(15)},legal,新公司\n".encode(), "text/csv"),
            )
        ],
        headers=world.headers("op-water"),
    )
    assert response.status_code == 200, response.text
    assert not expired.exists() and not report.exists()
    assert (settings.data_dir / "uploads" / response.json()["upload_id"]).is_dir()
