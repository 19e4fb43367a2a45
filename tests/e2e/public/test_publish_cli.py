"""``utilcredit publish``: rebuilds the published view with the deployment's masking."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import Engine, select

from tests.integration.disclosure.world import (
    EXPECTED_COMMITMENTS,
    EXPECTED_RECORD_LABELS,
    PERSON_CODE,
    build,
)
from tests.support.shell import run_cli
from utilcredit.disclosure.tables import PublicEntryRow

pytestmark = pytest.mark.sqlite_only
DAY = dt.date(2026, 11, 30)


def test_publish_command(engine: Engine, store_env: dict[str, str]) -> None:
    with engine.begin() as connection:
        build(connection, DAY)
    env = {**store_env, "UTILCREDIT_MASK_KEEP_HEAD": "4", "UTILCREDIT_MASK_KEEP_TAIL": "1"}
    result = run_cli(env, "publish", "--as-of", DAY.isoformat(), "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["records"] == len(EXPECTED_RECORD_LABELS)
    assert report["commitments"] == len(EXPECTED_COMMITMENTS)
    with engine.connect() as connection:
        masked = set(
            connection.scalars(
                select(PublicEntryRow.code_shown).where(PublicEntryRow.lookup_code.is_(None))
            )
        )
    assert masked == {PERSON_CODE[:4] + "****" + PERSON_CODE[-1:]}


def test_publish_refuses_a_bad_date(engine: Engine, store_env: dict[str, str]) -> None:
    result = run_cli(store_env, "publish", "--as-of", "2026-13-01")
    assert result.returncode == 2
    assert "2026-13-01" in result.stderr
