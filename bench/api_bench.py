"""Live rating endpoint benchmark (SPEC 4: median ≤ 5 ms, p99 ≤ 25 ms at 200 requests/s).

Usage (from the repository root)::

    .venv/bin/python bench/api_bench.py --store bench/out/api/store.db --rate 200 --seconds 60 \
        --workers 2

What it does:

1. Opens the store (SQLite file or ``--database-url``), migrates it, makes sure a bench user
   (operator of both utilities) exists and issues it an API token.
2. Samples ``--sample`` subject codes with an account of the policy's utility (uniformly over
   subject ids, so cold and warm rows alike).
3. Starts the API server as a separate process: ``uvicorn utilcredit.asgi:app`` on
   127.0.0.1 (``--workers`` processes; uvloop and httptools when installed, as they are with
   the project's dependencies), and waits until it answers.
4. Runs the load generator in another separate process: an open-loop generator that sends
   one request every 1/rate seconds (a request is never delayed by a slow earlier one), each
   to ``GET /api/subjects/{code}/rating?policy=…&as_of=…`` for the next sampled code, over
   at most 64 keep-alive connections (a minimal asyncio client by default, see
   :class:`KeepAlive`; ``--client httpx`` for httpx). Latency is measured from the request's
   scheduled send time to the end of the response body (so queueing in the client counts
   against the server, no coordinated omission). Bounded: ``--seconds`` of load after
   ``--warmup`` seconds.
5. Prints median / p90 / p99 / max, errors, achieved rate, CPU per request of the server
   and of the client, and the load average; writes JSON to ``bench/out/api_bench.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def prepare_zones(database_url: str, policy_key: str, park: str) -> None:
    """The pilot zone the eligibility requests name (a store built by the demo has none)."""
    from utilcredit.applications import zones as application_zones
    from utilcredit.db import make_engine

    engine = make_engine(database_url)
    with engine.begin() as connection:
        application_zones.set_zone(
            connection, None, application_zones.ZoneEdit(policy_key, "基准测试开发区", park)
        )
    engine.dispose()


def prepare(
    database_url: str, policy_key: str, sample: int, seed: int
) -> tuple[str, list[str], int]:
    """Bench user token, sampled subject codes, number of subjects stored."""
    from sqlalchemy import func, select

    from utilcredit import schema
    from utilcredit.access import service as access
    from utilcredit.access.model import Role
    from utilcredit.customers.model import Utility
    from utilcredit.customers.tables import AccountRow, SubjectRow
    from utilcredit.db import make_engine
    from utilcredit.policies.service import policy_at

    engine = make_engine(database_url)
    schema.upgrade(engine)
    utility = policy_at(policy_key, None).policy.utility
    with engine.begin() as connection:
        if "bench" not in {p.username for p in access.list_users(connection)}:
            access.create_user(
                connection,
                username="bench",
                display_name="bench",
                password="bench-password-1",
                roles=frozenset({Role.OPERATOR}),
                utilities=frozenset(Utility),
                actor="bench",
            )
        principal = access.authenticate(connection, "bench", "bench-password-1")
        assert principal is not None
        token = access.issue_token(connection, principal, "api-bench")
        stored = int(connection.execute(select(func.count()).select_from(SubjectRow)).scalar_one())
        top = int(connection.execute(select(func.max(SubjectRow.id))).scalar_one())
        rng = random.Random(seed)
        codes: list[str] = []
        while len(codes) < sample:
            ids = [rng.randint(1, top) for _ in range(min(500, sample * 2))]
            rows = connection.execute(
                select(SubjectRow.code)
                .join(AccountRow, AccountRow.subject_id == SubjectRow.id)
                .where(SubjectRow.id.in_(ids), AccountRow.utility == utility.value)
                .distinct()
            )
            codes.extend(row.code for row in rows)
        codes = codes[:sample]
        rng.shuffle(codes)
    engine.dispose()
    return token, codes, stored


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(
    database_url: str, data_dir: Path, port: int, workers: int
) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env["UTILCREDIT_DATABASE_URL"] = database_url
    env["UTILCREDIT_DATA_DIR"] = str(data_dir)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "utilcredit.asgi:app",
            "--host",
            HOST,
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--workers",
            str(workers),
        ],
        env=env,
        cwd=ROOT,
    )


class KeepAlive:
    """Minimal HTTP/1.1 keep-alive GETs over asyncio streams, at most ``limit`` connections.

    The load generator shares the two cores with the server, so it must cost little: httpx's
    AsyncClient spends ~3 ms of CPU per request, this ~0.3 ms. Answers must carry a
    ``Content-Length`` (the API's do); anything else is an error, never a guess.
    """

    def __init__(self, host: str, port: int, headers: dict[str, str], limit: int) -> None:
        self.host = host
        self.port = port
        lines = [f"Host: {host}:{port}", *(f"{k}: {v}" for k, v in headers.items())]
        self.headers = ("\r\n".join(lines) + "\r\n\r\n").encode()
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(limit)

    async def get(self, target: str) -> tuple[int, bytes]:
        async with self.slots:
            reused = self._idle_connection()
            try:
                return await self._exchange(target, reused or await self._connect())
            except asyncio.IncompleteReadError as error:
                if reused is None or error.partial:
                    raise
            # The server closed the kept-alive connection as we reused it (its idle timeout):
            # a GET is safe to send again, once, on a new connection, as HTTP clients do.
            return await self._exchange(target, await self._connect())

    def _idle_connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        while self.idle:
            reader, writer = self.idle.pop()
            if not reader.at_eof():
                return reader, writer
            writer.close()
        return None

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(self.host, self.port)

    async def _exchange(
        self, target: str, connection: tuple[asyncio.StreamReader, asyncio.StreamWriter]
    ) -> tuple[int, bytes]:
        reader, writer = connection
        try:
            writer.write(f"GET {target} HTTP/1.1\r\n".encode() + self.headers)
            status, length, close = _parse_head(await reader.readuntil(b"\r\n\r\n"))
            body = await reader.readexactly(length)
        except BaseException:
            writer.close()
            raise
        if close:
            writer.close()
        else:
            self.idle.append(connection)
        return status, body

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


def _parse_head(head: bytes) -> tuple[int, int, bool]:
    """Status, Content-Length and whether the server closes the connection."""
    status_line, *lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    fields = {}
    for line in lines:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    if "content-length" not in fields:
        raise ValueError(f"no Content-Length in the answer ({status_line})")
    return status, int(fields["content-length"]), fields.get("connection", "").lower() == "close"


def _httpx_get(client: Any) -> Any:
    async def get(target: str) -> tuple[int, bytes]:
        response = await client.get(target)
        return response.status_code, await response.aread()

    return get


async def _load(
    base: str,
    token: str,
    codes: list[str],
    query: str,
    rate: float,
    seconds: float,
    warmup: float,
    client_kind: str = "raw",
) -> dict[str, Any]:
    import httpx

    host, port = base.removeprefix("http://").split(":")
    headers = {"Authorization": f"Bearer {token}"}
    raw = KeepAlive(host, int(port), headers, limit=64)
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=10) as hx:
        get = raw.get if client_kind == "raw" else _httpx_get(hx)
        result = await _drive(get, codes, query, rate, seconds, warmup)
    raw.close()
    return result


async def _drive(
    get: Any, codes: list[str], query: str, rate: float, seconds: float, warmup: float
) -> dict[str, Any]:
    """The open-loop schedule: one request every 1/rate s, whatever the earlier ones do."""
    interval = 1.0 / rate
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []

    async def one(code: str, scheduled: float, record: bool) -> None:
        try:
            status, _ = await asyncio.wait_for(get(query.format(code=code)), timeout=10)
            elapsed = time.perf_counter() - scheduled
            if record:
                statuses[status] = statuses.get(status, 0) + 1
                if status == 200:
                    latencies.append(elapsed)
        except Exception as error:  # counted, never hidden
            if record:
                errors.append(f"{type(error).__name__}: {error}")

    tasks: list[asyncio.Task[None]] = []
    cpu_at_warm = time.process_time()
    start = time.perf_counter() + 0.05
    total = int((warmup + seconds) * rate)
    warm = int(warmup * rate)
    for n in range(total):
        scheduled = start + n * interval
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(codes[n % len(codes)], scheduled, n >= warm)))
        if n == warm:
            cpu_at_warm = time.process_time()
    finished_sending = time.perf_counter()
    await asyncio.gather(*tasks)
    client_cpu = time.process_time() - cpu_at_warm
    wall = finished_sending - (start + warm * interval)
    return {
        "latencies": latencies,
        "statuses": statuses,
        "errors": errors[:20],
        "error_count": len(errors),
        "sent": total - warm,
        "send_seconds": wall,
        "client_cpu_seconds": client_cpu,
        "sent_with_warmup": total,
    }


def tree_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process and its live descendants (Linux ``/proc``)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [pid]
    try:
        while pending:
            current = pending.pop()
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                pending.extend(int(child) for child in children)
    except (OSError, IndexError, ValueError):
        return None
    return total


def load_process(pipe: Pipe, *args: Any) -> None:
    pipe.send(asyncio.run(_load(*args)))
    pipe.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--store", type=Path, default=ROOT / "bench/out/api/store.db")
    parser.add_argument("--database-url", default=None, help="instead of --store")
    parser.add_argument("--policy", default="lianshui-water")
    parser.add_argument("--as-of", default="2026-11-22")
    parser.add_argument(
        "--endpoint",
        choices=("rating", "eligibility"),
        default="rating",
        help="rating: the live rating; eligibility: a credit-based application's check (issue 11)",
    )
    parser.add_argument("--park", default="石化产业园区", help="pilot zone (eligibility)")
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="measured load duration")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--sample", type=int, default=5000, help="distinct subjects requested")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="load generator's HTTP client: raw asyncio keep-alive (light) or httpx",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench/out/api_bench.json")
    args = parser.parse_args()
    if args.seconds * args.rate > 1_000_000:
        parser.error("bounded benchmark: at most 1,000,000 requests")

    database_url = args.database_url or f"sqlite:///{args.store.resolve()}"
    token, codes, stored = prepare(database_url, args.policy, args.sample, args.seed)
    port = free_port()
    data_dir = args.out.parent / "api-bench-data"
    server = start_server(database_url, data_dir, port, args.workers)
    base = f"http://{HOST}:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                if (
                    httpx.get(
                        f"{base}/api/policies", headers={"Authorization": f"Bearer {token}"}
                    ).status_code
                    == 200
                ):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the API server did not start")
            time.sleep(0.2)
        if args.endpoint == "eligibility":
            prepare_zones(database_url, args.policy, args.park)
            park = urllib.parse.quote(args.park)
            query = f"/api/subjects/{{code}}/eligibility?policy={args.policy}&park={park}"
        else:
            query = f"/api/subjects/{{code}}/rating?policy={args.policy}&as_of={args.as_of}"
        receiver, sender = multiprocessing.Pipe(duplex=False)
        loader = multiprocessing.get_context("spawn").Process(
            target=load_process,
            args=(
                sender,
                base,
                token,
                codes,
                query,
                args.rate,
                args.seconds,
                args.warmup,
                args.client,
            ),
        )
        server_cpu_before = tree_cpu_seconds(server.pid)
        loader.start()
        result: dict[str, Any] = receiver.recv()
        server_cpu_after = tree_cpu_seconds(server.pid)
        loader.join()
    finally:
        server.terminate()
        server.wait(timeout=30)

    latencies_ms = [v * 1000 for v in result.pop("latencies")]
    ok = len(latencies_ms)
    server_cpu = (
        server_cpu_after - server_cpu_before
        if server_cpu_before is not None and server_cpu_after is not None
        else None
    )
    sent = result["sent"]
    summary = {
        "subjects_stored": stored,
        "store": database_url.split("///")[-1]
        if database_url.startswith("sqlite")
        else "postgresql",
        "policy": args.policy,
        "endpoint": args.endpoint,
        "as_of": args.as_of,
        "target_rate": args.rate,
        "achieved_send_rate": round(result["sent"] / result["send_seconds"], 1),
        "measured_seconds": args.seconds,
        "requests": result["sent"],
        "ok": ok,
        "statuses": result["statuses"],
        "errors": result["error_count"],
        "error_samples": result["errors"],
        "median_ms": round(statistics.median(latencies_ms), 2) if ok else None,
        "p90_ms": round(percentile(latencies_ms, 90), 2) if ok else None,
        "p99_ms": round(percentile(latencies_ms, 99), 2) if ok else None,
        "max_ms": round(max(latencies_ms), 2) if ok else None,
        "distinct_subjects": len(codes),
        "cpu_count": os.cpu_count(),
        "server_workers": args.workers,
        "client": args.client,
        # CPU per request: the server's (all workers, warm-up included) and the load
        # generator's (measured part). Client and server share the machine's cores.
        "server_cpu_ms_per_request": round(server_cpu * 1000 / result["sent_with_warmup"], 3)
        if server_cpu is not None
        else None,
        "client_cpu_ms_per_request": round(result["client_cpu_seconds"] * 1000 / sent, 3),
        "load_average": [round(v, 2) for v in os.getloadavg()],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    print(json.dumps(summary, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
