"""Console speed benchmark (issue 14 item 8): log-in, dashboard and credit file ≤ 300 ms on the
3,000-subject demo store.

Usage (from the repository root; the demo store is built once into ``--data`` and reused)::

    .venv/bin/python bench/console_bench.py --data bench/out/console --requests 30
    .venv/bin/python bench/console_bench.py --data bench/out/console --profile   # hotspots

What it does:

1. Builds the demo store if ``--data`` has none: ``utilcredit demo`` (3,000 subjects of the
   Lianshui-like utility, four years, fixed seed, rated and saved under ``lianshui-water`` and
   ``huaiyin-power``) with ``UTILCREDIT_DATA_DIR=--data``.
2. Makes sure two operators of both utilities exist: ``console-bench`` (its hash made by the
   product's hasher, as after any log-in) and ``console-bench-old``, whose hash is set to one
   made with argon2-cffi's defaults (64 MiB, t=3, p=4: what earlier versions stored) before
   each of its log-ins, so its log-in includes the verification of the old hash and the rehash.
3. Samples ``--requests`` subjects with an account of the policy's utility (seeded), and as
   many of those red or black in the policy's current run (the longest explanations and
   next-change searches), named as the console's links name them (USCC, or ``id-<n>`` for a
   natural person).
4. Starts the console as its own process (``uvicorn utilcredit.asgi:app``, one worker, on
   127.0.0.1) and drives it from this process with httpx over real HTTP:

   * log-in as a user sees it: ``GET /login`` (the form and its CSRF cookie), ``POST /login``
     (→ 303), ``GET /`` (the dashboard the redirect leads to); each timed, and the POST + GET
     pair together (a fresh client, i.e. a fresh session, each time);
   * dashboard: ``GET /`` on a logged-in session;
   * credit file: ``GET /subjects/{ref}?policy=…`` for each sampled subject (each once: a
     different credit file every request, so nothing is served from a per-subject cache),
     then for each red or black one.

   After ``--warmup`` requests of each kind (not counted), every request is timed from send to
   the end of the body; median, p95 and max are printed with the server's CPU per request
   (``/proc/<pid>/stat``), and written as JSON to ``bench/out/console_bench.json``.

``--profile`` runs the same requests against the application served in this process instead,
with worker-thread calls made inline so that one cProfile sees the whole request, and prints
the top functions by cumulative time for each kind of page.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PASSWORD = "console-bench-password-1"
USER = "console-bench"
OLD_USER = "console-bench-old"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
GOAL_MS = 300.0


# ---- the store --------------------------------------------------------------------------


def build_store(data: Path, subjects: int) -> None:
    """The demo store in ``data`` (built by the product's own command the first time)."""
    if (data / "utilcredit.db").exists():
        return
    data.mkdir(parents=True, exist_ok=True)
    command = [
        str(Path(sys.executable).with_name("utilcredit")),
        "demo",
        "--subjects",
        str(subjects),
    ]
    env = {**os.environ, "UTILCREDIT_DATA_DIR": str(data)}
    subprocess.run(command, check=True, env=env, cwd=ROOT)


def old_default_hash(password: str) -> str:
    """A hash with argon2-cffi's defaults (64 MiB, t=3, p=4), as stored before the tuning."""
    from argon2 import PasswordHasher

    return PasswordHasher(memory_cost=65_536, time_cost=3, parallelism=4).hash(password)


def prepare(data: Path, policy_key: str, sample: int, seed: int) -> tuple[list[str], list[str]]:
    """The bench users exist; the sampled subjects' references, and those of subjects red or
    black in the policy's current run (the longest credit files to explain)."""
    from sqlalchemy import select

    from utilcredit.access import service as access
    from utilcredit.access.model import Role
    from utilcredit.bootstrap import open_store
    from utilcredit.config import Settings
    from utilcredit.customers.model import Utility
    from utilcredit.customers.tables import AccountRow, SubjectRow
    from utilcredit.identifiers import subject_ref
    from utilcredit.policies.service import policy_at
    from utilcredit.rating.runs.repository import run_headers
    from utilcredit.rating.runs.tables import RatingResultRow

    engine = open_store(Settings(data_dir=data))
    utility = policy_at(policy_key, None).policy.utility
    with engine.begin() as connection:
        existing = {p.username for p in access.list_users(connection)}
        for name in (USER, OLD_USER):
            if name not in existing:
                access.create_user(
                    connection,
                    username=name,
                    display_name=name,
                    password=PASSWORD,
                    roles=frozenset({Role.OPERATOR}),
                    utilities=frozenset(Utility),
                    actor="bench",
                )
        rows = connection.execute(
            select(SubjectRow.id, SubjectRow.code, SubjectRow.kind)
            .join(AccountRow, AccountRow.subject_id == SubjectRow.id)
            .where(AccountRow.utility == utility.value)
            .distinct()
            .order_by(SubjectRow.id)
        ).all()
        current = run_headers.current_run_id(connection, policy_key)
        worst = connection.execute(
            select(SubjectRow.id, SubjectRow.code, SubjectRow.kind)
            .join(RatingResultRow, RatingResultRow.subject_id == SubjectRow.id)
            .where(RatingResultRow.run_id == current, RatingResultRow.level.in_(["red", "black"]))
            .order_by(SubjectRow.id)
        ).all()
    engine.dispose()
    rng = random.Random(seed)
    chosen = rng.sample(rows, min(sample, len(rows)))
    bad = rng.sample(worst, min(sample, len(worst)))
    return (
        [subject_ref(row.id, row.code, row.kind) for row in chosen],
        [subject_ref(row.id, row.code, row.kind) for row in bad],
    )


def reset_old_hash(data: Path, password_hash: str) -> None:
    """Put the pre-tuning hash back on the old user (its log-in rehashes it)."""
    from sqlalchemy import update

    from utilcredit.access.tables import UserRow
    from utilcredit.bootstrap import open_store
    from utilcredit.config import Settings

    engine = open_store(Settings(data_dir=data))
    with engine.begin() as connection:
        connection.execute(
            update(UserRow).where(UserRow.username == OLD_USER).values(password_hash=password_hash)
        )
    engine.dispose()


# ---- the server -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(data: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "UTILCREDIT_DATA_DIR": str(data)}
    command = [sys.executable, "-m", "uvicorn", "utilcredit.asgi:app", "--host", HOST]
    command += ["--port", str(port), "--log-level", "warning", "--no-proxy-headers"]
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        # Only a connection: the first request is timed by the caller (it pays for what the
        # application does lazily on its first requests).
        try:
            socket.create_connection((HOST, port), timeout=2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the console did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---- the requests -----------------------------------------------------------------------


def timed(call: Callable[[], httpx.Response], expect: int) -> float:
    start = time.perf_counter()
    response = call()
    elapsed = time.perf_counter() - start
    if response.status_code != expect:
        raise SystemExit(f"{response.request.url}: {response.status_code}, expected {expect}")
    return elapsed


def log_in(base: str, username: str) -> tuple[httpx.Client, dict[str, float]]:
    """A fresh session logged in as a browser does it; the time of each step."""
    client = httpx.Client(base_url=base, timeout=60)
    times: dict[str, float] = {}
    start = time.perf_counter()
    form = client.get("/login")
    times["form"] = time.perf_counter() - start
    found = CSRF.search(form.text)
    if found is None:
        raise SystemExit("no CSRF token on the log-in form")
    fields = {"username": username, "password": PASSWORD, "csrf_token": found.group(1)}
    times["post"] = timed(lambda: client.post("/login", data=fields), 303)
    times["dashboard"] = timed(lambda: client.get("/"), 200)
    times["post+dashboard"] = times["post"] + times["dashboard"]
    return client, times


def summary(seconds: list[float], cpu: float | None = None) -> dict[str, Any]:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    found: dict[str, Any] = {
        "n": len(ms),
        "median_ms": round(statistics.median(ms), 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(ms[-1], 1),
    }
    if cpu is not None:
        found["server_cpu_ms"] = round(cpu * 1000 / len(ms), 1)
    return found


def run(
    base: str,
    data: Path,
    samples: tuple[list[str], list[str]],
    policy: str,
    warmup: int,
    pid: int | None,
) -> dict[str, dict[str, Any]]:
    def cpu() -> float:
        return cpu_seconds(pid) if pid else 0.0

    results: dict[str, dict[str, Any]] = {}
    old = old_default_hash(PASSWORD)
    refs, worst = samples
    warm, refs = refs[:warmup], refs[warmup:]
    n = len(refs)
    # The first requests after the server started, as the first user of the day sees them.
    client, times = log_in(base, USER)
    try:
        for step, value in times.items():
            results[f"first after start: login {step}"] = summary([value])
        first = timed(lambda: client.get(f"/subjects/{warm[0]}", params={"policy": policy}), 200)
        results["first after start: credit file"] = summary([first])
    finally:
        client.close()
    for _ in range(warmup):
        log_in(base, USER)[0].close()
    steps: dict[str, list[float]] = {}
    before = cpu()
    for _ in range(n):
        client, times = log_in(base, USER)
        client.close()
        for step, value in times.items():
            steps.setdefault(step, []).append(value)
    login_cpu = cpu() - before
    for step, values in steps.items():
        results[f"login: {step}"] = summary(values)
    results["login: post+dashboard"]["server_cpu_ms"] = round(login_cpu * 1000 / n, 1)
    rehash: list[float] = []
    for _ in range(min(n, 10)):
        reset_old_hash(data, old)
        client, times = log_in(base, OLD_USER)
        client.close()
        rehash.append(times["post"])
    results["login (old hash, rehashed): post"] = summary(rehash)

    client, _ = log_in(base, USER)
    try:
        for _ in range(warmup):
            timed(lambda: client.get("/"), 200)
        before = cpu()
        dashboard = [timed(lambda: client.get("/"), 200) for _ in range(n)]
        results["dashboard GET /"] = summary(dashboard, cpu() - before if pid else None)

        def credit_file(ref: str) -> float:
            return timed(lambda: client.get(f"/subjects/{ref}", params={"policy": policy}), 200)

        for ref in warm:
            credit_file(ref)
        before = cpu()
        files = [credit_file(ref) for ref in refs]
        results[f"credit file GET /subjects/{{ref}}?policy={policy}"] = summary(
            files, cpu() - before if pid else None
        )
        before = cpu()
        files = [credit_file(ref) for ref in worst[: len(refs)]]
        results["credit file, subjects red or black in the run"] = summary(
            files, cpu() - before if pid else None
        )
    finally:
        client.close()
    return results


# ---- profiling --------------------------------------------------------------------------


def profile(data: Path, refs: list[str], policy: str) -> None:
    """The requests against the application in this process, worker-thread calls inline."""
    import asyncio
    import cProfile
    import pstats
    import threading

    import anyio.to_thread
    import uvicorn

    async def inline(func: Callable[..., Any], *args: Any, **_: Any) -> Any:
        return func(*args)

    anyio.to_thread.run_sync = inline  # type: ignore[assignment]
    os.environ["UTILCREDIT_DATA_DIR"] = str(data)
    from utilcredit.server import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host=HOST, port=port, log_level="warning"))
    base = f"http://{HOST}:{port}"
    profiles: dict[str, cProfile.Profile] = {}
    current: list[cProfile.Profile] = []

    def client_side() -> None:
        try:
            requests()
        finally:
            current.clear()
            server.should_exit = True

    def requests() -> None:
        while not server.started:
            time.sleep(0.05)
        # Warm-up, not profiled: the first requests build the routes and compile templates.
        client, _ = log_in(base, USER)
        for ref in refs[-3:]:
            client.get("/")
            client.get(f"/subjects/{ref}", params={"policy": policy})
        client.close()
        for name, count in (("login", 5), ("dashboard", 10), ("credit file", 10)):
            profiler = profiles[name] = cProfile.Profile()
            if name == "login":
                current[:] = [profiler]
                for _ in range(count):
                    log_in(base, USER)[0].close()
                continue
            current.clear()  # the session's own log-in is not this page's
            client, _ = log_in(base, USER)
            current[:] = [profiler]
            for i in range(count):
                if name == "dashboard":
                    client.get("/")
                else:
                    client.get(f"/subjects/{refs[i]}", params={"policy": policy})
            client.close()

    threading.Thread(target=client_side, daemon=True).start()

    async def serve() -> None:
        # One profiler per kind of request, switched on in the serving thread.
        task = asyncio.create_task(server.serve())
        active: cProfile.Profile | None = None
        while not task.done():
            wanted = current[0] if current else None
            if wanted is not active:
                if active is not None:
                    active.disable()
                if wanted is not None:
                    wanted.enable()
                active = wanted
            await asyncio.sleep(0.01)
        if active is not None:
            active.disable()

    asyncio.run(serve())
    for name, profiler in profiles.items():
        print(f"\n==== {name} ====")
        # The application's own functions first, then everything by cumulative time.
        pstats.Stats(profiler).sort_stats("cumulative").print_stats("utilcredit", 40)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


# ---- main -------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "out" / "console")
    parser.add_argument("--subjects", type=int, default=3000)
    parser.add_argument("--policy", default="lianshui-water")
    parser.add_argument("--requests", type=int, default=30, help="timed requests of each kind")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    data = args.data.resolve()
    build_store(data, args.subjects)
    samples = prepare(data, args.policy, args.requests + args.warmup, args.seed)
    if args.profile:
        profile(data, samples[0], args.policy)
        return
    port = free_port()
    server = start_server(data, port)
    try:
        results = run(f"http://{HOST}:{port}", data, samples, args.policy, args.warmup, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"{'request':<58} {'n':>4} {'median':>9} {'p95':>9} {'max':>9} {'CPU/req':>9}")
    for name, row in results.items():
        cpu = f"{row['server_cpu_ms']:.1f}" if "server_cpu_ms" in row else ""
        print(
            f"{name:<58} {row['n']:>4} {row['median_ms']:>9.1f} {row['p95_ms']:>9.1f}"
            f" {row['max_ms']:>9.1f} {cpu:>9}"
        )
    print(f"goal: ≤ {GOAL_MS:.0f} ms; load average {os.getloadavg()[0]:.2f}")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "console_bench.json").write_text(
        json.dumps({"args": vars(args) | {"data": str(data)}, "results": results}, indent=2)
    )


if __name__ == "__main__":
    main()
