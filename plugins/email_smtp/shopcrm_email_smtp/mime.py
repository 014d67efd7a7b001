"""One outbox message as an email: UTF-8 subject and plain-text body (Chinese is encoded as MIME
requires), the sender, a ``Message-ID`` naming the outbox id, and the unsubscribe link both at
the end of the body and in the ``List-Unsubscribe`` headers (RFC 2369, with RFC 8058's one-click
``List-Unsubscribe-Post``), so mail programs can offer their own unsubscribe button."""
from __future__ import annotations

import datetime as dt
import email.policy
import secrets
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, Mapping

from shopcrm.channels import OutgoingMessage
from shopcrm_email_smtp.settings import DEFAULT_SUBJECT, DEFAULT_UNSUBSCRIBE_TEXT


def one_line(text: str) -> str:
    """``text`` on one line (a header cannot hold line breaks; a variable's value might)."""
    return " ".join(text.split())


def message_id(outbox_id: int, from_address: str) -> str:
    """``<shopcrm.<outbox id>.<random>@<sender's domain>>``: unique, and says which outbox row it is."""
    domain = from_address.rpartition("@")[2] or "localhost"
    return f"<shopcrm.{outbox_id}.{secrets.token_hex(6)}@{domain}>"


def build(message: OutgoingMessage, settings: Mapping[str, Any], unsubscribe_url: str,
          now: dt.datetime) -> EmailMessage:
    """The email for ``message`` (``now``: naive UTC, for the ``Date`` header)."""
    mail = EmailMessage(policy=email.policy.SMTP)
    from_address = str(settings["from_address"]).strip()
    subject = one_line(message.subject or "") or one_line(str(settings.get("default_subject") or DEFAULT_SUBJECT))
    mail["Subject"] = subject
    mail["From"] = Address(display_name=one_line(str(settings.get("from_name") or "")), addr_spec=from_address)
    mail["To"] = message.to
    if settings.get("reply_to"):
        mail["Reply-To"] = str(settings["reply_to"]).strip()
    mail["Date"] = format_datetime(now.replace(tzinfo=dt.timezone.utc))
    mail["Message-ID"] = message_id(message.id, from_address)
    mail["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    line = str(settings.get("unsubscribe_text") or DEFAULT_UNSUBSCRIBE_TEXT)
    mail.set_content(f"{message.text.rstrip()}\n\n--\n{line}{unsubscribe_url}\n", charset="utf-8")
    return mail
