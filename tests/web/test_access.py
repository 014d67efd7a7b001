"""Every page needs a log-in, and the admin pages need the admin role."""
from __future__ import annotations

from typing import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from shopcrm.models import User
from web_support import csrf_token, text

SAMPLE_VALUES: dict[str, object] = {"integer": 1, "float": 1.0, "uuid": "00000000-0000-0000-0000-000000000001"}
PUBLIC_ENDPOINTS = {"auth.login", "api.openapi", "health.healthz"}  # the API description and the health check (ok/error only: tests/web/test_health.py)
REFUSALS = {401, 403, 404, 405}


def sample_url(app: Flask, rule: Rule) -> str:
    """The rule's URL with every variable filled with a sample value for its converter."""
    values = {}
    for name, converter in rule._converters.items():  # werkzeug keeps them only here
        kind = type(converter).__name__.removesuffix("Converter").lower()
        values[name] = SAMPLE_VALUES.get(kind, "sample")
    adapter = app.url_map.bind("localhost")
    return adapter.build(rule.endpoint, values, method=sorted(rule.methods or {"GET"})[0])


def walked_rules(app: Flask) -> Iterator[tuple[Rule, str]]:
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        yield rule, sample_url(app, rule)


def test_the_walk_covers_every_area(app: Flask) -> None:
    endpoints = {rule.endpoint for rule, _url in walked_rules(app)}
    assert {"dashboard.index", "admin.plugins", "admin.users", "admin.settings", "jobs.progress",
            "jobs.progress_json", "account.language", "auth.logout"} <= endpoints


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_no_page_serves_anything_to_visitors_who_have_not_logged_in(
    app: Flask, client: FlaskClient, method: str
) -> None:
    walked = 0
    for rule, url in walked_rules(app):
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        response = client.open(url, method=method)
        walked += 1
        if response.status_code in (301, 302, 303, 307, 308):
            location = urlsplit(response.headers["Location"])
            assert location.path == "/login", (method, url, response.headers["Location"])
        else:
            assert response.status_code in REFUSALS, (method, url, response.status_code)
    assert walked >= 10


def test_the_login_page_and_static_files_are_open(client: FlaskClient) -> None:
    assert client.get("/login").status_code == 200
    assert client.get("/static/css/shopcrm.css").status_code == 200
    assert client.get("/static/vendor/htmx.org-2.0.11/htmx.min.js").status_code == 200


def test_a_page_asked_for_before_logging_in_is_shown_after_it(
    client: FlaskClient, admin: User
) -> None:
    response = client.get("/admin/users")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/login?next=")
    page = text(client.get(login_url))
    response = client.post(login_url, data={"username": "boss", "password": "correct-horse-1",
                                             "csrf_token": csrf_token(page)})
    assert response.headers["Location"] == "/admin/users"


def test_an_htmx_request_without_a_session_is_sent_to_the_login_page_whole(
    client: FlaskClient,
) -> None:
    response = client.get("/jobs/1", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


ADMIN_PAGES = ["/admin/plugins", "/admin/users", "/admin/settings"]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_viewers_and_operators_are_refused_admin_pages(
    login_as: Callable[[User], FlaskClient], viewer: User, operator: User, url: str
) -> None:
    for user in (viewer, operator):
        response = login_as(user).get(url)
        assert response.status_code == 403, (user.role, url)
        assert "无权访问" in text(response)


def test_viewers_are_refused_every_admin_action(
    app: Flask, login_as: Callable[[User], FlaskClient], viewer: User, admin: User
) -> None:
    client = login_as(viewer)
    token = csrf_token(text(client.get("/")))
    admin_rules = [rule for rule, _url in walked_rules(app) if rule.endpoint.startswith("admin.")]
    assert len(admin_rules) >= 6
    for rule in admin_rules:
        url = sample_url(app, rule).replace("/1/", f"/{admin.id}/")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"csrf_token": token, "role": "viewer",
                                                              "active": "0"})
            assert response.status_code == 403, (method, url, response.status_code)


@pytest.mark.parametrize("url", ["/", *ADMIN_PAGES])
def test_admins_open_every_page(admin_client: FlaskClient, url: str) -> None:
    assert admin_client.get(url).status_code == 200


def test_operators_and_viewers_see_only_the_dashboard_in_the_menu(
    login_as: Callable[[User], FlaskClient], viewer: User
) -> None:
    page = text(login_as(viewer).get("/"))
    assert 'href="/"' in page
    assert "/admin/users" not in page
