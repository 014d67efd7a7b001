"""Handing a batch of emails to an SMTP server over one connection, and reading its answers.

SMTP has no way to ask later what became of a message, so each answer is final as far as it can be:

* the server accepts the message (``250`` after the data) -> ``accepted``, the ``Message-ID`` as
  gateway id;
* it refuses the sender, the recipient or the data with ``4xx`` (try later: greylisting, a full
  mailbox, too many messages) -> ``retry``; with ``5xx`` (no such mailbox, refused for good) ->
  ``rejected``; the code and the server's words are kept;
* the connection fails (it cannot be opened, TLS or log-in fails, it drops or times out) before
  the message's data was sent -> ``retry``, since the server cannot have it; after the data was
  sent but before the server answered -> ``unknown``: it may have queued the message, so it is
  not sent again, and ``Channel.query`` answers ``unknown`` (the default) until an operator looks.
  Messages of the batch not reached yet are ``retry``.

The data is sent with the commands ``MAIL``, ``RCPT`` and ``DATA`` one by one (rather than
``smtplib.SMTP.sendmail``) so that the moment the data leaves is known.
"""
from __future__ import annotations

import re
import smtplib
import ssl
from email.message import EmailMessage
from typing import Any, Mapping, Sequence

from shopcrm.channels import OutgoingMessage, SendResult, SendStatus

DEFAULT_TIMEOUT = 30.0
_CRLF = b"\r\n"


class _Lost(Exception):
    """The connection failed while a message was being handed over."""

    def __init__(self, error: BaseException, data_sent: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.data_sent = data_sent


def status_for(code: int) -> SendStatus:
    """``retry`` for a transient (4xx) refusal, ``rejected`` for any other."""
    return "retry" if 400 <= code < 500 else "rejected"


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _refused(message: OutgoingMessage, stage: str, code: int, reply: bytes | str) -> SendResult:
    return SendResult(message.id, status_for(code), error_code=f"smtp_{code}",
                      error=f"{stage} refused: {code} {_text(reply)}")


def connect(settings: Mapping[str, Any]) -> smtplib.SMTP:
    """An open, secured and logged-in connection as ``settings`` say."""
    host = str(settings["host"])
    port = int(settings.get("port") or 25)
    timeout = float(settings.get("timeout") or DEFAULT_TIMEOUT)
    security = settings.get("security") or "none"
    context = ssl.create_default_context(cafile=settings.get("ca_file") or None)
    smtp: smtplib.SMTP
    if security == "ssl":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    try:
        smtp.ehlo()
        if security == "starttls":
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.get("username"):
            smtp.login(str(settings["username"]), str(settings.get("password") or ""))
    except BaseException:
        smtp.close()
        raise
    return smtp


def _hand_over(smtp: smtplib.SMTP, sender: str, message: OutgoingMessage, mail: EmailMessage) -> SendResult:
    """One message through an open connection; :class:`_Lost` when the connection fails."""
    data_sent = False
    try:
        code, reply = smtp.mail(sender)
        if code != 250:
            smtp.rset()
            return _refused(message, "sender", code, reply)
        code, reply = smtp.rcpt(message.to)
        if code not in (250, 251):
            smtp.rset()
            return _refused(message, "recipient", code, reply)
        code, reply = smtp.docmd("DATA")
        if code != 354:
            smtp.rset()
            return _refused(message, "data", code, reply)
        payload = re.sub(rb"(?m)^\.", b"..", mail.as_bytes())
        if not payload.endswith(_CRLF):
            payload += _CRLF
        data_sent = True
        smtp.send(payload + b"." + _CRLF)
        code, reply = smtp.getreply()
    except (smtplib.SMTPServerDisconnected, OSError) as exc:
        raise _Lost(exc, data_sent) from exc
    if code != 250:
        return _refused(message, "message", code, reply)
    return SendResult(message.id, "accepted", gateway_id=str(mail["Message-ID"])[:100])


def deliver(settings: Mapping[str, Any], batch: Sequence[tuple[OutgoingMessage, EmailMessage]]) -> list[SendResult]:
    """Send ``batch`` over one connection; one result per message (see the module's docstring)."""
    if not batch:
        return []
    try:
        smtp = connect(settings)
    except smtplib.SMTPAuthenticationError as exc:
        return [SendResult(m.id, "retry", error_code=f"smtp_auth_{exc.smtp_code}",
                           error=f"the server refused the log-in: {exc.smtp_code} {_text(exc.smtp_error)}")
                for m, _mail in batch]
    except (smtplib.SMTPException, OSError) as exc:
        return [SendResult(m.id, "retry", error_code="smtp_connect",
                           error=f"could not connect to {settings.get('host')}: {type(exc).__name__}: {exc}")
                for m, _mail in batch]
    sender = str(settings["from_address"]).strip()
    results: list[SendResult] = []
    try:
        for index, (message, mail) in enumerate(batch):
            try:
                results.append(_hand_over(smtp, sender, message, mail))
            except _Lost as lost:
                error = f"{type(lost.error).__name__}: {lost.error}"
                results.append(SendResult(message.id, "unknown" if lost.data_sent else "retry",
                                          error_code="smtp_connection_lost", error=error))
                results += [SendResult(m.id, "retry", error_code="smtp_connection_lost",
                                       error=f"not sent: the connection was lost ({error})")
                            for m, _mail in batch[index + 1:]]
                return results
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
    return results
