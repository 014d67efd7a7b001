"""The API's views: push orders, customers and reviews, and the OpenAPI document."""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from shopcrm.api_records import parse_customer, parse_order, parse_review
from shopcrm.db import get_engine, utcnow
from shopcrm.labels import relabel_changed
from shopcrm.models import ApiToken
from shopcrm.sources import CustomerRecord, OrderRecord, ReviewRecord
from shopcrm.web.access import public
from shopcrm.web.api import problems
from shopcrm.web.api.auth import token_required
from shopcrm.web.api.openapi import openapi_document
from shopcrm.web.api.payload import parse_items, read_items
from shopcrm.web.api.upsert import upsert
from shopcrm.web.database import current_config

bp = Blueprint("api", __name__, url_prefix="/api/v1")
RELABEL_AFTER = dt.timedelta(seconds=5)
"""How long after a push its customers are relabelled (with RQ): the pushes of those seconds
share one run of the segmenters instead of one run each."""
problems.register(bp)


def _push(token: ApiToken, parse: Callable[[Any], OrderRecord | CustomerRecord | ReviewRecord]) -> ResponseReturnValue:
    """Read, check and save the request's items in the token's shop; answer the counts."""
    items = read_items(request)
    records, invalid = parse_items(items, parse)
    started = utcnow()
    stats = upsert(get_engine(current_config()), token.shop_id, records, invalid, len(items))
    if stats.inserted or stats.updated or stats.customers_inserted or stats.customers_updated:
        relabel_changed(current_config(), token.shop_id, started, defer=RELABEL_AFTER)
    return jsonify(inserted=stats.inserted, updated=stats.updated, unchanged=stats.unchanged)


@bp.post("/orders")
@token_required
def orders(token: ApiToken) -> ResponseReturnValue:
    return _push(token, parse_order)


@bp.post("/customers")
@token_required
def customers(token: ApiToken) -> ResponseReturnValue:
    return _push(token, parse_customer)


@bp.post("/reviews")
@token_required
def reviews(token: ApiToken) -> ResponseReturnValue:
    return _push(token, parse_review)


@bp.get("/openapi.json")
@public
def openapi() -> ResponseReturnValue:
    return jsonify(openapi_document())
