"""The replies page: what customers answered by SMS, newest first.

Every role may read it. Each reply shows its time, the mobile (masked unless the role may see
it), the customer it came from, its channel, its text (escaped like every value on a page),
whether it is an opt-out by the shop's keywords, and the message it answered when the gateway
said which. Filters: only opt-outs or only other replies, and the last digits of a mobile; pages
are keyset pages (:func:`shopcrm.inbound.reply_page`).
"""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from shopcrm.inbound import KINDS, Kind, reply_page
from shopcrm.opt_outs import mobile_digits
from shopcrm.shops import default_shop
from shopcrm.web.database import db
from shopcrm.web.opt_out_forms import channel_label

bp = Blueprint("replies", __name__, url_prefix="/replies")

PAGE_SIZE = 50
KIND_LABELS = {"opt_out": _l("Opt-out replies only"), "other": _l("Other replies only")}
"""The filter's choices (:data:`shopcrm.inbound.KINDS`)."""


def _kind() -> Kind | None:
    raw = request.args.get("kind")
    for kind in KINDS:
        if raw == kind:
            return kind
    return None


@bp.route("/")
def index() -> ResponseReturnValue:
    session = db()
    shop_id = default_shop(session).id
    kind = _kind()
    digits = mobile_digits(request.args.get("q", "")[:30])
    after = request.args.get("after") or None
    page = reply_page(session, shop_id, kind, digits, after, PAGE_SIZE)
    session.commit()  # the default shop, when this visit created it
    params = {key: value for key, value in request.args.items() if key != "after" and value}
    return render_template("replies/index.html", page=page, kind=kind, digits=digits, params=params,
                           kinds=KIND_LABELS, first_page=after is None, channel_label=channel_label)
