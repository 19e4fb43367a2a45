"""The platform adapter over real HTTP against the local test platform: uploads are
idempotent, transient failures are tried again under the same key, others are clear errors."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.platform import PlatformTestServer
from utilcredit.config import ExchangeSettings
from utilcredit.exchange.model import Batch
from utilcredit.exchange.platform import (
    PlatformClient,
    PlatformError,
    PlatformNotConfiguredError,
    batch_key,
    client_from,
)
from utilcredit.exchange.returns import parse

TOKEN = "t-123"
ROWS = "名称,代码\r\n甲公司,A1\r\n乙公司,B2\r\n"


@pytest.fixture
def platform() -> Iterator[PlatformTestServer]:
    with PlatformTestServer(token=TOKEN) as server:
        yield server


@pytest.fixture
def data(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "payments-20261130-000007.csv"
    path.write_bytes(ROWS.encode("utf-8-sig"))
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def a_batch(rows: int = 2) -> Batch:
    now = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    return Batch(
        7, "zhanjiang-2022", "payments", ",power,", "full", "created", now.date(), None, now,
        "csv", "utf-8-sig", rows, 0, [], "", "op", now, None, None, None, None,
    )  # fmt: skip


def client(
    platform: PlatformTestServer, *, timeout: float = 2.0, retries: int = 0
) -> PlatformClient:
    return PlatformClient(platform.url, TOKEN, timeout=timeout, retries=retries)


def test_a_push_is_received_once_however_often_it_is_sent(
    platform: PlatformTestServer, data: tuple[Path, str]
) -> None:
    with client(platform) as platform_client:
        first = platform_client.push(a_batch(), *data)
        again = platform_client.push(a_batch(), *data)
    assert (first.ref, first.rows, first.duplicate) == ("PT000001", 2, False)
    assert (again.ref, again.duplicate) == (first.ref, True)
    [submission] = platform.submissions
    assert submission.key == batch_key(a_batch(), data[1])
    assert submission.rows == [["甲公司", "A1"], ["乙公司", "B2"]]
    assert (platform.uploads, platform.duplicates) == (2, 1)


def test_the_answer_carries_the_returned_error_file(
    platform: PlatformTestServer, data: tuple[Path, str]
) -> None:
    platform.reject_values = {"B2": ("E101", "代码未登记")}
    with client(platform) as platform_client:
        receipt = platform_client.push(a_batch(), *data)
        platform.pending = True
        assert not platform_client.answer(receipt.ref).answered
        platform.pending = False
        answer = platform_client.answer(receipt.ref)
    assert answer.answered and answer.returned == 1 and answer.errors is not None
    [error] = parse(answer.errors, expected=answer.returned)
    assert (error.row, error.code, error.message) == (2, "E101", "代码未登记")


def test_a_500_is_tried_again_under_the_same_key(
    platform: PlatformTestServer, data: tuple[Path, str]
) -> None:
    platform.fail_next = 1
    with client(platform, retries=1) as platform_client:
        receipt = platform_client.push(a_batch(), *data)
    assert receipt.ref == "PT000001" and len(platform.submissions) == 1


def test_a_timeout_after_arrival_then_a_retry_gives_the_first_receipt(
    platform: PlatformTestServer, data: tuple[Path, str]
) -> None:
    platform.delay = 1.0
    with client(platform, timeout=0.3) as platform_client:
        with pytest.raises(PlatformError, match="timed out"):
            platform_client.push(a_batch(), *data)
        platform.delay = 0
        receipt = platform_client.push(a_batch(), *data)
    assert receipt.duplicate and len(platform.submissions) == 1


@pytest.mark.parametrize(
    ("fault", "said"), [("fail_next", "HTTP 500"), ("token", "refused the token")]
)
def test_failures_are_clear_errors(
    platform: PlatformTestServer, data: tuple[Path, str], fault: str, said: str
) -> None:
    if fault == "fail_next":
        platform.fail_next = 5
    else:
        platform.token = "another"
    with client(platform, retries=1) as platform_client, pytest.raises(PlatformError, match=said):
        platform_client.push(a_batch(), *data)
    assert platform.submissions == []


def test_reports_by_code_and_an_unknown_code(platform: PlatformTestServer) -> None:
    platform.reports["914403001922038216"] = {"subject_code": "914403001922038216", "rating": "A"}
    with client(platform) as platform_client:
        assert platform_client.report("914403001922038216")["rating"] == "A"
        with pytest.raises(PlatformError, match="no such record"):
            platform_client.report("91110108551385082Q")


def test_no_platform_url_is_a_clear_error() -> None:
    with pytest.raises(PlatformNotConfiguredError, match="UTILCREDIT_EXCHANGE_PLATFORM_URL"):
        client_from(ExchangeSettings(platform_url=None))
    assert "t-123" not in repr(
        client_from(ExchangeSettings(platform_url="http://x/", platform_token=TOKEN))
    )
