"""Real receivers for the alert channels, on loopback: an SMTP server (aiosmtpd) that requires
STARTTLS with a certificate made for the test and authenticates one user, and an HTTP server
that takes webhook posts. Both keep what they received."""

from __future__ import annotations

import datetime as dt
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SMTP_USER = "alerts@example.org"
SMTP_PASSWORD = "pw-Sm7p-s3cr3t"
WEBHOOK_TOKEN = "T0000/B0000/w3bh00k-s3cr3t-t0k3n"


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made now (cryptography)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp.crt", folder / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SmtpReceiver:
    port: int
    ca_file: Path
    mails: list[EmailMessage] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    tls_sessions: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        implicit = server.transport.get_extra_info("ssl_object") is not None
        if session.ssl is not None or implicit:
            self.tls_sessions += 1
        mail = message_from_bytes(envelope.original_content, policy=policy.default)
        self.mails.append(mail)  # type: ignore[arg-type]
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any):
        from aiosmtpd.smtp import AuthResult

        login, password = data.login.decode(), data.password.decode()
        self.logins.append((login, password))
        return AuthResult(success=(login, password) == (SMTP_USER, SMTP_PASSWORD))

    def texts(self) -> list[str]:
        return [f"{m['Subject']}\n{m.get_content()}" for m in self.mails]


@contextmanager
def smtp_receiver(folder: Path, *, implicit_tls: bool = False) -> Iterator[SmtpReceiver]:
    """An SMTP server on loopback that refuses mail before STARTTLS and AUTH (or, with
    ``implicit_tls``, speaks TLS from the first byte, as on port 465)."""
    from aiosmtpd.controller import Controller

    cert, key = self_signed(folder)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    receiver = SmtpReceiver(_free_port(), cert)
    # aiosmtpd advertises AUTH "after TLS" only after STARTTLS: on an implicit-TLS connection
    # every byte is encrypted already.
    tls_mode: dict[str, Any] = (
        {"ssl_context": tls, "auth_require_tls": False}
        if implicit_tls
        else {"tls_context": tls, "require_starttls": True, "auth_require_tls": True}
    )
    controller = Controller(
        receiver,
        hostname="127.0.0.1",
        port=receiver.port,
        authenticator=receiver.authenticate,
        auth_required=True,
        **tls_mode,
    )
    controller.start()
    try:
        yield receiver
    finally:
        controller.stop()


@dataclass
class WebhookReceiver:
    url: str
    posts: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    status: int = 200

    def texts(self) -> list[str]:
        return [p["text"] for p in self.posts]


@contextmanager
def webhook_receiver(host: str = "127.0.0.1") -> Iterator[WebhookReceiver]:
    """An HTTP server (on loopback unless ``host`` says otherwise) taking JSON posts at
    ``/services/<token>``."""
    receiver = WebhookReceiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.paths.append(self.path)
            if receiver.status < 300:
                receiver.posts.append(json.loads(body))
            self.send_response(receiver.status)
            self.end_headers()
            self.wfile.write(b"ok" if receiver.status < 300 else b"invalid_token")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    receiver.url = f"http://{host}:{server.server_port}/services/{WEBHOOK_TOKEN}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def channels_on(folder: Path, monkeypatch: Any) -> Iterator[tuple[SmtpReceiver, WebhookReceiver]]:
    """Both receivers running and both channels turned on in the environment."""
    with smtp_receiver(folder) as smtp, webhook_receiver() as hook:
        for name, value in alert_env(smtp, hook).items():
            monkeypatch.setenv(name, value)
        yield smtp, hook


def fast_resources(data: Path, base_url: str, **over: Any) -> Any:
    """The code location's resources against the simulator, without politeness delays."""
    from sec_assets.resources import local_resources

    return local_resources(
        data,
        base_url=base_url,
        max_concurrency=8,
        requests_per_second=2000,
        max_attempts=2,
        backoff_initial_s=0.01,
        backoff_max_s=0.05,
        **over,
    )


def alert_env(smtp: SmtpReceiver, hook: WebhookReceiver) -> dict[str, str]:
    """The environment turning both channels on, as an operator's .env would."""
    return {
        "SEC_ALERT_SMTP_HOST": "127.0.0.1",
        "SEC_ALERT_SMTP_PORT": str(smtp.port),
        "SEC_ALERT_SMTP_SECURITY": "starttls",
        "SEC_ALERT_SMTP_USER": SMTP_USER,
        "SEC_ALERT_SMTP_PASSWORD": SMTP_PASSWORD,
        "SEC_ALERT_SMTP_CA_FILE": str(smtp.ca_file),
        "SEC_ALERT_EMAIL_FROM": "sec-assets@example.org",
        "SEC_ALERT_EMAIL_TO": "ops@example.org, research@example.org",
        "SEC_ALERT_WEBHOOK_URL": hook.url,
    }


SECRETS = [SMTP_PASSWORD, WEBHOOK_TOKEN, "w3bh00k-s3cr3t-t0k3n"]


class SensorTicks:
    """Evaluates one sensor again and again on a real instance, carrying its cursor as the
    daemon does."""

    def __init__(self, sensor: Any, instance: Any, resources: Any) -> None:
        self.sensor, self.instance, self.resources = sensor, instance, resources
        self.cursor: str | None = None

    def __call__(self) -> Any:
        import dagster as dg

        with dg.build_sensor_context(
            instance=self.instance, cursor=self.cursor, resources=self.resources
        ) as context:
            result = self.sensor(context)
        assert isinstance(result, dg.SensorResult)
        self.cursor = result.cursor
        return result


def received(smtp: SmtpReceiver, hook: WebhookReceiver) -> list[str]:
    """The subjects received, once checked that both channels got the same messages and that
    none carries a secret."""
    subjects = [str(m["Subject"]) for m in smtp.mails]
    assert [t.splitlines()[0] for t in hook.texts()] == subjects
    for text in [*smtp.texts(), *(json.dumps(p) for p in hook.posts)]:
        assert not any(s in text for s in SECRETS), text
    return subjects
