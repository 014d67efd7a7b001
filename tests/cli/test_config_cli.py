"""Settings from the environment that cannot be used stop a command at once, saying which."""
from __future__ import annotations

from click.testing import CliRunner

from shopcrm.cli import build_cli


def test_a_short_secret_key_stops_any_command(config, monkeypatch) -> None:
    monkeypatch.setenv("SHOPCRM_SECRET_KEY", "too-short")
    result = CliRunner().invoke(build_cli(), ["db", "status"])
    assert result.exit_code == 1
    assert "SHOPCRM_SECRET_KEY is too short (9 characters): use at least 32" in result.output


def test_serve_refuses_a_proxy_count_that_is_not_a_number(config, monkeypatch) -> None:
    monkeypatch.setenv("SHOPCRM_PROXIES", "yes")
    result = CliRunner().invoke(build_cli(), ["serve"])
    assert result.exit_code == 1
    assert "SHOPCRM_PROXIES must be a whole number of proxies (e.g. 1), not 'yes'" in result.output
