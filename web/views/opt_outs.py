"""The opt-outs page: who said stop on which channel, and the ways to change the list.

Every role sees the list (masked mobiles unless the role may see them), filtered by channel,
source and the last digits of a mobile, newest first in keyset pages, with its total.
Operators and administrators opt numbers out by hand and import lists; only administrators
opt a number back in (after a confirmation), edit the shop's opt-out keywords and download the
list. Every change is written to the audit log. The rules themselves live in
:mod:`shopcrm.opt_outs`.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from shopcrm import audit
from shopcrm.models import OptOut, User
from shopcrm.opt_outs import (SOURCES, ImportResult, ListFilter, count_opt_outs, import_list, keywords,
                              list_opt_outs, mobile_digits, opt_in, opt_out, save_keywords)
from shopcrm.shops import default_shop
from shopcrm.web import opt_out_export
from shopcrm.web.access import role_required
from shopcrm.web.app_config import MAX_REQUEST_BYTES
from shopcrm.web.database import db
from shopcrm.web.opt_out_forms import (ImportForm, KeywordsForm, OptOutForm, channel_choices, channel_label,
                                       file_lines, source_label, split_keywords)

bp = Blueprint("opt_outs", __name__, url_prefix="/opt-outs")

EDITOR_ROLE = "operator"
"""The lowest role that opts numbers out by hand and imports lists."""
OPT_IN_ROLE = "admin"
"""The lowest role that opts a number back in and edits the keywords."""
PAGE_SIZE = 50
BAD_LINES_SHOWN = 200
"""Bad lines of an import listed on the page; the rest are counted."""


def _shop_id() -> int:
    session = db()
    shop_id = default_shop(session).id
    session.commit()  # the default shop, when this visit created it
    return shop_id


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


def _filter() -> ListFilter:
    channel = request.args.get("channel") or None
    source = request.args.get("source") or None
    return ListFilter(channel=channel, source=source if source in SOURCES else None,
                      digits=mobile_digits(request.args.get("q", "")[:30]))


def _page(out_form: OptOutForm | None = None, import_form: ImportForm | None = None,
          keywords_form: KeywordsForm | None = None, imported: ImportResult | None = None,
          error: str | None = None, status: int = 200) -> ResponseReturnValue:
    """The page, with the forms the user's role may use (fresh unless given, as posted)."""
    shop_id = _shop_id()
    session = db()
    where = _filter()
    after = request.args.get("after", "")
    page = list_opt_outs(session, shop_id, where, int(after) if after.isdigit() else None, PAGE_SIZE)
    total = count_opt_outs(session, shop_id, where)
    may_edit, may_opt_in = current_user.can(EDITOR_ROLE), current_user.can(OPT_IN_ROLE)
    words = keywords(session, shop_id)
    if may_edit:
        out_form = out_form or OptOutForm(prefix="out", formdata=None)
        import_form = import_form or ImportForm(prefix="import", formdata=None)
    if may_opt_in and keywords_form is None:
        keywords_form = KeywordsForm(prefix="kw", formdata=None, data={"keywords": "\n".join(words)})
    params = {key: value for key, value in request.args.items() if key != "after" and value}
    context: dict[str, Any] = {
        "page": page, "total": total, "where": where, "params": params, "first_page": not after,
        "channels": channel_choices(), "sources": [(code, source_label(code)) for code in SOURCES],
        "channel_label": channel_label, "source_label": source_label, "keywords": words,
        "out_form": out_form if may_edit else None, "import_form": import_form if may_edit else None,
        "keywords_form": keywords_form if may_opt_in else None, "may_opt_in": may_opt_in,
        "may_export": current_user.can(opt_out_export.EXPORT_ROLE), "imported": imported,
        "bad_lines_shown": BAD_LINES_SHOWN, "error": error,
    }
    return render_template("opt_outs/index.html", **context), status


@bp.route("/")
def index() -> ResponseReturnValue:
    return _page()


@bp.route("/", methods=["POST"])
@role_required(EDITOR_ROLE)
def add() -> ResponseReturnValue:
    """Opt one number out of a channel by hand."""
    form = OptOutForm(prefix="out")
    if not form.validate_on_submit():
        return _page(out_form=form)
    shop_id = _shop_id()
    session = db()
    added = opt_out(session, shop_id, form.channel.data, form.mobile.data, "operator")
    audit.record(session, "opt_out.add", user=_user(), target=f"mobile:{form.mobile.data}",
                 details={"channel": form.channel.data, "added": added}, ip=request.remote_addr)
    session.commit()
    label = channel_label(form.channel.data)
    if added:
        flash(_("The number is opted out of %(channel)s: it will not be messaged there again.", channel=label),
              "success")
    else:
        flash(_("The number was already opted out of %(channel)s.", channel=label), "info")
    return redirect(url_for("opt_outs.index"))


@bp.route("/<int:opt_out_id>/opt-in", methods=["POST"])
@role_required(OPT_IN_ROLE)
def remove(opt_out_id: int) -> ResponseReturnValue:
    """Let a number be messaged on its channel again (the page asks first)."""
    shop_id = _shop_id()
    session = db()
    row = session.get(OptOut, opt_out_id)
    if row is None or row.shop_id != shop_id:
        abort(404)
    channel, mobile, source = row.channel, row.mobile, row.source
    opt_in(session, shop_id, channel, mobile)
    audit.record(session, "opt_out.remove", user=_user(), target=f"mobile:{mobile}",
                 details={"channel": channel, "source": source}, ip=request.remote_addr)
    session.commit()
    flash(_("The number may be messaged on %(channel)s again.", channel=channel_label(channel)), "success")
    return redirect(url_for("opt_outs.index"))


@bp.route("/import", methods=["POST"])
@role_required(EDITOR_ROLE)
def import_file() -> ResponseReturnValue:
    """Opt out every number of an uploaded list; the page shows the counts and each bad line."""
    form = ImportForm(prefix="import")
    if not form.validate_on_submit():
        return _page(import_form=form)
    shop_id = _shop_id()
    session = db()
    result = import_list(session, shop_id, form.channel.data, file_lines(form.file.data))
    audit.record(session, "opt_out.import", user=_user(), target=form.file.data.filename or None,
                 details={"channel": form.channel.data, "added": result.added, "already": result.already,
                          "bad_lines": len(result.errors)}, ip=request.remote_addr)
    session.commit()
    return _page(imported=result)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge) -> ResponseReturnValue:
    """A list over the size limit: say so above the forms (nothing was imported)."""
    limit_mb = MAX_REQUEST_BYTES // (1024 * 1024)
    return _page(error=_("The file is larger than %(size)s MB. Split it into smaller files and import "
                         "them one after another.", size=limit_mb), status=413)


@bp.route("/keywords", methods=["POST"])
@role_required(OPT_IN_ROLE)
def edit_keywords() -> ResponseReturnValue:
    """Set the shop's opt-out keywords; replies from now on are read with them."""
    form = KeywordsForm(prefix="kw")
    if not form.validate_on_submit():
        return _page(keywords_form=form)
    shop_id = _shop_id()
    session = db()
    try:
        saved = save_keywords(session, shop_id, split_keywords(form.keywords.data))
    except ValueError:
        form.keywords.errors = [_("Give at least one opt-out keyword (e.g. TD or 退订).")]
        return _page(keywords_form=form)
    audit.record(session, "opt_out.keywords", user=_user(), target=f"shop:{shop_id}",
                 details={"keywords": list(saved)}, ip=request.remote_addr)
    session.commit()
    flash(_("Opt-out keywords saved: %(words)s", words=" ".join(saved)), "success")
    return redirect(url_for("opt_outs.index"))


@bp.route("/export.csv")
@role_required(opt_out_export.EXPORT_ROLE)
def export() -> ResponseReturnValue:
    """The list, as filtered on the page, as a CSV file."""
    return opt_out_export.csv_response(_shop_id(), _filter(), _("opt-outs") + ".csv")
