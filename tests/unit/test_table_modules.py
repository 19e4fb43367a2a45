"""Every domain's ``tables.py`` is in the one list Alembic and the tests read the schema from."""

from __future__ import annotations

from pathlib import Path

import utilcredit
from utilcredit.db import TABLE_MODULES, import_all_tables

PACKAGE = Path(utilcredit.__file__).parent


def test_every_tables_module_is_listed() -> None:
    found = {
        "utilcredit." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        for path in PACKAGE.rglob("tables.py")
    }
    assert found == set(TABLE_MODULES)


def test_the_listed_modules_register_the_whole_schema() -> None:
    names = set(import_all_tables().tables)
    assert {
        "subjects",
        "bills",
        "import_runs",
        "rating_runs",
        "users",
        "level_overrides",
        "audit_log",
    } <= names
