"""CSRF: every form and every htmx request that changes something needs the page's token."""
from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from shopcrm.models import User
from shopcrm.shops import default_shop
from web_support import csrf_token, page_token, text


def test_a_form_posted_without_its_token_is_refused(
    admin_client: FlaskClient, admin: User, session: Session
) -> None:
    response = admin_client.post("/admin/settings", data={"name": "被篡改", "sms_signature": "篡改"})
    assert response.status_code == 400
    assert "表单已过期" in text(response)
    session.rollback()  # end the read transaction: see what the app committed since
    assert default_shop(session).name != "被篡改"


def test_a_wrong_token_is_refused(admin_client: FlaskClient, admin: User, session: Session) -> None:
    response = admin_client.post("/account/language", data={"locale": "en", "csrf_token": "forged"})
    assert response.status_code == 400
    session.refresh(admin)
    assert admin.locale == "zh_CN"


def test_an_htmx_request_sends_the_token_in_a_header(
    admin_client: FlaskClient, admin: User, session: Session
) -> None:
    token = page_token(admin_client, "/")
    refused = admin_client.post("/account/language", data={"locale": "en"},
                                headers={"HX-Request": "true"})
    assert refused.status_code == 400
    accepted = admin_client.post("/account/language", data={"locale": "en"},
                                 headers={"HX-Request": "true", "X-CSRFToken": token})
    assert accepted.status_code == 302
    session.refresh(admin)
    assert admin.locale == "en"


def test_every_page_carries_the_token_for_htmx_and_the_script_that_sends_it(
    admin_client: FlaskClient,
) -> None:
    page = text(admin_client.get("/"))
    assert csrf_token(page)
    assert '<script src="/static/js/shopcrm.js" defer></script>' in page
    script = admin_client.get("/static/js/shopcrm.js").get_data(as_text=True)
    assert "htmx:configRequest" in script and "X-CSRFToken" in script
