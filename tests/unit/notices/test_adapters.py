"""Channel adapters against real local servers (tests/support/channels.py), over real sockets."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from tests.support.channels import GatewayTestServer, SmtpTestServer
from utilcredit.config import NoticeSettings
from utilcredit.notices.adapters import (
    DEFAULT_TITLE,
    SmsGatewayAdapter,
    SmtpAdapter,
    WechatAdapter,
    adapters_from,
    message_id,
)
from utilcredit.notices.model import NoticeChannel, Outgoing

SENDER = "credit@utility.example.cn"
TOKEN = "s3cret-token"


def _email(
    key: str, to: str, body: str = "您的信用等级已调整。", title: str | None = None
) -> Outgoing:
    return Outgoing(key, NoticeChannel.EMAIL, to, body, title)


def _sms(key: str, to: str, body: str = "【提醒】请及时缴费。") -> Outgoing:
    return Outgoing(key, NoticeChannel.SMS, to, body)


def _closed_port() -> int:
    """A port nothing listens on: bound, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def smtp() -> Iterator[SmtpTestServer]:
    with SmtpTestServer() as server:
        yield server


@pytest.fixture
def mailer(smtp: SmtpTestServer) -> Iterator[SmtpAdapter]:
    # A working server answers at once; the margin is for a machine busy with other tests.
    with SmtpAdapter("127.0.0.1", smtp.port, SENDER, timeout=10.0) as adapter:
        yield adapter


@pytest.fixture
def gateway() -> Iterator[GatewayTestServer]:
    with GatewayTestServer(token=TOKEN) as server:
        yield server


@pytest.fixture
def sms(gateway: GatewayTestServer) -> Iterator[SmsGatewayAdapter]:
    with SmsGatewayAdapter(f"{gateway.url}/sms", TOKEN, "示范供水", timeout=2.0) as adapter:
        yield adapter


# --------------------------------------------------------------------------------------------
# SMTP
# --------------------------------------------------------------------------------------------


def test_smtp_sends_each_message_over_one_kept_connection(
    smtp: SmtpTestServer, mailer: SmtpAdapter
) -> None:
    first = mailer.send([_email("run:7:s1:reminder", "a@example.com", title="信用等级提醒")])
    second = mailer.send([_email("run:7:s2:reminder", "b@example.com")])

    assert [(o.key, o.status) for o in first + second] == [
        ("run:7:s1:reminder", "sent"),
        ("run:7:s2:reminder", "sent"),
    ]
    assert first[0].provider_ref == "<run%3A7%3As1%3Areminder@utilcredit>"
    a, b = smtp.messages
    assert (a["From"], a["To"], a["Subject"]) == (SENDER, "a@example.com", "信用等级提醒")
    assert a["Message-ID"] == first[0].provider_ref
    assert a["X-Utilcredit-Key"] == "run:7:s1:reminder"
    assert a.get_content().strip() == "您的信用等级已调整。"
    assert b["Subject"] == DEFAULT_TITLE
    peer_a, peer_b = smtp.peers
    assert peer_a == peer_b  # the same client port: no new connection for the second batch


def test_smtp_reconnects_when_the_server_dropped_the_connection(
    smtp: SmtpTestServer, mailer: SmtpAdapter
) -> None:
    assert mailer.send([_email("k1", "a@example.com")])[0].status == "sent"
    smtp.drop_connections()

    assert mailer.send([_email("k2", "b@example.com")])[0].status == "sent"
    first, second = smtp.peers
    assert first != second


def test_message_id_is_stable_and_valid_for_any_key() -> None:
    assert message_id("a:b") == message_id("a:b") != message_id("a:c")
    assert message_id("x..y 中") == "<x%2E%2Ey%20%E4%B8%AD@utilcredit>"


def test_smtp_refused_recipient_fails_alone(smtp: SmtpTestServer, mailer: SmtpAdapter) -> None:
    smtp.refuse = {"gone@example.com"}

    outcomes = mailer.send(
        [
            _email("k1", "a@example.com"),
            _email("k2", "gone@example.com"),
            _email("k3", "c@example.com"),
        ]
    )

    assert [o.status for o in outcomes] == ["sent", "failed", "sent"]
    assert outcomes[1].detail is not None and outcomes[1].detail.startswith("550")
    assert [m["To"] for m in smtp.messages] == ["a@example.com", "c@example.com"]


def test_smtp_451_retries_the_whole_batch_then_recovers(
    smtp: SmtpTestServer, mailer: SmtpAdapter
) -> None:
    smtp.down = True

    outcomes = mailer.send([_email("k1", "a@example.com"), _email("k2", "b@example.com")])

    assert [o.status for o in outcomes] == ["retry", "retry"]
    assert all(o.detail and "451" in o.detail for o in outcomes)
    assert smtp.messages == []
    smtp.down = False
    assert [o.status for o in mailer.send([_email("k1", "a@example.com")])] == ["sent"]


def test_smtp_server_not_running_is_retry() -> None:
    with SmtpAdapter("127.0.0.1", _closed_port(), SENDER, timeout=2.0) as adapter:
        outcomes = adapter.send([_email("k1", "a@example.com"), _email("k2", "b@example.com")])

    assert [(o.key, o.status) for o in outcomes] == [("k1", "retry"), ("k2", "retry")]
    assert all(o.detail and "ConnectionRefusedError" in o.detail for o in outcomes)


def test_smtp_header_injection_fails_without_sending(
    smtp: SmtpTestServer, mailer: SmtpAdapter
) -> None:
    outcomes = mailer.send([_email("k1", "a@example.com\r\nBcc: all@example.com")])

    assert outcomes[0].status == "failed"
    assert smtp.messages == []


# --------------------------------------------------------------------------------------------
# SMS gateway
# --------------------------------------------------------------------------------------------


def test_sms_accepted_with_provider_ids_and_bearer_token(
    gateway: GatewayTestServer, sms: SmsGatewayAdapter
) -> None:
    outcomes = sms.send([_sms("k1", "13800000001"), _sms("k2", "13800000002")])

    assert [(o.key, o.status) for o in outcomes] == [("k1", "sent"), ("k2", "sent")]
    assert [o.provider_ref for o in outcomes] == [gateway.sent_ids[k] for k in ("k1", "k2")]
    (request,) = gateway.requests
    assert request.path == "/sms"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.body == {
        "sign_name": "示范供水",
        "messages": [
            {"key": "k1", "to": "13800000001", "text": "【提醒】请及时缴费。"},
            {"key": "k2", "to": "13800000002", "text": "【提醒】请及时缴费。"},
        ],
    }


def test_sms_wrong_token_is_retry_not_the_customers_fault(gateway: GatewayTestServer) -> None:
    with SmsGatewayAdapter(f"{gateway.url}/sms", "wrong", "示范供水", timeout=2.0) as adapter:
        (outcome,) = adapter.send([_sms("k1", "13800000001")])

    assert outcome.status == "retry"
    assert outcome.detail is not None and "gateway refused the credentials" in outcome.detail
    assert gateway.sent == {}


def test_sms_rejected_number_fails_alone(
    gateway: GatewayTestServer, sms: SmsGatewayAdapter
) -> None:
    gateway.reject = {"13800000002"}

    outcomes = sms.send([_sms("k1", "13800000001"), _sms("k2", "13800000002")])

    assert [(o.status, o.detail) for o in outcomes] == [
        ("sent", None),
        ("failed", "invalid number"),
    ]
    assert set(gateway.sent) == {"k1"}


def test_sms_500_retries_every_message(gateway: GatewayTestServer, sms: SmsGatewayAdapter) -> None:
    gateway.fail_next = 1

    outcomes = sms.send([_sms("k1", "13800000001"), _sms("k2", "13800000002")])

    assert [o.status for o in outcomes] == ["retry", "retry"]
    assert all(o.detail and f"HTTP 500 from {gateway.url}/sms" in o.detail for o in outcomes)
    assert [o.status for o in sms.send([_sms("k1", "13800000001")])] == ["sent"]


def test_sms_gateway_down_or_gone_is_retry(
    gateway: GatewayTestServer, sms: SmsGatewayAdapter
) -> None:
    gateway.down = True
    (outcome,) = sms.send([_sms("k1", "13800000001")])
    assert (outcome.status, "HTTP 503" in (outcome.detail or "")) == ("retry", True)

    with SmsGatewayAdapter(f"http://127.0.0.1:{_closed_port()}/sms", TOKEN, "x") as adapter:
        (outcome,) = adapter.send([_sms("k1", "13800000001")])
    assert outcome.status == "retry"
    assert outcome.detail is not None and "ConnectError" in outcome.detail


def test_sms_message_missing_from_the_answer_is_retry(
    gateway: GatewayTestServer, sms: SmsGatewayAdapter
) -> None:
    gateway.omit = {"k2"}

    outcomes = sms.send([_sms("k1", "13800000001"), _sms("k2", "13800000002")])

    assert [o.status for o in outcomes] == ["sent", "retry"]


def test_sms_other_4xx_fails_with_the_body(gateway: GatewayTestServer) -> None:
    with SmsGatewayAdapter(f"{gateway.url}/nowhere", TOKEN, "x", timeout=2.0) as adapter:
        (outcome,) = adapter.send([_sms("k1", "13800000001")])

    assert outcome.status == "failed"
    assert outcome.detail is not None and "no such endpoint /nowhere" in outcome.detail


def test_same_key_twice_is_sent_once(gateway: GatewayTestServer, sms: SmsGatewayAdapter) -> None:
    (first,) = sms.send([_sms("k1", "13800000001")])
    (again,) = sms.send([_sms("k1", "13800000001")])

    assert (first.status, again.status) == ("sent", "sent")
    assert again.provider_ref == first.provider_ref
    assert list(gateway.sent) == ["k1"]
    assert gateway.duplicates == 1
    assert len(gateway.requests) == 2


# --------------------------------------------------------------------------------------------
# WeChat, and the adapters the settings make
# --------------------------------------------------------------------------------------------


def test_wechat_accepted(gateway: GatewayTestServer) -> None:
    message = Outgoing("k9", NoticeChannel.WECHAT, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "正文")
    with WechatAdapter(f"{gateway.url}/wechat", TOKEN, "tpl-1", timeout=2.0) as adapter:
        (outcome,) = adapter.send([message])

    assert outcome.status == "sent"
    assert outcome.provider_ref == gateway.sent_ids["k9"]
    (request,) = gateway.requests
    assert request.body == {
        "template_id": "tpl-1",
        "messages": [
            {
                "key": "k9",
                "touser": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
                "title": DEFAULT_TITLE,
                "text": "正文",
            }
        ],
    }


def test_adapters_from_settings_builds_the_configured_channels(
    gateway: GatewayTestServer,
) -> None:
    settings = NoticeSettings(
        _env_file=None,
        smtp_host=None,
        sms_url=f"{gateway.url}/sms",
        sms_token=SecretStr(TOKEN),
        wechat_url=None,
    )
    adapters = adapters_from(settings)
    try:
        assert set(adapters) == {NoticeChannel.SMS}
        sms = adapters[NoticeChannel.SMS]
        assert (sms.idempotent, sms.max_batch) == (True, 200)
        assert [o.status for o in sms.send([_sms("k1", "13800000001")])] == ["sent"]
    finally:
        for adapter in adapters.values():
            adapter.close()

    everything = adapters_from(
        NoticeSettings(
            _env_file=None,
            smtp_host="127.0.0.1",
            sms_url="http://127.0.0.1:9/sms",
            wechat_url="http://127.0.0.1:9/wechat",
        )
    )
    assert {c: (a.idempotent, a.max_batch) for c, a in everything.items()} == {
        NoticeChannel.EMAIL: (False, 50),
        NoticeChannel.SMS: (True, 200),
        NoticeChannel.WECHAT: (True, 200),
    }
    for adapter in everything.values():
        adapter.close()
