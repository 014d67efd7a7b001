"""The segment pages: the saved segments, the builder with its live count, and CSV exports.

* ``/segments/`` lists the shop's saved segments with their last count; each can be opened,
  counted again, exported and deleted.
* ``/segments/new`` and ``/segments/<id>`` show the builder. Its rules travel as JSON (the
  advanced textarea, which the builder's script keeps in step with the form), so the page saves
  without JavaScript too; ``?rules=<JSON>`` opens it pre-filled. While rules are edited, htmx
  posts the form to ``/segments/count``, which answers with the count and a sample of matching
  customers, or with the rules' error.

Every role may look and count; saving, deleting and exporting need an operator
(:data:`~shopcrm.web.segment_export.EXPORT_ROLE`). Saves, deletions and exports are audited.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from shopcrm import audit
from shopcrm.models import Segment, User
from shopcrm.saved_segments import check_rules, count_rules, count_segment, name_taken, sample_rules
from shopcrm.segment_rules import RuleError
from shopcrm.shops import default_shop
from shopcrm.web.access import role_required
from shopcrm.web.database import db
from shopcrm.web.rules_input import EVERYONE, parse_rules, rules_text
from shopcrm.web.segment_export import EXPORT_ROLE, csv_response
from shopcrm.web.segment_fields import builder_catalogue

bp = Blueprint("segments", __name__, url_prefix="/segments")

EDIT_ROLE = "operator"
"""The lowest role that may save or delete segments."""


def _strip(value: str | None) -> str | None:
    return value.strip() if value else value


class SegmentForm(FlaskForm):
    """The builder's form: the rules (JSON text) and, to save them, a name and a description."""

    name = StringField(_l("Name"), filters=[_strip], validators=[
        DataRequired(message=_l("Give the segment a name.")),
        Length(max=100, message=_l("Use at most %(max)d characters.", max=100)),
    ])
    description = TextAreaField(_l("Description"), filters=[_strip],
                                validators=[Length(max=2000, message=_l("Use at most %(max)d characters.", max=2000))])
    rules = TextAreaField(_l("Rules as JSON"))

    def __init__(self, *args: Any, segment_id: int | None = None, shop_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.segment_id, self.shop_id = segment_id, shop_id
        self.parsed_rules: Any = None

    def validate_name(self, field: StringField) -> None:
        if field.data and self.shop_id is not None and name_taken(db(), self.shop_id, field.data, self.segment_id):
            raise ValidationError(_("A segment named %(name)s already exists: choose another name.",
                                    name=field.data))

    def validate_rules(self, field: TextAreaField) -> None:
        try:
            self.parsed_rules = parse_rules(field.data)
        except RuleError as exc:
            raise ValidationError(str(exc)) from None


def _actor() -> User:
    user: User = current_user._get_current_object()
    return user


def _segment_or_404(shop_id: int, segment_id: int) -> Segment:
    segment = db().get(Segment, segment_id)
    if segment is None or segment.shop_id != shop_id:
        abort(404)
    return segment


def _result(shop_id: int, text: str | None) -> dict[str, Any]:
    """The count and a sample of the customers matching the rules in ``text``, or its error."""
    try:
        rules = parse_rules(text)
    except RuleError as exc:
        return {"error": str(exc)}
    return {"error": None, "count": count_rules(db(), shop_id, rules),
            "sample": sample_rules(db(), shop_id, rules)}


@bp.route("/")
def index() -> ResponseReturnValue:
    shop = default_shop(db())
    segments = db().scalars(select(Segment).where(Segment.shop_id == shop.id).order_by(Segment.name)).all()
    return render_template("segments/index.html", segments=segments, can_edit=current_user.can(EDIT_ROLE),
                           can_export=current_user.can(EXPORT_ROLE))


def _builder(form: SegmentForm, segment: Segment | None, result: dict[str, Any] | None = None,
             status: int = 200) -> ResponseReturnValue:
    return render_template("segments/builder.html", form=form, segment=segment, result=result,
                           catalogue=builder_catalogue(), can_edit=current_user.can(EDIT_ROLE),
                           can_export=current_user.can(EXPORT_ROLE)), status


@bp.route("/new")
def new() -> ResponseReturnValue:
    form = SegmentForm(formdata=None)
    form.rules.data = request.args.get("rules") or rules_text(EVERYONE)
    if request.args.get("rules"):
        try:
            form.rules.data = rules_text(parse_rules(form.rules.data))
        except RuleError as exc:
            form.rules.errors = [str(exc)]
    return _builder(form, None)


@bp.route("/<int:segment_id>")
def edit(segment_id: int) -> ResponseReturnValue:
    segment = _segment_or_404(default_shop(db()).id, segment_id)
    form = SegmentForm(formdata=None, obj=segment)
    form.rules.data = rules_text(segment.rules)
    return _builder(form, segment)


@bp.route("/new", methods=["POST"])
@role_required(EDIT_ROLE)
def create() -> ResponseReturnValue:
    shop = default_shop(db())
    form = SegmentForm(shop_id=shop.id)
    if not form.validate_on_submit():
        return _builder(form, None, status=422)
    segment = Segment(shop_id=shop.id, name=form.name.data, description=form.description.data or "",
                      rules=form.parsed_rules, created_by=_actor().id)
    db().add(segment)
    return _saved(form, segment, "segment.create")


@bp.route("/<int:segment_id>", methods=["POST"])
@role_required(EDIT_ROLE)
def update(segment_id: int) -> ResponseReturnValue:
    shop = default_shop(db())
    segment = _segment_or_404(shop.id, segment_id)
    form = SegmentForm(shop_id=shop.id, segment_id=segment.id)
    if not form.validate_on_submit():
        return _builder(form, segment, status=422)
    segment.name, segment.description, segment.rules = form.name.data, form.description.data or "", form.parsed_rules
    return _saved(form, segment, "segment.update")


def _saved(form: SegmentForm, segment: Segment, action: str) -> ResponseReturnValue:
    """Count the saved segment (remembering the count), audit, commit, and show it."""
    try:
        db().flush()
    except IntegrityError:  # the name was taken between the check and the write
        db().rollback()
        form.name.errors = [_("A segment named %(name)s already exists: choose another name.", name=form.name.data)]
        existing = db().get(Segment, form.segment_id) if form.segment_id else None
        return _builder(form, existing, status=422)
    count = count_segment(db(), segment)
    audit.record(db(), action, user=_actor(), target=f"segment:{segment.name}",
                 details={"rules": segment.rules, "customers": count}, ip=request.remote_addr)
    db().commit()
    flash(_("Segment %(name)s saved: %(count)s customers.", name=segment.name, count=count), "success")
    return redirect(url_for("segments.edit", segment_id=segment.id))


@bp.route("/count", methods=["POST"])
def preview() -> ResponseReturnValue:
    """The live count: a fragment for htmx, or the whole builder for a form posted without it."""
    shop = default_shop(db())
    result = _result(shop.id, request.form.get("rules"))
    if request.headers.get("HX-Request"):
        return render_template("segments/_result.html", result=result)
    form = SegmentForm()
    segment_id = request.form.get("segment_id", type=int)
    segment = _segment_or_404(shop.id, segment_id) if segment_id else None
    return _builder(form, segment, result)


@bp.route("/<int:segment_id>/count", methods=["POST"])
def recount(segment_id: int) -> ResponseReturnValue:
    """Count a saved segment again and remember the count (any role: it only counts)."""
    segment = _segment_or_404(default_shop(db()).id, segment_id)
    try:
        count_segment(db(), segment)
    except RuleError as exc:  # a segmenter uninstalled since the segment was saved
        db().rollback()
        flash(_("%(name)s cannot be counted: %(error)s", name=segment.name, error=str(exc)), "error")
        return redirect(url_for("segments.index"))
    db().commit()
    if request.headers.get("HX-Request"):
        return render_template("segments/_last_count.html", segment=segment)
    return redirect(url_for("segments.index"))


@bp.route("/<int:segment_id>/delete", methods=["POST"])
@role_required(EDIT_ROLE)
def delete(segment_id: int) -> ResponseReturnValue:
    segment = _segment_or_404(default_shop(db()).id, segment_id)
    audit.record(db(), "segment.delete", user=_actor(), target=f"segment:{segment.name}",
                 details={"rules": segment.rules}, ip=request.remote_addr)
    name = segment.name
    db().delete(segment)
    db().commit()
    flash(_("Segment %(name)s deleted.", name=name), "success")
    return redirect(url_for("segments.index"))


@bp.route("/<int:segment_id>/export", methods=["POST"])
@role_required(EXPORT_ROLE)
def export_segment(segment_id: int) -> ResponseReturnValue:
    segment = _segment_or_404(default_shop(db()).id, segment_id)
    try:
        check_rules(segment.rules)
    except RuleError as exc:  # a segmenter uninstalled since the segment was saved
        flash(_("%(name)s cannot be exported: %(error)s", name=segment.name, error=str(exc)), "error")
        return redirect(url_for("segments.index"))
    return csv_response(segment.shop_id, segment.rules, f"{segment.name}.csv", segment=segment.name)


@bp.route("/export", methods=["POST"])
@role_required(EXPORT_ROLE)
def export_rules() -> ResponseReturnValue:
    """Export the customers of the posted rules (the builder's, or the customer list's filters)."""
    shop = default_shop(db())
    try:
        rules = parse_rules(request.form.get("rules"))
    except RuleError as exc:
        form = SegmentForm()
        form.rules.errors = [str(exc)]
        return _builder(form, None, status=422)
    return csv_response(shop.id, rules, _("Customers") + ".csv")

