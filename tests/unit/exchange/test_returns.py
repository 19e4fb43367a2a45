"""The platform's returned-error file read strictly: each bad file is a clear error."""

from __future__ import annotations

import pytest

from tests.support.platform import returned_file
from utilcredit.exchange.returns import ReturnedError, ReturnedFileError, parse

ERRORS = [(1, "E101", "统一社会信用代码未登记"), (3, "E205", "缴费日期晚于报送日")]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_utf8_and_gb18030_files_read_alike(encoding: str) -> None:
    got = parse(returned_file(ERRORS, encoding=encoding))
    assert got == [ReturnedError(*e) for e in ERRORS]


def test_english_headers_and_merged_messages_of_one_row_and_code() -> None:
    raw = "row,error_code,message\r\n2,E1,甲\r\n2,E1,乙\r\n2,E1,甲\r\n2,E2,丙\r\n".encode()
    assert parse(raw) == [ReturnedError(2, "E1", "甲；乙"), ReturnedError(2, "E2", "丙")]


def test_a_header_only_file_returns_nothing() -> None:
    assert parse(returned_file([])) == []


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        (b"", "empty"),
        (returned_file(ERRORS)[:-9], "truncated"),  # cut inside the last line
        (returned_file(ERRORS, encoding="gb18030")[:-3], "truncated"),  # inside a character
        ("行号,错误代码,错误信息\r\n1,E1\r\n".encode(), "expected 3 fields"),
        ('行号,错误代码,错误信息\r\n1,E1,"未结束\r\n'.encode(), "truncated or malformed"),
        (returned_file(ERRORS, encoding="utf-16"), "UTF-16"),
        (b"a\x80b\r\n", "neither UTF-8 nor GB18030"),
        ("行號,錯誤代碼,錯誤訊息\r\n1,E1,x\r\n".encode("big5"), "wrong encoding"),
        ("行号,错误代码,错误信息\r\n第一行,E1,x\r\n".encode(), "not a row number"),
        ("行号,错误代码,错误信息\r\n0,E1,x\r\n".encode(), "not a row number"),
        ("行号,错误代码,错误信息\r\n1,,x\r\n".encode(), "error code"),
        ("序号,代码,信息\r\n1,E1,x\r\n".encode(), "header"),
    ],
)
def test_a_bad_file_is_refused_with_its_reason(raw: bytes, said: str) -> None:
    with pytest.raises(ReturnedFileError) as refused:
        parse(raw)
    assert said in str(refused.value) and refused.value.field == "file"


def test_fewer_lines_than_the_platform_announced_is_a_truncated_file() -> None:
    raw = returned_file(ERRORS)
    assert len(parse(raw, expected=2)) == 2
    with pytest.raises(ReturnedFileError, match="announced 3"):
        parse(raw, expected=3)
