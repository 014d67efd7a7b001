"""A real SMTP server for the email channel's tests: aiosmtpd, in this process on a free port,
keeping what it receives and answering chosen recipients as a test scripts it."""
from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Iterable

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy.orm import Session

from shopcrm.models import Customer, Shop

USER = "shop@example.com"
PASSWORD = "s3cret-pass"
PUBLIC_URL = "http://crm.test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        return str(self.message.get_content()).replace("\r\n", "\n")


@dataclass
class Handler:
    """Answers ``RCPT`` for a scripted address with its scripted replies, one per try (then it
    accepts), accepts the rest, and keeps every message."""

    script: dict[str, list[str]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    data_delay: float = 0.0

    def answer(self, address: str, *replies: str) -> None:
        self.script[address] = list(replies)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        replies = self.script.get(address)
        if replies:
            return replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER \
                and auth_data.password.decode() == PASSWORD:
            self.logins.append(USER)
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


def start_server(handler: Handler, **options: Any) -> Controller:
    """aiosmtpd on 127.0.0.1 and a free port, requiring a log-in (allowed without TLS here)."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), authenticator=handler.authenticate,
                            auth_required=True, auth_require_tls=False, **options)
    controller.start()
    return controller


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made here (no network, no files shipped)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def server_tls(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def settings_for(controller: Controller, **overrides: str) -> dict[str, str]:
    """The channel's settings (as the settings form posts them) for ``controller``."""
    return {"host": "127.0.0.1", "port": str(controller.port), "security": "none", "username": USER,
            "password": PASSWORD, "from_address": "shop@example.com", "from_name": "小店旗舰店",
            "reply_to": "service@example.com", "public_url": PUBLIC_URL, "timeout": "10", **overrides}


def make_email_shop(session: Session, emails: Iterable[str | None], name: str = "邮件测试店") -> tuple[int, list[int]]:
    """A shop with one customer per email (nick ``buyer<i>``, name ``顾客<i>``, a valid mobile each)
    and no quiet hours, so what is sent does not depend on the hour the tests run;
    ``(shop id, customer ids)``."""
    from shopcrm import sending_policy

    shop = Shop(name=name, sms_signature="小店", timezone="Asia/Shanghai")
    session.add(shop)
    session.flush()
    sending_policy.save(session, shop.id, {"quiet_start": 0, "quiet_end": 0})
    ids = []
    for i, address in enumerate(emails):
        mobile = f"1390000{i:04d}"
        customer = Customer(shop_id=shop.id, platform_id=f"buyer{i}", name=f"顾客{i}", mobile=mobile,
                            mobile_tail=mobile[-4:], sms_reachable=True, email=address, order_count=1)
        session.add(customer)
        session.flush()
        ids.append(customer.id)
    session.commit()
    return shop.id, ids
