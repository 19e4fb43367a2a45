"""Two imports into one store at once, on SQLite and PostgreSQL: they take turns (the store's
import lock), a second one that waits too long is refused naming the run in progress, and the
lock is released however an import ends."""

from __future__ import annotations

import threading
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from tests.integration.importing.test_import import SUBJECTS, count, write_csv
from utilcredit.customers.tables import SubjectRow
from utilcredit.importing import runner
from utilcredit.importing.limits import ImportLimits
from utilcredit.importing.repository import upserts
from utilcredit.importing.runner import ImportReport, import_paths
from utilcredit.importing.tables import ImportRunRow


def run_in_thread(name: str, work: Any) -> tuple[threading.Thread, list[Any]]:
    outcome: list[Any] = []

    def target() -> None:
        try:
            outcome.append(work())
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread, outcome


def test_two_imports_at_once_take_turns(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_csv(tmp_path / "subjects.csv", SUBJECTS)
    # Each import stops before it writes until the other one is there too (or 2 s passed):
    # without a lock both would have read the store before either wrote.
    meet = threading.Barrier(2, timeout=2)
    real_upsert = upserts.upsert

    def upsert(*args: Any, **kwargs: Any) -> int:
        with suppress(threading.BrokenBarrierError):
            meet.wait()
        return real_upsert(*args, **kwargs)

    monkeypatch.setattr(upserts, "upsert", upsert)
    started = [
        run_in_thread(f"import-{i}", lambda i=i: import_paths(engine, [path], actor=f"op{i}"))
        for i in range(2)
    ]
    for thread, _ in started:
        thread.join(timeout=120)
    reports = [outcome[0] for _, outcome in started]
    assert all(isinstance(report, ImportReport) for report in reports), reports
    results = [report.files[0].result for report in reports]
    assert all(result is not None for result in results), [r.files[0].error for r in reports]
    counts = sorted((r.inserted, r.updated, r.unchanged) for r in results if r is not None)
    assert counts == [(0, 0, 3), (3, 0, 0)]
    assert count(engine, SubjectRow) == 3
    with engine.connect() as connection:
        statuses = connection.execute(select(ImportRunRow.status)).scalars().all()
    assert statuses == ["done", "done"]


def test_an_import_waits_then_is_refused_naming_the_running_one(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = write_csv(tmp_path / "subjects.csv", SUBJECTS)
    second_folder = tmp_path / "second"
    second_folder.mkdir()
    second = write_csv(second_folder / "subjects.csv", SUBJECTS)
    writing, release = threading.Event(), threading.Event()
    real_upsert = upserts.upsert

    def upsert(*args: Any, **kwargs: Any) -> int:
        if threading.current_thread().name == "holder":
            writing.set()
            release.wait(timeout=60)
        return real_upsert(*args, **kwargs)

    monkeypatch.setattr(upserts, "upsert", upsert)
    holder, outcome = run_in_thread("holder", lambda: import_paths(engine, [first], actor="first"))
    try:
        assert writing.wait(timeout=60)
        began = time.monotonic()
        (refused,) = import_paths(
            engine, [second], actor="second", limits=ImportLimits(lock_wait_seconds=0.5)
        ).files
        waited = time.monotonic() - began
    finally:
        release.set()
        holder.join(timeout=60)
    (held,) = outcome[0].files
    assert held.result is not None and held.result.inserted == 3
    assert refused.result is None and refused.kind == "subjects"
    assert refused.error is not None
    assert f"another import is running (run {held.run_id} since 20" in refused.error
    assert f"另一导入正在进行（运行 {held.run_id}，开始于 20" in refused.error
    assert 0.5 <= waited < 15
    assert [r.row for r in refused.rejects] == [0]
    with engine.connect() as connection:  # the refused import read and wrote nothing
        assert connection.execute(select(func.count()).select_from(ImportRunRow)).scalar() == 1


def test_the_lock_is_released_however_an_import_ends(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_csv(tmp_path / "subjects.csv", SUBJECTS)
    no_wait = ImportLimits(lock_wait_seconds=0)

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("store went away")

    monkeypatch.setattr(runner, "load_file", broken)
    (failed,) = import_paths(engine, [path], actor="op", limits=no_wait).files
    assert failed.error is not None and "store went away" in failed.error
    monkeypatch.undo()
    with pytest.raises(KeyboardInterrupt):  # not even an interruption keeps the lock

        def interrupted(*_args: Any, **_kwargs: Any) -> Any:
            raise KeyboardInterrupt

        monkeypatch.setattr(runner, "load_file", interrupted)
        import_paths(engine, [path], actor="op", limits=no_wait)
    monkeypatch.undo()
    (done,) = import_paths(engine, [path], actor="op", limits=no_wait).files
    assert done.result is not None and done.result.inserted == 3
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            held = connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            ).scalar()
        assert held == 0
