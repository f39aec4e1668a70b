"""Alert emails sent to a real SMTP server on 127.0.0.1 (aiosmtpd), read as they arrived."""

from __future__ import annotations

import logging
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from core.alert_lifecycle import ActionKind, Alert, AlertState
from core.alerts import Route, Severity
from workers.email import EmailError, parse_smtp_url, send_alert_email

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PASSWORD = "s3cr%t-p@ss"
PASSWORD_IN_URL = "s3cr%25t-p%40ss"

ALERT = Alert(
    key="zero_views:post:12",
    rule="zero_views",
    subject="post:12",
    severity=Severity.CRITICAL,
    state=AlertState.FIRING,
    summary="Post 12 “kite day” on Air has 0 views 2 h after going public.",
    first_fired_at=T0,
    last_fired_at=T0,
    routes=(Route.CHANNEL, Route.EMAIL),
)


class Inbox:
    """aiosmtpd handler that keeps what arrived."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (
                envelope.mail_from,
                list(envelope.rcpt_tos),
                message_from_bytes(envelope.content, policy=policy.default),
            )
        )
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        ok = data.login == b"bot@example.test" and data.password == PASSWORD.encode()
        if ok:
            self.logins.append(data.login.decode())
        # handled=False: aiosmtpd then answers 535 itself, as a real server does.
        return AuthResult(success=ok, handled=False, auth_data=data)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=inbox.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    yield inbox, port
    controller.stop()


def test_an_alert_email_arrives(smtp_server: tuple[Inbox, int], caplog: pytest.LogCaptureFixture) -> None:
    inbox, port = smtp_server
    caplog.set_level(logging.DEBUG)
    url = f"smtp://bot%40example.test:{PASSWORD_IN_URL}@127.0.0.1:{port}"
    send_alert_email(url, ["oncall@example.test", "lead@example.test"], ALERT, ActionKind.OPEN)
    [(sender, recipients, message)] = inbox.messages
    assert inbox.logins == ["bot@example.test"]
    assert sender == "bot@example.test"
    assert recipients == ["oncall@example.test", "lead@example.test"]
    assert (
        message["Subject"]
        == "[contentbot critical] Post 12 “kite day” on Air has 0 views 2 h after going public."
    )
    body = message.get_content()  # type: ignore[attr-defined]
    assert "Alert key: zero_views:post:12" in body and "Firing since 2026-12-01 12:00 UTC" in body
    assert PASSWORD not in caplog.text and PASSWORD_IN_URL not in caplog.text
    assert f"smtp://bot@example.test@127.0.0.1:{port}" in caplog.text


def test_a_refused_login_names_the_server_not_the_password(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    with pytest.raises(EmailError) as caught:
        send_alert_email(
            f"smtp://bot%40example.test:wrong-pass@127.0.0.1:{port}",
            ["a@example.test"],
            ALERT,
            ActionKind.OPEN,
        )
    assert "refused the login (SMTP 535)" in str(caught.value) and "wrong-pass" not in str(caught.value)
    assert inbox.messages == []


def test_an_unreachable_server_is_an_email_error() -> None:
    with pytest.raises(
        EmailError, match=r"cannot send through smtp://u@127.0.0.1:\d+: ConnectionRefusedError"
    ):
        send_alert_email(
            f"smtp://u:{PASSWORD}@127.0.0.1:{free_port()}", ["a@example.test"], ALERT, ActionKind.OPEN
        )


def test_smtp_urls() -> None:
    server = parse_smtp_url(f"smtp://bot%40example.test:{PASSWORD_IN_URL}@mail.example.test?starttls=true")
    assert (server.host, server.port, server.starttls, server.implicit_tls) == (
        "mail.example.test",
        587,
        True,
        False,
    )
    assert server.password == PASSWORD and PASSWORD not in repr(server) and PASSWORD not in str(server)
    relay = parse_smtp_url("smtp://localhost?from=alerts@toys.test")
    assert (relay.port, relay.username, relay.sender) == (25, None, "alerts@toys.test")
    assert parse_smtp_url("smtps://u:p@mail.example.test").port == 465
    assert parse_smtp_url("smtps://u:p@mail.example.test").sender == "contentbot@mail.example.test"
    for bad, words in (
        ("http://mail.example.test", "must look like smtp://"),
        ("smtp://h?starttls=maybe", "starttls='maybe' should be true or false"),
        ("smtps://h?starttls=true", "smtps:// is TLS already"),
        (f"smtp://u:{PASSWORD}@h:notaport", "is not a URL"),
    ):
        with pytest.raises(EmailError, match=words) as caught:
            parse_smtp_url(bad)
        assert PASSWORD not in str(caught.value)


def test_a_resolved_alert_says_so(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    resolved = Alert(**{**ALERT.__dict__, "state": AlertState.RESOLVED, "resolved_at": T0})
    send_alert_email(f"smtp://127.0.0.1:{port}", ["a@example.test"], resolved, ActionKind.RESOLVE)
    [(sender, _, message)] = inbox.messages
    assert sender == "contentbot@127.0.0.1"
    assert message["Subject"].startswith("[contentbot] Resolved: Post 12")


@pytest.mark.skipif(
    shutil.which("openssl") is None, reason="needs the openssl command for a test certificate"
)
def test_starttls(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, tls_context=server_tls, require_starttls=True,
        authenticator=inbox.authenticate,
    )  # fmt: skip
    controller.start()
    try:
        url = f"smtp://bot%40example.test:{PASSWORD_IN_URL}@127.0.0.1:{port}?starttls=true"
        # The client trusts only this certificate: the upgrade really happened, and was checked.
        client_tls = ssl.create_default_context(cafile=str(cert))
        send_alert_email(url, ["oncall@example.test"], ALERT, ActionKind.REPEAT, ssl_context=client_tls)
        # Without STARTTLS this server offers no login at all.
        with pytest.raises(EmailError, match="SMTP AUTH extension not supported"):
            send_alert_email(url.removesuffix("?starttls=true"), ["x@example.test"], ALERT, ActionKind.OPEN)
    finally:
        controller.stop()
    [(_, _, message)] = inbox.messages
    assert inbox.logins == ["bot@example.test"]
    assert message["Subject"].endswith("(reminder 0)")
