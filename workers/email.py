"""Alert emails through SMTP_URL to ALERT_EMAILS, with smtplib.

SMTP_URL forms:
    smtp://user:pass@host:587?starttls=true   plain connection upgraded with STARTTLS
    smtps://user:pass@host:465                TLS from the first byte
    smtp://host:25                            no TLS, no login (a local relay)
A `from=` query parameter sets the sender (default: the user name when it is an address,
else contentbot@host). Special characters in the user or password are percent-encoded.

The password never reaches a log, an exception message or a repr: `SmtpServer` prints
without it, and smtplib's debug output (which would show the AUTH exchange) stays off.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from core.alert_lifecycle import ActionKind, Alert

log = logging.getLogger(__name__)

DEFAULT_PORTS = {("smtp", False): 25, ("smtp", True): 587, ("smtps", False): 465}
TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


class EmailError(RuntimeError):
    """The email could not be sent; the message names the server, never the password."""


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    implicit_tls: bool  # smtps://
    starttls: bool
    sender: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def __str__(self) -> str:
        scheme = "smtps" if self.implicit_tls else "smtp"
        user = f"{self.username}@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}{'?starttls=true' if self.starttls else ''}"


def parse_smtp_url(url: str) -> SmtpServer:
    try:
        parts = urlsplit(url.strip())
        port_given = parts.port
    except ValueError as exc:
        raise EmailError(
            f"SMTP_URL is not a URL like smtp://user:pass@host:587 ({_redact(str(exc))})"
        ) from None
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise EmailError("SMTP_URL must look like smtp://user:pass@host:port or smtps://user:pass@host:port")
    query = {name: values[-1].lower() for name, values in parse_qs(parts.query).items()}
    starttls_raw = query.get("starttls", "false")
    if starttls_raw not in TRUE + FALSE:
        raise EmailError(f"SMTP_URL: starttls={starttls_raw!r} should be true or false")
    implicit_tls = parts.scheme == "smtps"
    starttls = starttls_raw in TRUE
    if implicit_tls and starttls:
        raise EmailError("SMTP_URL: smtps:// is TLS already; starttls=true belongs to smtp://")
    username = unquote(parts.username) if parts.username else None
    sender_given = parse_qs(parts.query).get("from", [None])[-1]
    sender = sender_given or (username if username and "@" in username else f"contentbot@{parts.hostname}")
    return SmtpServer(
        host=parts.hostname,
        port=port_given or DEFAULT_PORTS[(parts.scheme, starttls)],
        implicit_tls=implicit_tls,
        starttls=starttls,
        sender=sender,
        username=username,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def _redact(text: str) -> str:
    # urlsplit's errors quote the netloc, which holds the password.
    return text.split("'")[0].strip() or "malformed address"


def alert_email(alert: Alert, kind: ActionKind, *, sender: str, recipients: Sequence[str]) -> EmailMessage:
    """The email for an alert that was opened, repeated or resolved."""
    if kind is ActionKind.RESOLVE:
        subject = f"[contentbot] Resolved: {alert.summary}"
        state = f"Resolved at {alert.resolved_at:%Y-%m-%d %H:%M UTC}." if alert.resolved_at else "Resolved."
    else:
        again = f" (reminder {alert.repeat_count})" if kind is ActionKind.REPEAT else ""
        subject = f"[contentbot {alert.severity.value}] {alert.summary}{again}"
        state = f"Firing since {alert.first_fired_at:%Y-%m-%d %H:%M UTC}."
    message = EmailMessage()
    message["Subject"] = " ".join(subject.split())[:200]
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="contentbot")
    message.set_content(
        f"{alert.summary}\n\n{state}\nSeverity: {alert.severity.value}\nRule: {alert.rule}\n"
        f"Alert key: {alert.key}\n\nAcknowledge, snooze or resolve it in Slack.\n"
    )
    return message


def send(
    server: SmtpServer,
    message: EmailMessage,
    *,
    timeout: float = 10,
    ssl_context: ssl.SSLContext | None = None,
) -> None:
    """Send one message; EmailError (naming the server, not the password) when it cannot."""
    context = ssl_context or ssl.create_default_context()
    try:
        smtp: smtplib.SMTP
        if server.implicit_tls:
            smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=timeout)
        with smtp:
            if server.starttls:
                smtp.starttls(context=context)
            if server.username is not None:
                smtp.login(server.username, server.password or "")
            refused = smtp.send_message(message)
    except smtplib.SMTPAuthenticationError as exc:
        raise EmailError(f"{server} refused the login (SMTP {exc.smtp_code})") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise EmailError(
            f"cannot send through {server}: {type(exc).__name__}: {_without(exc, server)}"
        ) from None
    if refused:
        log.warning("alert email: %s refused %s", server, ", ".join(sorted(refused)))
    log.info("alert email %r sent through %s", message["Subject"], server)


def _without(exc: BaseException, server: SmtpServer) -> str:
    text = str(exc)
    return text.replace(server.password, "***") if server.password else text


def send_alert_email(
    smtp_url: str,
    recipients: Sequence[str],
    alert: Alert,
    kind: ActionKind,
    *,
    ssl_context: ssl.SSLContext | None = None,
) -> None:
    if not recipients:
        raise EmailError("ALERT_EMAILS is empty: nobody to send the alert to")
    server = parse_smtp_url(smtp_url)
    send(
        server,
        alert_email(alert, kind, sender=server.sender, recipients=recipients),
        ssl_context=ssl_context,
    )
