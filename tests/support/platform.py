"""A local stand-in for the public credit platform's exchange API (the wire format of
``utilcredit.exchange.platform``), listening on 127.0.0.1 on a free port.

    with PlatformTestServer(token="t") as platform:
        platform.reject_rows = {1: ("E101", "统一社会信用代码未登记")}
        client = PlatformClient(platform.url, "t", timeout=2, retries=0)

It takes batch uploads (idempotent by key: a key it holds is answered with the first receipt
and counted in ``duplicates``, never stored twice), answers each batch with a returned-error
file naming the rows it was told to reject — ``reject_rows`` (row number → code, message; for
the next new batch only) and ``reject_values`` (any row holding that value, every batch) — and
serves public credit reports from ``reports`` by code. Faults: ``fail_next`` (500 to the next
N requests), ``delay`` (seconds to wait after recording a request and before answering: a
client with a shorter timeout gives up although the batch arrived), ``pending`` (batches are
"processing"), ``errors_encoding`` and ``truncate_errors`` (the returned file cut mid-line).
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from typing import Any

from tests.support.local_http import LocalHttpServer, QuietHandler

__all__ = ["PlatformTestServer", "Submission"]

PREFIX = "/api/v1"


@dataclass
class Submission:
    ref: str
    key: str
    meta: dict[str, Any]
    data: bytes
    rows: list[list[str]]
    received_at: str
    errors: list[tuple[int, str, str]] = field(default_factory=list)


class _Handler(QuietHandler):
    def _serve(self, method: str) -> None:
        platform: PlatformTestServer = self.owner()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, content_type, data = platform._answer(method, self.path, headers, body)
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up waiting (its timeout)

    def do_GET(self) -> None:  # noqa: N802 - http.server names its handlers so
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802 - http.server names its handlers so
        self._serve("POST")


def _json(status: int, body: Any) -> tuple[int, str, bytes]:
    return status, "application/json; charset=utf-8", json.dumps(body, ensure_ascii=False).encode()


class PlatformTestServer(LocalHttpServer):
    handler = _Handler
    thread_name = "platform-test-server"

    def __init__(self, token: str = "platform-token") -> None:
        super().__init__()
        self.token = token
        self.reject_rows: dict[int, tuple[str, str]] = {}
        self.reject_values: dict[str, tuple[str, str]] = {}
        self.reports: dict[str, dict[str, Any]] = {}
        self.fail_next = 0
        self.delay = 0.0
        self.pending = False
        self.errors_encoding = "utf-8-sig"
        self.truncate_errors = False
        self._lock = threading.Lock()
        self._by_key: dict[str, Submission] = {}
        self._by_ref: dict[str, Submission] = {}
        self._uploads = 0
        self._duplicates = 0

    @property
    def url(self) -> str:
        return f"{self.base_url}{PREFIX}"

    @property
    def submissions(self) -> list[Submission]:
        """Each batch once, in the order it arrived."""
        with self._lock:
            return list(self._by_key.values())

    @property
    def uploads(self) -> int:
        """Upload requests that reached the platform (duplicates included)."""
        with self._lock:
            return self._uploads

    @property
    def duplicates(self) -> int:
        with self._lock:
            return self._duplicates

    # ---- requests --------------------------------------------------------------------------

    def _answer(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, str, bytes]:
        with self._lock:
            answer = self._process(method, path, headers, body)
        if self.delay:
            time.sleep(self.delay)
        return answer

    def _process(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, str, bytes]:
        if self.fail_next > 0:
            self.fail_next -= 1
            return _json(500, {"error": "internal error"})
        if headers.get("authorization") != f"Bearer {self.token}":
            return _json(401, {"error": "invalid token"})
        if not path.startswith(PREFIX + "/"):
            return _json(404, {"error": f"no such endpoint {path}"})
        parts = path[len(PREFIX) + 1 :].split("/")
        if method == "POST" and parts == ["batches"]:
            return self._upload(headers, body)
        if method == "GET" and len(parts) == 2 and parts[0] == "batches":
            return self._status(parts[1])
        if method == "GET" and len(parts) == 3 and parts[0] == "batches" and parts[2] == "errors":
            return self._errors(parts[1])
        if method == "GET" and len(parts) == 2 and parts[0] == "reports":
            report = self.reports.get(parts[1])
            return _json(200, report) if report else _json(404, {"error": "no report"})
        return _json(404, {"error": f"no such endpoint {path}"})

    def _upload(self, headers: dict[str, str], body: bytes) -> tuple[int, str, bytes]:
        self._uploads += 1
        key = headers.get("idempotency-key")
        fields = _multipart(headers.get("content-type", ""), body)
        if not key or "meta" not in fields or "data" not in fields:
            return _json(400, {"error": "expected Idempotency-Key, meta and data"})
        known = self._by_key.get(key)
        if known is not None:
            self._duplicates += 1
            return _json(200, self._receipt(known, duplicate=True))
        meta = json.loads(fields["meta"])
        rows = _rows(fields["data"], str(meta.get("file_name", "")))
        if len(rows) != meta.get("rows"):
            return _json(400, {"error": f"meta says {meta.get('rows')} rows, file has {len(rows)}"})
        ref = f"PT{len(self._by_key) + 1:06d}"
        submission = Submission(ref, key, meta, fields["data"], rows, time.strftime("%FT%T"))
        submission.errors = self._errors_for(rows)
        self._by_key[key] = submission
        self._by_ref[ref] = submission
        return _json(201, self._receipt(submission, duplicate=False))

    def _errors_for(self, rows: list[list[str]]) -> list[tuple[int, str, str]]:
        chosen, self.reject_rows = dict(self.reject_rows), {}
        errors = [(n, code, message) for n, (code, message) in sorted(chosen.items())]
        for number, values in enumerate(rows, start=1):
            for value, (code, message) in self.reject_values.items():
                if value in values and number not in chosen:
                    errors.append((number, code, message))
        return sorted(errors)

    @staticmethod
    def _receipt(submission: Submission, *, duplicate: bool) -> dict[str, Any]:
        return {
            "ref": submission.ref,
            "received_at": submission.received_at,
            "rows": len(submission.rows),
            "duplicate": duplicate,
        }

    def _status(self, ref: str) -> tuple[int, str, bytes]:
        found = self._by_ref.get(ref)
        if found is None:
            return _json(404, {"error": "no batch"})
        return _json(
            200,
            {
                "ref": ref,
                "status": "processing" if self.pending else "answered",
                "rows": len(found.rows),
                "returned": len(found.errors),
            },
        )

    def _errors(self, ref: str) -> tuple[int, str, bytes]:
        found = self._by_ref.get(ref)
        if found is None:
            return _json(404, {"error": "no batch"})
        data = returned_file(found.errors, encoding=self.errors_encoding)
        if self.truncate_errors:
            data = data[: len(data) // 2 + 3]
        return 200, "text/csv; charset=utf-8", data


def returned_file(errors: list[tuple[int, str, str]], *, encoding: str = "utf-8-sig") -> bytes:
    """A returned-error file as the platform writes it (CRLF lines, as csv writes them)."""
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(["行号", "错误代码", "错误信息"])
    writer.writerows(errors)
    return text.getvalue().encode(encoding)


def _multipart(content_type: str, body: bytes) -> dict[str, bytes]:
    message = BytesParser(policy=policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    fields: dict[str, bytes] = {}
    if not message.is_multipart():
        return fields
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields[name] = payload
    return fields


def _rows(data: bytes, name: str) -> list[list[str]]:
    """The uploaded file's data rows (the header left out)."""
    if name.endswith(".json"):
        return [[str(v) for v in item.values()] for item in json.loads(data.decode("utf-8"))]
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True)
        values = [["" if v is None else str(v) for v in r] for r in book.worksheets[0].values]
        return values[1:]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030")
    return list(csv.reader(io.StringIO(text, newline="")))[1:]
