"""Notices benchmark (issue 12): a run's notices planned, dispatched to the local test servers,
and letters rendered.

Usage (from the repository root)::

    .venv/bin/python bench/notices_bench.py --subjects 100000
    .venv/bin/python bench/notices_bench.py --subjects 20000 --letters 50 --out /tmp/nb --profile

Goals (issue 12): 100,000 notices planned from a run and dispatched to the local test servers,
≥ 2,000 notices/s for SMS and for e-mail on 2 cores; letters ≥ 20 PDFs/s per core.

1. **Store**: a fresh SQLite store (``utilcredit.schema.upgrade``) under ``--out`` (kept) or a
   temporary folder (removed), written in bulk (one executemany per table): ``--subjects``
   legal persons, each with a mobile number, a postal address, one water account and one
   unpaid bill that makes it red (every ``--red-every``-th subject: due 4 months before the
   as-of date) or yellow (the others: due 2.5 months before) under ``lianshui-water``. Every
   ``--email-every``-th yellow subject has an e-mail contact (``notice_contacts``) and opted out
   of SMS (``notice_opt_outs``), so the policy's yellow channels ``[sms, wechat, email]`` send
   it e-mail: the shipped policy, unchanged, plans SMS and e-mail from one run.
2. **Run and plan** (child process): the run is saved as ``utilcredit runs save`` saves it
   (``begin_run``, commit; then ``write_run`` with the fastest engine, ``choose_engine(AUTO)``,
   and ``planning.plan_run`` in the same transaction, commit). ``write_run``, ``plan_run`` and the
   commit are timed separately: notices planned/s is ``plan_run``'s.
3. **Dispatch** (child process, alone on its core as far as the OS lets it): the SMS/WeChat
   gateway (``tests.support.channels.GatewayTestServer``) and the SMTP server
   (``SmtpTestServer``) each run in a process of their own; ``dispatch_once`` is timed once
   with only the SMS adapter (it claims only SMS notices), then once with only the e-mail
   adapter, with the product's default settings (``batch_size`` 200, daily cap 3). The clock
   is fixed at 10:00 Asia/Shanghai on the planning day, so quiet hours never hold the SMS back
   whatever time the bench runs. At the end every key the servers received is compared with
   the notices the store marks ``sent``: each exactly once.
4. **Letters** (child process pinned to one CPU): ``--letters`` queued notice letters (书面告知函,
   each with its rating explained from the credit file) rendered one PDF per letter with
   ``letters.letter_pdf``, then all of them as one print-batch PDF with ``letters.batch_pdf``;
   one warm-up letter (WeasyPrint's import and fonts) is not counted.

Wall and CPU seconds and peak RSS (``VmHWM``) of every process. ``--profile`` runs planning,
dispatching and the letters under cProfile (slower: not for the figures) and prints the top
functions.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import multiprocessing
import os
import pstats
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.support.channels

from sqlalchemy import func, insert, select

from utilcredit import schema
from utilcredit.config import NoticeSettings
from utilcredit.customers.tables import AccountRow, BillRow, SubjectRow
from utilcredit.db import make_engine
from utilcredit.localtime import SHANGHAI
from utilcredit.notices import planning
from utilcredit.notices.tables import NoticeContactRow, NoticeOptOutRow, NoticeRow

POLICY = "lianshui-water"
AS_OF = dt.date(2026, 11, 20)
#: planning and sending at 10:00 in Shanghai (a Monday): outside quiet hours
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI).astimezone(dt.UTC)
TOKEN = "bench-token"
STORE_NAME = "notices-bench.db"


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def _peak_rss_mib() -> float:
    """This process's own peak RSS (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True, slots=True)
class Built:
    subjects: int
    red: int
    yellow_sms: int
    yellow_email: int
    seconds: float


@dataclass(frozen=True, slots=True)
class Planned:
    engine: str
    subjects_rated: int
    level_counts: dict[str, int]
    write_run_s: float
    planned: int
    by_channel: dict[str, int]
    unreachable: int
    plan_s: float
    commit_s: float
    cpu_s: float
    peak_rss_mib: float

    @property
    def per_second(self) -> float:
        return self.planned / self.plan_s if self.plan_s else 0.0


@dataclass(frozen=True, slots=True)
class Dispatched:
    channel: str
    queued: int
    claimed: int
    sent: int
    retried: int
    failed: int
    dead: int
    deferred: int
    seconds: float
    cpu_s: float
    peak_rss_mib: float
    rounds: int
    steps_s: dict[str, float]  # claim / send / record: wall seconds of the rounds' three steps
    server_cpu_s: float = 0.0

    @property
    def per_second(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


@dataclass(frozen=True, slots=True)
class Rendered:
    letters: int
    single_s: float
    single_cpu_s: float
    single_bytes: int
    batch_s: float
    batch_cpu_s: float
    batch_bytes: int
    batch_pages: int
    warmup_s: float
    cpu: int
    peak_rss_mib: float


@dataclass
class ServerStats:
    keys: Counter[str] = field(default_factory=Counter)  # key → times received
    duplicates: int = 0  # repeated keys the gateway answered without sending again
    requests: int = 0
    cpu_s: float = 0.0
    peak_rss_mib: float = 0.0


# --------------------------------------------------------------------------------------------
# 1. The store
# --------------------------------------------------------------------------------------------


def build_store(store: Path, subjects: int, red_every: int, email_every: int) -> Built:
    """``subjects`` water customers, each red or yellow under lianshui-water, in bulk."""
    started = time.perf_counter()
    engine = make_engine(f"sqlite:///{store}")
    schema.upgrade(engine)
    red_due = AS_OF - dt.timedelta(days=round(4 * 30.5))
    yellow_due = AS_OF - dt.timedelta(days=round(2.5 * 30.5))
    chunk = 20_000
    red = yellow_sms = yellow_email = 0
    yellow_seen = 0
    with engine.begin() as connection:
        for start in range(1, subjects + 1, chunk):
            numbers = range(start, min(start + chunk, subjects + 1))
            subject_rows, account_rows, bill_rows, contact_rows, opt_out_rows = [], [], [], [], []
            for n in numbers:
                subject_rows.append(
                    {
                        "id": n,
                        "code": f"91320826{n:09d}X",
                        "kind": "legal",
                        "name": f"涟水测试企业{n}有限公司",
                        "phone": f"138{n:08d}",
                        "address": f"涟水县安东北路{n}号",
                    }
                )
                account_rows.append(
                    {
                        "id": n,
                        "account_no": f"LS-{n:08d}",
                        "subject_id": n,
                        "utility": "water",
                        "opened_on": dt.date(2015, 1, 1),
                        "payment_mode": "postpaid",
                    }
                )
                is_red = n % red_every == 0
                due = red_due if is_red else yellow_due
                bill_rows.append(
                    {
                        "id": n,
                        "bill_no": f"B-{n:08d}",
                        "account_id": n,
                        "period_start": due - dt.timedelta(days=45),
                        "period_end": due - dt.timedelta(days=15),
                        "amount_fen": Decimal("1200.00"),  # the column (type: Money)
                        "due_on": due,
                    }
                )
                if is_red:
                    red += 1
                    continue
                yellow_seen += 1
                if yellow_seen % email_every == 0:
                    yellow_email += 1
                    contact_rows.append(
                        {
                            "subject_id": n,
                            "channel": "email",
                            "address": f"finance{n}@co{n}.example.cn",
                            "updated_by": "bench",
                            "updated_at": NOW,
                        }
                    )
                    opt_out_rows.append(
                        {
                            "subject_id": n,
                            "channel": "sms",
                            "reason": "客户要求电子邮件",
                            "recorded_by": "bench",
                            "recorded_at": NOW,
                        }
                    )
                else:
                    yellow_sms += 1
            connection.execute(insert(SubjectRow), subject_rows)
            connection.execute(insert(AccountRow), account_rows)
            connection.execute(insert(BillRow), bill_rows)
            if contact_rows:
                connection.execute(insert(NoticeContactRow), contact_rows)
                connection.execute(insert(NoticeOptOutRow), opt_out_rows)
    engine.dispose()
    return Built(subjects, red, yellow_sms, yellow_email, time.perf_counter() - started)


# --------------------------------------------------------------------------------------------
# 2. The run and its notices
# --------------------------------------------------------------------------------------------


def _profiled(profile: Path | None, call: Any) -> Any:
    if profile is None:
        return call()
    profiler = cProfile.Profile()
    try:
        return profiler.runcall(call)
    finally:
        profiler.dump_stats(str(profile))


def _run_child(pipe: Pipe, store: str, profile: str | None) -> None:
    from utilcredit.policies.service import policy_at
    from utilcredit.rating.runs import service as runs
    from utilcredit.rating.sql.choice import AUTO, choose_engine

    engine = make_engine(f"sqlite:///{store}")
    loaded = policy_at(POLICY, AS_OF)
    sending = planning.Sending.of(NoticeSettings(_env_file=None))
    cpu = _cpu()
    with engine.connect() as connection:
        batch = choose_engine(AUTO, connection)
    with engine.begin() as connection:
        run_id = runs.begin_run(connection, loaded, AS_OF, engine=batch.name, actor="bench")
    with engine.connect() as connection, connection.begin() as transaction:
        started = time.perf_counter()
        header = runs.write_run(connection, run_id, loaded, batch)
        written = time.perf_counter()
        report = _profiled(
            Path(profile) if profile else None,
            lambda: planning.plan_run(connection, run_id, sending=sending, now=NOW),
        )
        planned = time.perf_counter()
        transaction.commit()
        committed = time.perf_counter()
    engine.dispose()
    by_channel = Counter(p.draft.channel.value for p in report.planned)
    pipe.send(
        Planned(
            batch.name,
            header.subjects,
            dict(header.level_counts),
            written - started,
            len(report.planned),
            dict(sorted(by_channel.items())),
            report.unreachable,
            planned - written,
            committed - planned,
            _cpu() - cpu,
            _peak_rss_mib(),
        )
    )


# --------------------------------------------------------------------------------------------
# 3. Dispatching, with the test servers in processes of their own
# --------------------------------------------------------------------------------------------


def _gateway_server(pipe: Pipe) -> None:
    from tests.support.channels import GatewayTestServer

    with GatewayTestServer(token=TOKEN) as gateway:
        pipe.send(gateway.url)
        while (command := pipe.recv()) == "cpu":
            pipe.send(_cpu())
        assert command == "stop"
        received = Counter(
            str(m["key"]) for r in gateway.requests for m in (r.body or {}).get("messages", ())
        )
        pipe.send(
            ServerStats(
                received,
                gateway.duplicates,
                len(gateway.requests),
                _cpu(),
                _peak_rss_mib(),
            )
        )


def _smtp_server(pipe: Pipe) -> None:
    from tests.support.channels import SmtpTestServer

    with SmtpTestServer() as smtp:
        pipe.send(smtp.port)
        while (command := pipe.recv()) == "cpu":
            pipe.send(_cpu())
        assert command == "stop"
        keys = Counter(str(m["X-Utilcredit-Key"]) for m in smtp.messages)
        pipe.send(ServerStats(keys, 0, 0, _cpu(), _peak_rss_mib()))


class Server:
    """A test server in a process of its own, driven over a pipe."""

    def __init__(self, target: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(target=target, args=(child,), daemon=True)
        self._process.start()
        child.close()
        self.address: Any = self._pipe.recv()

    def cpu(self) -> float:
        self._pipe.send("cpu")
        return float(self._pipe.recv())

    def stop(self) -> ServerStats:
        self._pipe.send("stop")
        stats: ServerStats = self._pipe.recv()
        self._process.join(timeout=30)
        return stats


def _channel_settings(channel: str, address: Any, batch_size: int | None) -> NoticeSettings:
    values: dict[str, Any] = {"_env_file": None}
    if channel == "sms":
        values |= {"sms_url": f"{address}/sms", "sms_token": TOKEN}
    else:
        values |= {"smtp_host": "127.0.0.1", "smtp_port": int(address)}
    if batch_size:
        values["batch_size"] = batch_size
    return NoticeSettings(**values)


def _dispatch_child(
    pipe: Pipe,
    store: str,
    channel: str,
    address: Any,
    batch_size: int | None,
    profile: str | None,
) -> None:
    from utilcredit.notices import dispatch as dispatcher
    from utilcredit.notices.adapters import adapters_from

    # where a round's time goes: the three steps, timed by wrapping the module's functions
    # (dispatch_once looks them up on every round; three clock reads per round)
    steps = {"claim": 0.0, "send": 0.0, "record": 0.0}
    rounds = 0

    def timed(name: str, step: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            nonlocal rounds
            rounds += name == "claim"
            started = time.perf_counter()
            try:
                return step(*args, **kwargs)
            finally:
                steps[name] += time.perf_counter() - started

        return call

    dispatcher._claim = timed("claim", dispatcher._claim)
    dispatcher._send = timed("send", dispatcher._send)
    dispatcher._record = timed("record", dispatcher._record)
    engine = make_engine(f"sqlite:///{store}")
    settings = _channel_settings(channel, address, batch_size)
    with engine.connect() as connection:
        queued = connection.execute(
            select(func.count()).where(NoticeRow.channel == channel, NoticeRow.status == "queued")
        ).scalar_one()
    adapters = adapters_from(settings)
    assert [c.value for c in adapters] == [channel], adapters
    cpu = _cpu()
    started = time.perf_counter()
    try:
        report = _profiled(
            Path(profile) if profile else None,
            lambda: dispatcher.dispatch_once(engine, adapters, settings, clock=lambda: NOW),
        )
    finally:
        for adapter in adapters.values():
            adapter.close()
    seconds = time.perf_counter() - started
    cpu = _cpu() - cpu
    engine.dispose()
    pipe.send(
        Dispatched(
            channel,
            queued,
            report.claimed,
            report.sent,
            report.retried,
            report.failed,
            report.dead,
            report.deferred,
            seconds,
            cpu,
            _peak_rss_mib(),
            rounds,
            steps,
        )
    )


def dispatch(
    store: Path, channel: str, server: Server, batch_size: int | None, profile: Path | None
) -> Dispatched:
    before = server.cpu()
    run: Dispatched = _in_child(
        _dispatch_child,
        str(store),
        channel,
        server.address,
        batch_size,
        str(profile) if profile else None,
    )
    return Dispatched(**{**asdict(run), "server_cpu_s": server.cpu() - before})


def sent_keys(store: Path, channel: str) -> set[str]:
    engine = make_engine(f"sqlite:///{store}")
    with engine.connect() as connection:
        keys = set(
            connection.scalars(
                select(NoticeRow.key).where(
                    NoticeRow.channel == channel, NoticeRow.status == "sent"
                )
            )
        )
    engine.dispose()
    return keys


def check_once(
    name: str, received: Counter[str], duplicates: int | None, expected: set[str]
) -> bool:
    """Every notice the store marks sent reached the server, exactly once, and nothing else
    (``duplicates``: repeated keys the gateway answered without sending; None for SMTP)."""
    twice = sum(1 for n in received.values() if n > 1)
    missing = len(expected - set(received))
    unexpected = len(set(received) - expected)
    ok = not (twice or missing or unexpected or duplicates)
    repeats = "" if duplicates is None else f", repeats the gateway did not send {duplicates}"
    print(
        f"{name}: {len(received):,} keys received for {len(expected):,} sent notices: "
        f"received more than once {twice}{repeats}, missing {missing}, "
        f"unexpected {unexpected} → {'OK' if ok else 'FAILED'}",
        file=sys.stderr,
    )
    return ok


# --------------------------------------------------------------------------------------------
# 4. Letters
# --------------------------------------------------------------------------------------------


def _letters_child(pipe: Pipe, store: str, count: int, profile: str | None) -> None:
    from pypdf import PdfReader

    from utilcredit.identifiers import MaskingRule
    from utilcredit.notices import letters
    from utilcredit.notices import repository as outbox
    from utilcredit.notices.repository import NoticeFilter

    cpus = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpus[-1]})  # one core
    engine = make_engine(f"sqlite:///{store}")
    rule = MaskingRule()
    today = NOW.astimezone(SHANGHAI).date()
    with engine.connect() as connection:
        queued = outbox.iter_notices(
            connection,
            NoticeFilter(utilities=["water"], statuses=["queued"], channels=["letter"]),
        )
        found = [n for _, n in zip(range(count + 1), queued, strict=False)]
        assert len(found) == count + 1, f"only {len(found)} letters queued"
        warm, chosen = found[0], found[1:]
        started = time.perf_counter()
        letters.letter_pdf(connection, warm, today, rule)
        warmup = time.perf_counter() - started

        cpu, started = _cpu(), time.perf_counter()
        sizes = _profiled(
            Path(profile) if profile else None,
            lambda: [len(letters.letter_pdf(connection, n, today, rule)) for n in chosen],
        )
        single_s, single_cpu = time.perf_counter() - started, _cpu() - cpu

        cpu, started = _cpu(), time.perf_counter()
        pdf = letters.batch_pdf(connection, "bench print batch", chosen, today, rule)
        batch_s, batch_cpu = time.perf_counter() - started, _cpu() - cpu
    engine.dispose()
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    pipe.send(
        Rendered(
            count,
            single_s,
            single_cpu,
            sum(sizes),
            batch_s,
            batch_cpu,
            len(pdf),
            pages,
            warmup,
            cpus[-1],
            _peak_rss_mib(),
        )
    )


# --------------------------------------------------------------------------------------------


def _in_child(target: Any, *args: Any) -> Any:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=target, args=(child, *args))
    process.start()
    child.close()
    while not parent.poll(1.0):
        if not process.is_alive():
            raise RuntimeError(f"{target.__name__} died (exit code {process.exitcode})")
    result = parent.recv()
    process.join()
    return result


def _top(profile: Path, title: str, limit: int = 25) -> None:
    out = io.StringIO()
    stats = pstats.Stats(str(profile), stream=out)
    stats.sort_stats("tottime").print_stats(limit)
    stats.sort_stats("cumulative").print_stats(limit)
    print(f"\n== cProfile: {title} ({profile}) ==\n{out.getvalue()}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--letters", type=int, default=100, help="letters rendered (0: none)")
    parser.add_argument("--out", type=Path, default=None, help="folder for the store (kept)")
    parser.add_argument("--red-every", type=int, default=10, help="every N-th subject red")
    parser.add_argument(
        "--email-every", type=int, default=3, help="every N-th yellow subject by e-mail"
    )
    parser.add_argument(
        "--batch-size", type=int, default=None, help="notices claimed at once (default: 200)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile planning, dispatch and letters"
    )
    args = parser.parse_args()

    folder = args.out or Path(tempfile.mkdtemp(prefix="notices-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    store = folder / STORE_NAME
    for old in folder.glob(STORE_NAME + "*"):  # this script's own files only
        old.unlink()
    profile = (lambda name: folder / f"{name}.prof") if args.profile else (lambda name: None)
    args.load_at_start = os.getloadavg()[0]
    try:
        built = build_store(store, args.subjects, args.red_every, args.email_every)
        print(json.dumps(asdict(built)), file=sys.stderr)
        planned: Planned = _in_child(_run_child, str(store), str(profile("plan") or "") or None)
        print(json.dumps(asdict(planned)), file=sys.stderr)

        gateway, smtp = Server(_gateway_server), Server(_smtp_server)
        try:
            sms = dispatch(store, "sms", gateway, args.batch_size, profile("dispatch-sms"))
            print(json.dumps(asdict(sms)), file=sys.stderr)
            email = dispatch(store, "email", smtp, args.batch_size, profile("dispatch-email"))
            print(json.dumps(asdict(email)), file=sys.stderr)
        finally:
            gateway_stats, smtp_stats = gateway.stop(), smtp.stop()
        checks = [
            check_once(
                "SMS gateway", gateway_stats.keys, gateway_stats.duplicates, sent_keys(store, "sms")
            ),
            check_once("SMTP server", smtp_stats.keys, None, sent_keys(store, "email")),
        ]
        rendered: Rendered | None = None
        if args.letters:
            rendered = _in_child(
                _letters_child, str(store), args.letters, str(profile("letters") or "") or None
            )
            print(json.dumps(asdict(rendered)), file=sys.stderr)
        report(args, built, planned, [sms, email], [gateway_stats, smtp_stats], checks, rendered)
        if args.profile:
            for name in ("plan", "dispatch-sms", "dispatch-email", "letters"):
                if (folder / f"{name}.prof").exists():
                    _top(folder / f"{name}.prof", name)
    finally:
        if args.out is None:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"store kept: {store}", file=sys.stderr)
    if not all(checks):
        raise SystemExit("a server did not receive every sent notice exactly once")


def report(
    args: argparse.Namespace,
    built: Built,
    planned: Planned,
    runs: list[Dispatched],
    servers: list[ServerStats],
    checks: list[bool],
    rendered: Rendered | None,
) -> None:
    cores = len(os.sched_getaffinity(0))
    note = " (under cProfile: not the figures)" if args.profile else ""
    print(
        f"\n{built.subjects:,} subjects ({built.red:,} red, {built.yellow_sms:,} yellow by SMS, "
        f"{built.yellow_email:,} yellow by e-mail), store written in {built.seconds:.1f} s; "
        f"{cores} cores, load average {args.load_at_start:.2f} at the start, "
        f"{os.getloadavg()[0]:.2f} at the end{note}\n"
    )
    print("| step | items | wall s | per s | CPU s | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    levels = ", ".join(f"{k} {v:,}" for k, v in sorted(planned.level_counts.items()) if v)
    print(
        f"| rate + write run ({planned.engine}; {levels}) | {planned.subjects_rated:,} subjects "
        f"| {planned.write_run_s:.2f} | {planned.subjects_rated / planned.write_run_s:,.0f} | | |"
    )
    channels = ", ".join(f"{k} {v:,}" for k, v in planned.by_channel.items())
    print(
        f"| **plan_run** ({channels}) | {planned.planned:,} notices | {planned.plan_s:.2f} "
        f"| **{planned.per_second:,.0f}** | | |"
    )
    print(
        f"| commit (run + notices) | | {planned.commit_s:.2f} | | {planned.cpu_s:.1f} "
        f"| {planned.peak_rss_mib:,.0f} |"
    )
    for run in runs:
        fails = f", retried {run.retried}, failed {run.failed}, dead {run.dead}"
        print(
            f"| **dispatch_once {run.channel}** (sent {run.sent:,} of {run.queued:,} queued"
            f"{fails}) | {run.sent:,} notices | {run.seconds:.2f} | **{run.per_second:,.0f}** "
            f"| {run.cpu_s:.1f} (server {run.server_cpu_s:.1f}) | {run.peak_rss_mib:,.0f} |"
        )

    if rendered is not None:
        print(
            f"| letters, one PDF each (`letter_pdf`, 1 core) | {rendered.letters} PDFs "
            f"| {rendered.single_s:.2f} | **{rendered.letters / rendered.single_s:,.1f}** "
            f"| {rendered.single_cpu_s:.1f} | {rendered.peak_rss_mib:,.0f} |"
        )
        print(
            f"| letters, one print batch (`batch_pdf`, 1 core; {rendered.batch_pages} pages, "
            f"{rendered.batch_bytes / 1e6:.1f} MB) | {rendered.letters} letters "
            f"| {rendered.batch_s:.2f} | {rendered.letters / rendered.batch_s:,.1f} "
            f"| {rendered.batch_cpu_s:.1f} | |"
        )
    print()
    for run in runs:
        split = ", ".join(
            f"{name} {seconds:.2f} s ({1e3 * seconds / max(run.claimed, 1):.2f} ms/notice)"
            for name, seconds in run.steps_s.items()
        )
        print(f"dispatch {run.channel}: {run.rounds} rounds; {split}")
    gateway, smtp = servers
    print(
        f"servers: gateway {len(gateway.keys):,} keys in {gateway.requests:,} requests, "
        f"CPU {gateway.cpu_s:.1f} s, peak RSS {gateway.peak_rss_mib:,.0f} MiB; "
        f"SMTP {sum(smtp.keys.values()):,} messages, CPU {smtp.cpu_s:.1f} s, "
        f"peak RSS {smtp.peak_rss_mib:,.0f} MiB; each key exactly once: "
        f"{'yes' if all(checks) else 'NO'}"
    )


if __name__ == "__main__":
    main()
