"""How an e-mail goes: the letter of one delivery to one contact, and the SMTP connection of a run.

A letter carries its delivery key in ``X-Registrar-Delivery`` and derives its ``Message-ID`` from
it (:func:`message_id`), so a delivery sent again after a lost record is recognisably the same
message. One connection serves a whole run of deliveries, opened when first needed (with
STARTTLS or implicit TLS, and a login, as the settings say) and reopened after an error.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import hashlib
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime
from types import TracebackType

from registrar.notifications.messages import Text
from registrar.settings import Smtp


def message_id(delivery_key: str, contact_id: int, sender: str) -> str:
    """The same delivery to the same contact always gets the same Message-ID, so a re-send is one message."""
    domain = sender.rpartition("@")[2] or "registrar.invalid"
    return f"<{hashlib.sha256(delivery_key.encode()).hexdigest()[:32]}.{contact_id}@{domain}>"


# Headers folded at SMTP's own limit: Python's folding at 78 columns drops the space between two
# encoded words of a long Cyrillic subject ("без удовлетворения" arrived as "безудовлетворения").
LETTERS = email.policy.default.clone(max_line_length=998)


def letter(text: Text, *, to: str, contact_id: int, delivery_key: str, topic: str, now: dt.datetime, smtp: Smtp) -> EmailMessage:
    """The e-mail of one delivery to one contact: ``text``, in the contact's language, marked with the delivery key."""
    message = EmailMessage(policy=LETTERS)
    message["From"] = smtp.sender
    message["To"] = to
    message["Subject"] = text.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(delivery_key, contact_id, smtp.sender)
    message["X-Registrar-Delivery"] = delivery_key
    message["X-Registrar-Topic"] = topic
    message.set_content(text.body + "\n")
    message["Content-Language"] = text.language  # after set_content, which clears the Content-* headers
    return message


class Mailer:
    """One SMTP connection for a run of deliveries, opened when first needed, reopened after an error."""

    def __init__(self, smtp: Smtp):
        self.smtp = smtp
        self.connection: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        cfg = self.smtp
        context = ssl.create_default_context()
        connection: smtplib.SMTP
        if cfg.ssl:
            connection = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout_seconds, context=context)
        else:
            connection = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds)
        try:
            connection.ehlo()
            if cfg.starttls and not cfg.ssl:
                connection.starttls(context=context)
                connection.ehlo()
            if cfg.username:
                connection.login(cfg.username, cfg.password)
        except BaseException:
            connection.close()
            raise
        return connection

    def send(self, message: EmailMessage, to: str) -> str:
        """What the server said of ``message``; an error it raises is the attempt's failure."""
        reused = self.connection is not None
        if self.connection is None:
            self.connection = self._connect()
        try:
            refused = self.connection.send_message(message, from_addr=self.smtp.sender, to_addrs=[to])
        except smtplib.SMTPServerDisconnected:
            self.close()
            if not reused:
                raise
            # The server dropped the connection kept from an earlier message: one fresh try.
            return self.send(message, to)
        except BaseException:
            self.close()
            raise
        if refused:
            return f"refused: {refused}"
        return f"accepted by {self.smtp.host}:{self.smtp.port}"

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                connection.close()
