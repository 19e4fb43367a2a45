"""Public look-up benchmark (issue 13 item 5): ``GET /public/lookup?q=<USCC>`` median ≤ 20 ms
at 100 requests/s on a store with many published entries.

Usage (from the repository root)::

    .venv/bin/python bench/public_bench.py --entries 200000 --rate 100 --seconds 30

Builds a SQLite store whose published view (``public_entries``) holds ``--entries`` rows
(nine in ten of legal persons, two entries each on average; one in ten masked natural
persons), written through the product's own ``disclosure.repository.insert_entries``; starts
``uvicorn utilcredit.asgi:app`` as a separate process (the per-client rate limit raised, as
every request comes from one address) and drives it from another process with
``bench/api_bench.py``'s open-loop generator: one look-up of a random published USCC every
1/rate s over keep-alive connections, latency from each request's scheduled send time to the
end of its body, after a warm-up. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import os
import random
import statistics
import tempfile
import time
import urllib.parse
import urllib.request
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any

import api_bench  # bench/api_bench.py, beside this script: server, client, schedule

from utilcredit import schema
from utilcredit.db import make_engine
from utilcredit.disclosure import repository
from utilcredit.disclosure.model import EntryKind, PublishedEntry, ShownSubject
from utilcredit.localtime import today


def _code(n: int) -> str:
    return f"91440000{n:09d}X"


def entries(count: int, day: dt.date) -> tuple[list[PublishedEntry], list[str]]:
    """``count`` entries shown on ``day`` and the USCCs a look-up can ask for."""
    made: list[PublishedEntry] = []
    codes: list[str] = []
    n = 0
    while len(made) < count:
        n += 1
        if n % 10 == 0:
            shown = ShownSubject("张*", f"4401011980****{n % 10_000:04d}", None, None)
        else:
            shown = ShownSubject(f"基准实业{n}有限公司", _code(n), _code(n), f"基准实业{n}有限公司")
            codes.append(_code(n))
        for i in range(1 + n % 3):  # 1–3 entries a subject
            kind = EntryKind.RECORD if i % 2 == 0 else EntryKind.COMMITMENT
            made.append(
                PublishedEntry(
                    kind=kind,
                    source_key=f"{kind}:{n}:{i}",
                    utility="water" if n % 2 else "power",
                    shown=shown,
                    title="欠费经催告逾期未缴"
                    if kind == EntryKind.RECORD
                    else "信用承诺（审批替代型）",
                    details={
                        "behaviour": "欠费经催告逾期未缴",
                        "class": "一般",
                        "basis": "shaoguan-water D1：欠缴水费经催告后超过一个月仍未缴纳",
                        "determining_unit": "韶关示范供水有限公司（91440200MA4UNIT01X）",
                        "determined_on": (day - dt.timedelta(days=n % 300)).isoformat(),
                        "period": "见认定日期起一年",
                    },
                    shown_from=day - dt.timedelta(days=n % 300),
                    shown_until=day + dt.timedelta(days=365 - n % 300),
                )
            )
    return made[:count], codes


def build_store(path: Path, count: int) -> list[str]:
    engine = make_engine(f"sqlite:///{path}")
    schema.upgrade(engine)
    made, codes = entries(count, today())
    started = time.perf_counter()
    with engine.begin() as connection:
        repository.clear(connection)
        repository.insert_entries(connection, made, dt.datetime.now(dt.UTC))
    print(f"# {count} entries written in {time.perf_counter() - started:.1f} s", flush=True)
    engine.dispose()
    return codes


async def _load(
    base: str, codes: list[str], rate: float, seconds: float, warmup: float
) -> dict[str, Any]:
    host, port = base.removeprefix("http://").split(":")
    client = api_bench.KeepAlive(host, int(port), {}, limit=64)
    try:
        result: dict[str, Any] = await api_bench._drive(
            client.get, codes, "/public/lookup?q={code}", rate, seconds, warmup
        )
    finally:
        client.close()
    return result


def load_process(pipe: Pipe, *args: Any) -> None:
    pipe.send(asyncio.run(_load(*args)))
    pipe.close()


def wait_until_up(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/public/", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--sample", type=int, default=5_000, help="USCCs looked up")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="public-bench-") as folder:
        store = Path(folder) / "store.db"
        codes = build_store(store, args.entries)
        sample = random.Random(7).sample(codes, min(args.sample, len(codes)))
        sample = [urllib.parse.quote(code) for code in sample]
        os.environ["UTILCREDIT_CONSOLE_PUBLIC_REQUESTS_PER_MINUTE"] = "1000000"
        os.environ["UTILCREDIT_CONSOLE_PUBLIC_BURST"] = "100000"
        os.environ["UTILCREDIT_CONSOLE_MAX_CONCURRENT_ANONYMOUS"] = "10"
        port = api_bench.free_port()
        base = f"http://{api_bench.HOST}:{port}"
        server = api_bench.start_server(
            f"sqlite:///{store}", Path(folder) / "data", port, args.workers
        )
        try:
            wait_until_up(base)
            cpu_before = api_bench.tree_cpu_seconds(server.pid)
            receiving, sending = multiprocessing.Pipe(duplex=False)
            loader = multiprocessing.Process(
                target=load_process,
                args=(sending, base, sample, args.rate, args.seconds, args.warmup),
            )
            loader.start()
            result = receiving.recv()
            loader.join()
            cpu_after = api_bench.tree_cpu_seconds(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    latencies = [x * 1000 for x in result.pop("latencies")]
    sent = result["sent_with_warmup"]
    server_cpu = (
        (cpu_after - cpu_before) / sent * 1000 if cpu_before is not None and cpu_after else None
    )
    print(
        json.dumps(
            {
                "entries": args.entries,
                "rate": args.rate,
                "workers": args.workers,
                "requests": len(latencies),
                "median_ms": round(statistics.median(latencies), 2),
                "p90_ms": round(api_bench.percentile(latencies, 90), 2),
                "p99_ms": round(api_bench.percentile(latencies, 99), 2),
                "max_ms": round(max(latencies), 2),
                "statuses": result["statuses"],
                "errors": result["error_count"],
                "server_cpu_ms_per_request": None if server_cpu is None else round(server_cpu, 2),
                "load_average": os.getloadavg()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
