"""A columnar snapshot built straight from the demo CSV files, for stores too big to import here.

``utilcredit import`` loads ≈ 100,000 rows/s into SQLite, so the 10-million-subject store
(≈ 360 million rows) would take about an hour to import before its snapshot could be copied. For
the 10 M rating benchmark this script lets DuckDB read the demo CSVs and write the same tables the
snapshot holds (:data:`utilcredit.rating.sql.snapshot.SNAPSHOT_TABLES`, same names, columns and
types, the bills with their settlement as ``utilcredit db snapshot`` writes them), assigning ids
in file order as the importer does. It skips the importer's validation: the
generator's few deliberately invalid rows stay in (a handful per million; see the import bench).

Usage::

    .venv/bin/python bench/csv_snapshot.py DATA_DIR TARGET.duckdb
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

from utilcredit.rating.sql.snapshot import write_settlement


def _csv(data: Path, name: str, columns: dict[str, str]) -> str:
    spec = ", ".join(f"'{column}': '{kind}'" for column, kind in columns.items())
    path = str(data / f"{name}.csv").replace("'", "''")
    return f"read_csv('{path}', header = true, columns = {{{spec}}}, quote = '\"')"


def _fen(column: str) -> str:
    """CNY text with at most two decimals → integer fen, exactly (as the importer's Money)."""
    return f"CAST(round(CAST({column} AS DECIMAL(18, 2)) * 100) AS BIGINT)"


STATEMENTS: tuple[tuple[str, str], ...] = (
    (
        "subjects",
        """CREATE TABLE subjects AS SELECT
             CAST(row_number() OVER () AS BIGINT) AS id, upper(trim(code)) AS code, kind, name,
             id_type, legal_rep, phone, address, area
           FROM {subjects}""",
    ),
    (
        "accounts",
        """CREATE TABLE accounts AS SELECT
             CAST(row_number() OVER () AS BIGINT) AS id, a.account_no, s.id AS subject_id,
             a.utility, a.opened_on, a.payment_mode, a.address, a.area
           FROM {accounts} a JOIN subjects s ON s.code = upper(trim(a.subject_code))""",
    ),
    (
        "bills",
        """CREATE TABLE bills AS SELECT
             CAST(row_number() OVER () AS BIGINT) AS id, b.bill_no, a.id AS account_id,
             b.period_start, b.period_end, CAST(round(b.usage * 1000) AS BIGINT) AS usage_milli,
             b.unit, {bill_fen} AS amount_fen, b.due_on, CAST(NULL AS INTEGER) AS set_aside_by
           FROM {bills} b JOIN accounts a ON a.account_no = b.account_no""",
    ),
    (
        "payments",
        """CREATE TABLE payments AS SELECT
             CAST(row_number() OVER () AS BIGINT) AS id, p.payment_no, b.id AS bill_id,
             p.paid_on, {payment_fen} AS amount_fen
           FROM {payments} p JOIN bills b ON b.bill_no = p.bill_no""",
    ),
    (
        "incidents",
        """CREATE TABLE incidents AS SELECT
             CAST(row_number() OVER () AS BIGINT) AS id, i.incident_no, a.id AS account_id,
             i.kind, i.occurred_on, {incident_fen} AS amount_fen, i.asset_class, i.severity,
             i.note, CAST(NULL AS INTEGER) AS set_aside_by
           FROM {incidents} i JOIN accounts a ON a.account_no = i.account_no""",
    ),
    (
        "credit_reports",
        """CREATE TABLE credit_reports AS SELECT
             CAST(row_number() OVER () AS BIGINT) AS id, s.id AS subject_id, r.source,
             r.issued_on, r.has_dishonesty, r.rating, r.on_serious_list
           FROM {credit_reports} r JOIN subjects s ON s.code = upper(trim(r.subject_code))""",
    ),
    (
        # the demo has no commitments; the store's table is there all the same (and the
        # Parquet export writes every table a rule may read)
        "commitments",
        """CREATE TABLE commitments (id BIGINT, code VARCHAR, subject_id BIGINT,
             utility VARCHAR, commitment_type VARCHAR, made_on DATE, valid_until DATE,
             status VARCHAR, status_on DATE)""",
    ),
)


def sources(data: Path) -> dict[str, str]:
    text, date, number = "VARCHAR", "DATE", "DOUBLE"
    return {
        "subjects": _csv(
            data,
            "subjects",
            {
                **dict.fromkeys(
                    ("code", "kind", "name", "id_type", "legal_rep", "phone", "address", "area"),
                    text,
                ),
                "founded_on": date,  # the demo writes it since credit-based applications
            },
        ),
        "accounts": _csv(
            data,
            "accounts",
            {
                "account_no": text,
                "subject_code": text,
                "utility": text,
                "opened_on": date,
                "payment_mode": text,
                "address": text,
                "area": text,
            },
        ),
        "bills": _csv(
            data,
            "bills",
            {
                "bill_no": text,
                "account_no": text,
                "period_start": date,
                "period_end": date,
                "usage": number,
                "unit": text,
                "amount": text,
                "due_on": date,
            },
        ),
        "payments": _csv(
            data,
            "payments",
            {"payment_no": text, "bill_no": text, "paid_on": date, "amount": text},
        ),
        "incidents": _csv(
            data,
            "incidents",
            {
                "incident_no": text,
                "account_no": text,
                "kind": text,
                "occurred_on": date,
                "amount": text,
                "asset_class": text,
                "severity": text,
                "note": text,
            },
        ),
        "credit_reports": _csv(
            data,
            "credit_reports",
            {
                "subject_code": text,
                "source": text,
                "issued_on": date,
                "has_dishonesty": "BOOLEAN",
                "rating": text,
                "on_serious_list": "BOOLEAN",
            },
        ),
        "bill_fen": _fen("b.amount"),
        "payment_fen": _fen("p.amount"),
        "incident_fen": _fen("i.amount"),
    }


def build(data: Path, target: Path, threads: int = 2) -> dict[str, Any]:
    """Write the snapshot tables into ``target`` (replaced); returns row counts and seconds."""
    target.unlink(missing_ok=True)
    connection = duckdb.connect(str(target))
    connection.execute(f"SET threads = {threads}")
    connection.execute("SET preserve_insertion_order = true")
    names = sources(data)
    counts: dict[str, Any] = {}
    started = time.perf_counter()
    for table, statement in STATEMENTS:
        begun = time.perf_counter()
        connection.execute(statement.format(**names))
        row = connection.execute(f"SELECT count(*) FROM {table}").fetchone()
        counts[table] = row[0] if row else 0
        print(
            f"{table}: {counts[table]:,} rows in {time.perf_counter() - begun:.1f} s",
            file=sys.stderr,
        )
    begun = time.perf_counter()
    catalog = connection.execute("SELECT current_database()").fetchone()
    write_settlement(connection, f'"{catalog[0] if catalog else target.stem}"')
    print(f"bills settled in {time.perf_counter() - begun:.1f} s", file=sys.stderr)
    counts["seconds"] = time.perf_counter() - started
    connection.close()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    print(build(args.data, args.target, args.threads))


if __name__ == "__main__":
    main()
