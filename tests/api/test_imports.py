"""Import by upload: same runner and reject report as the CLI."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from tests.api.world import World, uscc
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
