"""``GET /healthz``: open without log-in, ``ok`` per part or 503, and nothing about the set-up leaked."""
from __future__ import annotations

import socket

from flask.testing import FlaskClient

from shopcrm.config import load_config
from shopcrm.web import create_app


def _closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthy_without_redis_needs_no_login(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "off"}


def test_redis_checked_when_configured(config, redis_url: str) -> None:
    response = create_app(load_config()).test_client().get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok", "database": "ok", "redis": "ok"})


def test_unreachable_redis_answers_503_without_saying_where(config, monkeypatch) -> None:
    port = _closed_port()
    monkeypatch.setenv("REDIS_URL", f"redis://:hunter2@127.0.0.1:{port}/0")
    response = create_app(load_config()).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "ok", "redis": "error"}
    body = response.get_data(as_text=True)
    assert str(port) not in body and "hunter2" not in body


def test_unreachable_database_answers_503(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SHOPCRM_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'no such folder' / 'shopcrm.db'}")
    response = create_app(load_config()).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error", "redis": "off"}
    assert "no such folder" not in response.get_data(as_text=True)
