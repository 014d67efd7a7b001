"""``SHOPCRM_PROXIES``: behind a proxy the visitor's address, scheme and host come from its
``X-Forwarded-*`` headers; without it those headers are ignored."""
from __future__ import annotations

import pytest
from flask import Flask, jsonify, request

from shopcrm.config import ConfigError, load_config
from shopcrm.web import create_app
from shopcrm.web.access import public

FORWARDED = {"X-Forwarded-For": "203.0.113.5", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "crm.example.com"}


def _with_probe(app: Flask) -> Flask:
    """The app with a public view answering what it sees of the request."""
    app.add_url_rule("/probe-request", "probe_request",
                     public(lambda: jsonify(url=request.url, remote=request.remote_addr, secure=request.is_secure)))
    return app


def test_headers_of_one_trusted_proxy_are_used(config, monkeypatch) -> None:
    monkeypatch.setenv("SHOPCRM_PROXIES", "1")
    seen = _with_probe(create_app(load_config())).test_client().get("/probe-request", headers=FORWARDED).get_json()
    assert seen == {"url": "https://crm.example.com/probe-request", "remote": "203.0.113.5", "secure": True}


def test_without_proxies_forwarded_headers_are_ignored(config) -> None:
    seen = _with_probe(create_app(config)).test_client().get("/probe-request", headers=FORWARDED).get_json()
    assert seen == {"url": "http://localhost/probe-request", "remote": "127.0.0.1", "secure": False}


def test_only_the_last_hop_is_trusted(config, monkeypatch) -> None:
    monkeypatch.setenv("SHOPCRM_PROXIES", "1")
    headers = {**FORWARDED, "X-Forwarded-For": "10.6.6.6, 203.0.113.5"}  # the first value is the client's claim
    seen = _with_probe(create_app(load_config())).test_client().get("/probe-request", headers=headers).get_json()
    assert seen["remote"] == "203.0.113.5"


def test_a_bad_count_is_refused(config, monkeypatch) -> None:
    monkeypatch.setenv("SHOPCRM_PROXIES", "nginx")
    with pytest.raises(ConfigError, match="SHOPCRM_PROXIES must be a whole number"):
        create_app(load_config())
