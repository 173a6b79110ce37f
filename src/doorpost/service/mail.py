"""Sending an owner a link (an invitation, a password reset): one small interface, two
senders. With `DOORPOST_SMTP_URL` set (`smtp://user:password@host:587`, STARTTLS; or
`smtps://…:465`), mail goes out through that server; otherwise the link is written to the
operator's log, and `doorpost owner link ORG EMAIL` makes a fresh one on demand. The link
itself is a secret: it is never logged when mail goes out.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlsplit

log = logging.getLogger("doorpost.mail")


class Sender(Protocol):
    def send(self, to: str, subject: str, text: str, link: str) -> str:
        """Deliver; returns how, for the person who asked ("sent by email", …)."""


class LogSender:
    """No mail server: the operator reads the link in the log and passes it on."""

    def send(self, to: str, subject: str, text: str, link: str) -> str:
        log.warning("no DOORPOST_SMTP_URL: give %s this link (%s): %s", to, subject, link)
        return "written to the operator's log (no mail server is configured)"


class SmtpSender:
    def __init__(self, url: str, sender: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("DOORPOST_SMTP_URL must look like smtp://user:pass@host:587")
        self.host, self.tls = parts.hostname, parts.scheme == "smtps"
        self.port = parts.port or (465 if self.tls else 587)
        self.user = unquote(parts.username or "")
        self.password = unquote(parts.password or "")
        self.sender = sender

    def send(self, to: str, subject: str, text: str, link: str) -> str:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message.set_content(f"{text}\n\n{link}\n")
        context = ssl.create_default_context()
        if self.tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=15,
                                                    context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=15)
        with client:
            if not self.tls:
                client.starttls(context=context)
            if self.user:
                client.login(self.user, self.password)
            client.send_message(message)
        log.info("sent '%s' to %s", subject, to)
        return "sent by email"


def sender_from(smtp_url: str | None, mail_from: str) -> Sender:
    return SmtpSender(smtp_url, mail_from) if smtp_url else LogSender()
