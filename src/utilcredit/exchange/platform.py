"""The public credit platform's exchange API as this product speaks it (docs/exchange.md,
"The platform adapter"): push a batch's data file, ask for the platform's answer (its status
and the returned-error file), and fetch a subject's public credit report for a credit check.

The wire format (JSON, and multipart for the upload), relative to the configured base URL,
every request with ``Authorization: Bearer <token>``:

* ``POST batches`` — multipart: part ``meta`` (JSON: key, catalog, kind, rows, format,
  encoding, sha256, file_name) and part ``data`` (the data file as exported). Header
  ``Idempotency-Key: <the batch's key>``. Answer 201 (or 200 for a key already taken, with
  the first receipt): ``{"ref", "received_at", "rows", "duplicate"}``.
* ``GET batches/{ref}`` — ``{"ref", "status": "processing" | "answered", "rows", "returned"}``
  where ``returned`` counts the lines of the returned-error file.
* ``GET batches/{ref}/errors`` — the returned-error file (CSV, see ``exchange/returns.py``).
* ``GET reports/{code}`` — the subject's public credit report as JSON (``exchange/reports.py``);
  404 when the platform holds none.

A timeout, a lost connection, 408, 429 and 5xx are tried again (``retries`` times, with a short
pause); the upload carries its idempotency key every time, so a retry after an answer that
was lost never makes a second submission.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from utilcredit.config import ExchangeSettings
from utilcredit.errors import UpstreamError
from utilcredit.exchange.model import Batch
from utilcredit.outbound import BearerClient

#: Statuses worth another try: the platform may well answer the same request later.
_TRANSIENT = frozenset({408, 429}) | frozenset(range(500, 600))
_PAUSE_SECONDS = 0.2


class PlatformError(UpstreamError):
    """The platform could not be reached or refused the request; nothing was recorded here."""

    code = "platform_error"


class PlatformNotConfiguredError(PlatformError):
    code = "platform_not_configured"
    http_status = 503

    def __init__(self) -> None:
        super().__init__(
            "未配置公共信用平台地址（UTILCREDIT_EXCHANGE_PLATFORM_URL） / no platform URL is"
            " configured (UTILCREDIT_EXCHANGE_PLATFORM_URL)"
        )


@dataclass(frozen=True, slots=True)
class Receipt:
    ref: str
    received_at: str
    rows: int
    duplicate: bool  # the platform already held this key: the same submission, not a new one


@dataclass(frozen=True, slots=True)
class Answer:
    ref: str
    answered: bool  # False while the platform is still processing the batch
    rows: int
    returned: int  # lines of the returned-error file
    errors: bytes | None  # the returned-error file, when answered


def batch_key(batch: Batch, sha256: str) -> str:
    """The batch's idempotency key: the same batch (same id, same data file) is the same
    submission however often it is pushed; another store's batch of the same number is not."""
    return f"utilcredit-{batch.catalog}-{batch.id:06d}-{sha256[:16]}"


class PlatformClient(BearerClient):
    """A configured connection to the platform (``with PlatformClient(...) as client``)."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        timeout: float = 30.0,
        retries: int = 2,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.retries = retries
        super().__init__(self.base_url, token, timeout=timeout, base_url=self.base_url)

    def push(self, batch: Batch, data_file: Path, sha256: str) -> Receipt:
        """Upload the batch's data file under the batch's idempotency key."""
        key = batch_key(batch, sha256)
        meta = {
            "key": key,
            "catalog": batch.catalog,
            "kind": batch.kind,
            "rows": batch.rows,
            "format": batch.format,
            "encoding": batch.encoding,
            "sha256": sha256,
            "file_name": data_file.name,
        }

        def send() -> httpx.Response:
            with data_file.open("rb") as handle:  # reopened per try: httpx streams it
                return self._client.post(
                    "batches",
                    headers={"Idempotency-Key": key},
                    files={
                        "meta": (None, json.dumps(meta, ensure_ascii=False), "application/json"),
                        "data": (data_file.name, handle, "application/octet-stream"),
                    },
                )

        body = _object(self._call(f"报送批次 {batch.id} / push batch {batch.id}", send))
        try:
            return Receipt(
                ref=str(body["ref"]),
                received_at=str(body.get("received_at") or ""),
                rows=int(body.get("rows") or 0),
                duplicate=bool(body.get("duplicate")),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise PlatformError(f"平台回执无法解析 / unreadable receipt: {body!r}") from error

    def answer(self, platform_ref: str) -> Answer:
        """The platform's answer to a batch: still processing, or answered with its
        returned-error file."""
        what = f"查询批次 {platform_ref} / ask for batch {platform_ref}"
        body = _object(self._call(what, lambda: self._client.get(f"batches/{platform_ref}")))
        answered = body.get("status") == "answered"
        returned = int(body.get("returned") or 0)
        errors = None
        if answered:
            errors = self._call(
                what, lambda: self._client.get(f"batches/{platform_ref}/errors")
            ).content
        return Answer(platform_ref, answered, int(body.get("rows") or 0), returned, errors)

    def report(self, code: str) -> dict[str, Any]:
        """The subject's public credit report as the platform gives it (JSON object)."""
        what = f"查询信用报告 {code} / fetch the credit report of {code}"
        return _object(self._call(what, lambda: self._client.get(f"reports/{code}")))

    def _call(self, what: str, request: Any) -> httpx.Response:
        """One request, tried again on a transient failure; a clear error otherwise."""
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(_PAUSE_SECONDS * attempt)
            try:
                response: httpx.Response = request()
            except httpx.TimeoutException:
                problem = "平台响应超时 / the platform timed out"
                continue
            except httpx.HTTPError as error:
                problem = f"平台无法连接 / cannot reach the platform: {type(error).__name__}"
                continue
            if response.status_code in _TRANSIENT:
                problem = f"平台暂不可用 / the platform answered HTTP {response.status_code}"
                continue
            if response.status_code == 404:
                raise PlatformError(f"{what}：平台无此记录 / the platform has no such record")
            if response.status_code in (401, 403):
                raise PlatformError(
                    f"{what}：平台拒绝了凭据 / the platform refused the token"
                    f" (HTTP {response.status_code})"
                )
            if not 200 <= response.status_code < 300:
                raise PlatformError(
                    f"{what}：平台拒绝 / the platform refused it (HTTP {response.status_code}:"
                    f" {response.text[:200]})"
                )
            return response
        raise PlatformError(f"{what}：{problem}（已尝试 {self.retries + 1} 次 / tries）")


def client_from(settings: ExchangeSettings) -> PlatformClient:
    """The deployment's platform client; refused when no platform URL is configured."""
    if not settings.platform_url:
        raise PlatformNotConfiguredError()
    token = settings.platform_token.get_secret_value() if settings.platform_token else None
    return PlatformClient(
        settings.platform_url,
        token,
        timeout=settings.timeout_seconds,
        retries=settings.retries,
    )


def _object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise PlatformError(f"平台应答无法解析 / unreadable answer: {response.text[:200]}")
    return body
