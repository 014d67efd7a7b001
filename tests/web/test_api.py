"""The JSON API: token auth, upserting orders and customers all or nothing, JSON errors naming
the field, and an OpenAPI document every real response is checked against."""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from shopcrm.api_tokens import create_token, revoke_token
from shopcrm.models import ApiToken, Customer, Order, OrderItem, Review, Shop
from shopcrm.shops import default_shop
from shopcrm.web.api import payload
from shopcrm.web.api.openapi import EXAMPLE_CUSTOMER, EXAMPLE_ORDER, EXAMPLE_REVIEW

ORDER = {
    "order_id": "T1001", "customer_id": "tb_a", "name": "张三", "mobile": "13800000000",
    "status": "WAIT_SELLER_SEND_GOODS", "paid_amount": "88.50",
    "created_at": "2026-11-11T00:01:02+08:00", "paid_at": "2026-11-11 00:02:00",
    "address": "浙江省 杭州市 西湖区", "items": [{"title": "杯子", "quantity": 2, "price": 44.25}],
}
CUSTOMER = {"customer_id": "tb_b", "name": "李雷", "mobile": "+86 139 0000 1111", "gender": "男",
            "tags": ["vip"]}


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


@pytest.fixture
def token(session: Session) -> str:
    new = create_token(session, default_shop(session).id, "ERP")
    session.commit()
    return new.token


def post(client: FlaskClient, path: str, body: Any, token: str | None, **headers: str) -> TestResponse:
    if token is not None:
        headers.setdefault("Authorization", f"Bearer {token}")
    return client.post(f"/api/v1{path}", data=json.dumps(body), content_type="application/json",
                       headers=headers)


def schema_validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """A validator for ``schema`` whose ``#/components/...`` references resolve in ``document``."""
    return Draft202012Validator({**schema, "components": document["components"]})


def check_response(document: dict[str, Any], path: str, response: TestResponse) -> Any:
    """The response's JSON, after checking its status is documented for ``path`` and its body
    follows the documented schema."""
    operation = document["paths"][path]["post"]
    documented = operation["responses"]
    assert str(response.status_code) in documented, (path, response.status_code, response.get_data())
    assert response.headers["Content-Type"] == "application/json"
    body = response.get_json()
    schema = documented[str(response.status_code)]["content"]["application/json"]["schema"]
    schema_validator(document, schema).validate(body)
    return body


def count(session: Session, model: type) -> int:
    session.rollback()  # see what the app committed since
    return session.scalar(select(func.count()).select_from(model)) or 0


# --- the document -----------------------------------------------------------------------------


def test_the_openapi_document_is_public_and_well_formed(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1.")
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        **document["components"]["securitySchemes"]["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert document["security"] == [{"bearerAuth": []}]
    for name, schema in document["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)
        schema_validator(document, schema)  # every reference inside resolves
    text = json.dumps(document)
    for ref in set(re.findall(r'"\$ref": "#/components/schemas/(\w+)"', text)):
        assert ref in document["components"]["schemas"], ref


def test_the_document_covers_every_route_of_the_api(app: Flask, document: dict[str, Any]) -> None:
    routes = {(rule.rule.removeprefix("/api/v1"), method.lower())
              for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routes == documented
    assert document["servers"] == [{"url": "/api/v1"}]


@pytest.mark.parametrize(("path", "schema", "example"), [("/orders", "Order", EXAMPLE_ORDER),
                                                          ("/customers", "Customer", EXAMPLE_CUSTOMER),
                                                          ("/reviews", "Review", EXAMPLE_REVIEW)])
def test_the_schemas_list_exactly_the_fields_the_api_accepts(
    client: FlaskClient, token: str, document: dict[str, Any], path: str, schema: str,
    example: dict[str, Any]
) -> None:
    if path == "/reviews":  # a review is of an order sent before
        assert post(client, "/orders", EXAMPLE_ORDER, token).status_code == 200
    response = post(client, path, {**example, "colour": "red"}, token)
    body = check_response(document, path, response)
    assert response.status_code == 422 and body["errors"][0]["field"] == "colour"
    accepted = re.search(r"\(fields of an? \w+: (.*)\)", body["errors"][0]["message"])
    assert accepted is not None
    properties = document["components"]["schemas"][schema]["properties"]
    assert set(properties) == set(accepted.group(1).split(", "))
    # and the example the document gives is valid and accepted
    schema_validator(document, {"$ref": f"#/components/schemas/{schema}"}).validate(example)
    assert check_response(document, path, post(client, path, example, token))["inserted"] == 1


def test_the_order_line_schema_lists_the_fields_of_an_order_line(
    client: FlaskClient, token: str, document: dict[str, Any]
) -> None:
    response = post(client, "/orders", {**ORDER, "items": [{"title": "x", "size": "L"}]}, token)
    body = check_response(document, "/orders", response)
    assert body["errors"][0]["field"] == "items[0].size"
    accepted = re.search(r"\(fields of an order line: (.*)\)", body["errors"][0]["message"])
    assert accepted is not None
    properties = document["components"]["schemas"]["OrderLine"]["properties"]
    assert set(properties) == set(accepted.group(1).split(", "))


def test_request_bodies_the_api_accepts_follow_the_schema(document: dict[str, Any]) -> None:
    body = document["paths"]["/orders"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    validator = schema_validator(document, body)
    validator.validate(ORDER)
    validator.validate([ORDER, {**ORDER, "order_id": 42, "paid_amount": 10}])
    assert not validator.is_valid({**ORDER, "colour": "red"})
    assert not validator.is_valid({key: value for key, value in ORDER.items() if key != "status"})
    customers = document["paths"]["/customers"]["post"]["requestBody"]["content"]["application/json"]
    schema_validator(document, customers["schema"]).validate([CUSTOMER, {"mobile": "13800000001"}])


# --- writing ----------------------------------------------------------------------------------


def test_posting_an_order_creates_the_order_and_its_customer(
    client: FlaskClient, token: str, document: dict[str, Any], session: Session
) -> None:
    response = post(client, "/orders", ORDER, token)
    assert response.status_code == 200
    assert check_response(document, "/orders", response) == {"inserted": 1, "updated": 0, "unchanged": 0}
    assert "Set-Cookie" not in response.headers  # no session is made for the API
    session.rollback()
    order = session.scalar(select(Order))
    assert order is not None and order.platform_order_id == "T1001"
    assert (order.status, order.source, str(order.paid_amount)) == ("paid", "api", "88.50")
    customer = session.get(Customer, order.customer_id)
    assert customer is not None
    assert (customer.platform_id, customer.name, customer.city) == ("tb_a", "张三", "杭州市")
    assert session.scalar(select(OrderItem.title).where(OrderItem.order_id == order.id)) == "杯子"
    assert session.scalar(select(ApiToken.last_used_at)) is not None


def test_a_posted_order_relabels_its_customer(
    client: FlaskClient, token: str, session: Session, config: Any
) -> None:
    from shopcrm.jobs import wait_for
    from shopcrm.models import CustomerLabel, JobRun

    assert post(client, "/orders", ORDER, token).status_code == 200
    session.rollback()
    run = session.scalar(select(JobRun).where(JobRun.kind == "labels.refresh"))
    assert run is not None and run.args["since"]
    assert wait_for(run.id, config, timeout=60)["status"] == "finished"
    session.rollback()
    stage = session.scalar(select(CustomerLabel.value).where(CustomerLabel.segmenter == "lifecycle"))
    assert stage == "新客"
    post(client, "/orders", ORDER, token)  # nothing changed: nothing more to relabel
    session.rollback()
    assert count(session, JobRun) == 1


def test_posting_the_same_order_again_changes_nothing(
    client: FlaskClient, token: str, document: dict[str, Any], session: Session
) -> None:
    assert post(client, "/orders", ORDER, token).status_code == 200
    again = check_response(document, "/orders", post(client, "/orders", ORDER, token))
    assert again == {"inserted": 0, "updated": 0, "unchanged": 1}
    assert count(session, Order) == 1


def test_an_order_s_parcel_is_stored_and_kept_when_left_out(
    client: FlaskClient, token: str, document: dict[str, Any], session: Session
) -> None:
    shipped = {**ORDER, "status": "shipped", "shipped_at": "2026-11-12 09:30:00", "carrier": "顺丰速运",
               "tracking_number": 735123456789}
    assert check_response(document, "/orders", post(client, "/orders", shipped, token))["inserted"] == 1
    signed = {key: value for key, value in shipped.items() if key not in ("carrier", "tracking_number", "shipped_at")}
    assert check_response(document, "/orders", post(client, "/orders", {**signed, "status": "signed"}, token))[
        "updated"] == 1
    session.rollback()
    order = session.scalars(select(Order)).one()
    assert (order.status, order.carrier, order.tracking_number) == ("signed", "顺丰速运", "735123456789")
    assert order.shipped_at == dt.datetime(2026, 11, 12, 1, 30)


def test_a_list_of_orders_inserts_new_ones_and_updates_changed_ones(
    client: FlaskClient, token: str, document: dict[str, Any], session: Session
) -> None:
    assert post(client, "/orders", ORDER, token).status_code == 200
    shipped = {**ORDER, "status": "WAIT_BUYER_CONFIRM_GOODS", "shipped_at": "2026-11-12T09:00:00+08:00"}
    second = {**ORDER, "order_id": "T1002", "customer_id": "tb_c", "mobile": None}
    body = check_response(document, "/orders", post(client, "/orders", [shipped, second], token))
    assert body == {"inserted": 1, "updated": 1, "unchanged": 0}
    session.rollback()
    assert session.scalar(select(Order.status).where(Order.platform_order_id == "T1001")) == "shipped"
    assert count(session, Customer) == 2


def test_customers_are_upserted(
    client: FlaskClient, token: str, document: dict[str, Any], session: Session
) -> None:
    other = {"mobile": "13800000009", "name": "无名"}
    body = check_response(document, "/customers", post(client, "/customers", [CUSTOMER, other], token))
    assert body == {"inserted": 2, "updated": 0, "unchanged": 0}
    body = check_response(document, "/customers", post(client, "/customers", [CUSTOMER, other], token))
    assert body == {"inserted": 0, "updated": 0, "unchanged": 2}
    changed = check_response(document, "/customers",
                             post(client, "/customers", {**CUSTOMER, "city": "苏州市"}, token))
    assert changed == {"inserted": 0, "updated": 1, "unchanged": 0}
    session.rollback()
    customer = session.scalar(select(Customer).where(Customer.platform_id == "tb_b"))
    assert customer is not None
    assert (customer.mobile, customer.gender, customer.city) == ("13900001111", "m", "苏州市")
    assert session.scalar(select(Customer.identity).where(Customer.name == "无名")) == "tel:13800000009"


def test_an_empty_list_changes_nothing(client: FlaskClient, token: str, document: dict[str, Any]) -> None:
    body = check_response(document, "/orders", post(client, "/orders", [], token))
    assert body == {"inserted": 0, "updated": 0, "unchanged": 0}


def test_orders_go_to_the_shop_of_the_token(client: FlaskClient, session: Session) -> None:
    default_shop(session)
    other = Shop(name="分店", sms_signature="")
    session.add(other)
    session.flush()
    new = create_token(session, other.id, "分店 ERP")
    session.commit()
    assert post(client, "/orders", ORDER, new.token).status_code == 200
    session.rollback()
    assert session.scalar(select(Order.shop_id)) == other.id


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "authentication required"),
        ("Basic dXNlcjpwYXNz", "must be: Bearer <token>"),
        ("Bearer ", "must be: Bearer <token>"),
        ("Bearer scrm_not-a-real-token", "unknown or has been revoked"),
        ("Bearer not-even-our-prefix", "unknown or has been revoked"),
    ],
)
def test_requests_without_a_valid_token_are_refused(
    client: FlaskClient, token: str, document: dict[str, Any], session: Session,
    header: str | None, message: str
) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = post(client, "/orders", ORDER, None, **headers)
    assert response.status_code == 401
    assert message in check_response(document, "/orders", response)["error"]
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="ShopCRM API"')
    assert count(session, Order) == 0


def test_a_revoked_token_is_refused(
    client: FlaskClient, token: str, document: dict[str, Any], session: Session
) -> None:
    row = session.scalar(select(ApiToken))
    assert row is not None and revoke_token(session, row.id, row.shop_id)
    session.commit()
    response = post(client, "/customers", CUSTOMER, token)
    assert response.status_code == 401
    body = check_response(document, "/customers", response)
    assert body["error"] == "the API token is unknown or has been revoked"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_logged_in_session_is_not_an_api_token(admin_client: FlaskClient) -> None:
    response = post(admin_client, "/orders", ORDER, None)
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"paid_amount": "lots"}, "paid_amount", "not an amount"),
        ({"status": "teleported"}, "status", "unknown order status"),
        ({"created_at": None}, "created_at", "missing"),
        ({"items": [{"quantity": 1}]}, "items[0].title", "needs a title"),
        ({"customer_id": None, "mobile": None}, "customer_id", "give a customer_id or a mobile"),
    ],
)
def test_an_invalid_order_is_refused_naming_the_field(
    client: FlaskClient, token: str, document: dict[str, Any], session: Session,
    change: dict[str, Any], field: str, message: str
) -> None:
    response = post(client, "/orders", {**ORDER, **change}, token)
    assert response.status_code == 422
    body = check_response(document, "/orders", response)
    assert body["errors"] == [{"index": 0, "field": field, "message": body["errors"][0]["message"]}]
    assert message in body["errors"][0]["message"]
    assert field in body["error"] and "nothing was saved" in body["error"]
    assert count(session, Order) == 0


def test_one_invalid_item_in_a_list_saves_nothing_and_every_invalid_item_is_named(
    client: FlaskClient, token: str, document: dict[str, Any], session: Session
) -> None:
    items = [ORDER, {**ORDER, "order_id": "T2", "paid_amount": "12,5x"}, "T3",
             {**ORDER, "order_id": "T4", "customer_id": None, "mobile": "12345"}]
    response = post(client, "/orders", items, token)
    assert response.status_code == 422
    body = check_response(document, "/orders", response)
    assert body["error"] == "3 of 4 items are invalid; nothing was saved"
    fields = [(e["index"], e["field"]) for e in body["errors"]]
    assert fields == [(1, "paid_amount"), (2, None), (3, "mobile")]
    assert body["errors"][1]["message"] == "expected an object, not string"
    assert "cannot tell who the customer is" in body["errors"][2]["message"]
    assert count(session, Order) == 0 and count(session, Customer) == 0


def test_an_unidentifiable_customer_saves_nothing(
    client: FlaskClient, token: str, document: dict[str, Any], session: Session
) -> None:
    response = post(client, "/customers", [CUSTOMER, {"mobile": "110", "name": "报警"}], token)
    body = check_response(document, "/customers", response)
    assert response.status_code == 422 and body["errors"][0]["index"] == 1
    assert count(session, Customer) == 0


def test_the_body_must_be_json(client: FlaskClient, token: str, document: dict[str, Any]) -> None:
    response = client.post("/api/v1/orders", data={"order_id": "1"},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 415
    assert "Content-Type: application/json" in check_response(document, "/orders", response)["error"]
    broken = client.post("/api/v1/orders", data="{not json", content_type="application/json",
                         headers={"Authorization": f"Bearer {token}"})
    assert broken.status_code == 400
    assert check_response(document, "/orders", broken)["error"].startswith("the body is not valid JSON")


@pytest.mark.parametrize("body", ["T1", 42, None, True])
def test_the_body_must_hold_objects(
    client: FlaskClient, token: str, document: dict[str, Any], body: Any
) -> None:
    response = post(client, "/orders", body, token)
    assert response.status_code == 422
    assert "must be an object or a list of objects" in check_response(document, "/orders", response)["error"]


def test_too_many_items_are_refused(client: FlaskClient, token: str, document: dict[str, Any]) -> None:
    response = post(client, "/customers", [CUSTOMER] * (payload.MAX_ITEMS + 1), token)
    assert response.status_code == 413
    assert f"at most {payload.MAX_ITEMS}" in check_response(document, "/customers", response)["error"]


def test_a_body_over_the_size_limit_is_refused(
    client: FlaskClient, token: str, document: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(payload, "MAX_BODY_BYTES", 200)
    response = post(client, "/orders", [ORDER, ORDER], token)
    assert response.status_code == 413
    assert check_response(document, "/orders", response)["error"] == "the request body is too large"


def test_orders_posted_raise_order_events(
    client: FlaskClient, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shopcrm import ingest

    events: list[str] = []
    monkeypatch.setattr(ingest.Ingestor, "_emit", lambda self, found: events.extend(e.kind for e in found))
    post(client, "/orders", ORDER, token)
    post(client, "/orders", ORDER, token)
    post(client, "/orders", {**ORDER, "status": "TRADE_FINISHED"}, token)
    assert events == ["order.created", "order.completed"]


def test_reviews_are_upserted_under_the_orders_buyer(
    client: FlaskClient, token: str, document: dict[str, Any], session: Session
) -> None:
    post(client, "/orders", ORDER, token)
    review = {"order_id": "T1001", "rating": "差评", "content": "发错颜色", "reviewed_at": "2026-11-13 20:00:00"}
    assert check_response(document, "/reviews", post(client, "/reviews", review, token)) == {
        "inserted": 1, "updated": 0, "unchanged": 0}
    assert check_response(document, "/reviews", post(client, "/reviews", [review], token))["unchanged"] == 1
    amended = {**review, "rating": 4, "is_bad": False}
    assert check_response(document, "/reviews", post(client, "/reviews", amended, token))["updated"] == 1
    session.rollback()
    stored = session.scalars(select(Review)).one()
    order = session.scalars(select(Order)).one()
    assert (stored.order_id, stored.customer_id, stored.rating, stored.is_bad, stored.content) == (
        order.id, order.customer_id, 4, False, "发错颜色")
    assert stored.created_at == dt.datetime(2026, 11, 13, 12, 0)  # shop time to UTC


def test_a_review_of_an_unknown_order_saves_nothing_and_names_the_field(
    client: FlaskClient, token: str, document: dict[str, Any], session: Session
) -> None:
    post(client, "/orders", ORDER, token)
    good = {"order_id": "T1001", "rating": 5, "reviewed_at": "2026-11-13T20:00:00+08:00"}
    response = post(client, "/reviews", [good, {**good, "order_id": "NOPE"}, {**good, "rating": 9}], token)
    body = check_response(document, "/reviews", response)
    assert response.status_code == 422
    assert body["errors"] == [
        {"index": 1, "field": "order_id",
         "message": "order NOPE is not in ShopCRM: import the orders before their reviews"},
        {"index": 2, "field": "rating", "message": "not a rating: '9' (give 1 to 5, or 好评, 中评, 差评)"},
    ]
    response = post(client, "/reviews", [good, {**good, "order_id": "NOPE"}], token)
    assert response.status_code == 422 and check_response(document, "/reviews", response)["errors"][0]["index"] == 1
    assert count(session, Review) == 0


# --- the guide --------------------------------------------------------------------------------

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"
CURL_EXAMPLE = re.compile(
    r"curl -sS https://crm\.example\.com/api/v1/(?P<path>\w+) \\\n.*?-d '(?P<body>.*?)'\n"
    r"(?P<answer>(?:#[^\n]*\n)+)", re.S)


def test_the_examples_of_the_guide_get_the_answers_it_shows(
    client: FlaskClient, token: str, document: dict[str, Any]
) -> None:
    examples = list(CURL_EXAMPLE.finditer(DOCS.read_text(encoding="utf-8")))
    assert len(examples) >= 4
    for example in examples:
        path = "/" + example["path"]
        response = post(client, path, json.loads(example["body"]), token)
        shown = [line[1:].strip() for line in example["answer"].splitlines()]
        status = int(shown.pop(0).split()[1]) if shown[0].startswith("HTTP ") else 200
        assert response.status_code == status, (path, response.get_json())
        assert check_response(document, path, response) == json.loads(" ".join(shown))
