"""The message template pages: the shop's templates, and the editor with its live preview.

* ``/templates/`` lists the templates (name, kind, channel, the start of the text, billed parts).
* ``/templates/new`` and ``/templates/<id>`` show the editor: the text, the registered variables
  that can be inserted, the gateway binding (Aliyun's TemplateCode and its params), and a
  preview that htmx refreshes while the text is typed (``/templates/preview``): the SMS as
  composed, its characters, billed parts and the estimated cost for a number of recipients,
  and the message one real customer would get (picked through ``/templates/customers``).

Every role may look and preview; saving and deleting need an operator (:data:`EDIT_ROLE`).
Saving goes through :func:`shopcrm.template_store.save_template`, which refuses unknown
variables; saves and deletions are audited.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField

from shopcrm import channel_settings, template_store
from shopcrm.message_templates import estimate
from shopcrm.models import Template, User
from shopcrm.shops import default_shop
from shopcrm.template_preview import Preview, find_customers, preview
from shopcrm.web.access import role_required
from shopcrm.web.database import current_config, db

bp = Blueprint("message_templates", __name__, url_prefix="/templates")

EDIT_ROLE = "operator"
"""The lowest role that may save or delete templates."""
DEFAULT_RECIPIENTS = 1000
"""The number of recipients the editor's cost estimate starts with."""
EXCERPT = 40


def _strip(value: str | None) -> str | None:
    return value.strip() if value else value


class TemplateForm(FlaskForm):
    """The editor's fields; :func:`shopcrm.template_store.validate` checks them."""

    name = StringField(_l("Name"), filters=[_strip])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, label) for k, label in template_store.KINDS.items()],
                       validate_choice=False)
    channel = SelectField(_l("Channel"), validate_choice=False)
    text = TextAreaField(_l("Text"))
    subject = StringField(_l("Subject"), filters=[_strip])
    gateway_template_code = StringField(_l("Gateway template code (Aliyun TemplateCode)"), filters=[_strip])
    gateway_params = TextAreaField(_l("Gateway params"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channel.choices = [SelectChoice("", _("Chosen when sending"))] + [
            SelectChoice(channel.name, channel.label) for channel in channel_settings.channels()]
        self.subject_channels = channel_settings.subject_channels()
        """The channels whose messages have a subject: the editor shows the subject for those."""

    def data_for_store(self) -> tuple[template_store.TemplateData, list[str]]:
        """The posted template, and the gateway params lines that could not be read."""
        params, bad = template_store.parse_params(self.gateway_params.data or "")
        return template_store.TemplateData(
            name=self.name.data or "", text=self.text.data or "", kind=self.kind.data or "",
            channel=self.channel.data or None, subject=self.subject.data,
            gateway_template_code=self.gateway_template_code.data, gateway_params=params), bad


def _actor() -> User:
    user: User = current_user._get_current_object()
    return user


def _template_or_404(shop_id: int, template_id: int) -> Template:
    template = template_store.get_template(db(), shop_id, template_id)
    if template is None:
        abort(404)
    return template


def _recipients() -> int:
    value = request.form.get("recipients", type=int)
    return DEFAULT_RECIPIENTS if value is None else max(0, value)


def _preview_from_form(shop_id: int) -> tuple[Preview, list[Any], str]:
    """The preview of the posted text, the customers matching the posted search, and the search."""
    query = (request.form.get("customer_q") or "").strip()
    matches = find_customers(db(), shop_id, query) if query else []
    customer_id = request.form.get("customer_id", type=int)
    if matches and customer_id not in {customer.id for customer in matches}:
        customer_id = matches[0].id  # the search changed since a customer was picked
    result = preview(db(), current_config(), shop_id, request.form.get("text") or "",
                     marketing=request.form.get("kind", "marketing") != "notification",
                     channel_name=request.form.get("channel") or None, recipients=_recipients(),
                     customer_id=customer_id, subject=request.form.get("subject"))
    return result, matches, query


def _editor(form: TemplateForm, template: Template | None, result: Preview | None = None,
            matches: list[Any] | None = None, status: int = 200) -> ResponseReturnValue:
    variables = sorted(template_store.variables().values(), key=lambda v: v.name)
    return render_template("message_templates/editor.html", form=form, template=template, result=result,
                           matches=matches or [], variables=variables, can_edit=current_user.can(EDIT_ROLE),
                           recipients=_recipients() if request.method == "POST" else DEFAULT_RECIPIENTS,
                           customer_q=request.form.get("customer_q", ""),
                           customer_id=request.form.get("customer_id", type=int)), status


@bp.route("/")
def index() -> ResponseReturnValue:
    shop = default_shop(db())
    variables = template_store.variables()
    rows = []
    for template in template_store.list_templates(db(), shop.id):
        guess = estimate(template.text, variables, shop.sms_signature, template.kind == "marketing")
        text = template.text
        rows.append({"template": template, "parts": guess.parts,
                     "excerpt": text if len(text) <= EXCERPT else text[:EXCERPT] + "…"})
    channels = {channel.name: channel.label for channel in channel_settings.channels()}
    db().commit()  # the default shop, when this visit created it
    return render_template("message_templates/index.html", rows=rows, kinds=template_store.KINDS,
                           channels=channels, can_edit=current_user.can(EDIT_ROLE))


@bp.route("/new")
def new() -> ResponseReturnValue:
    return _editor(TemplateForm(formdata=None), None)


@bp.route("/<int:template_id>")
def edit(template_id: int) -> ResponseReturnValue:
    template = _template_or_404(default_shop(db()).id, template_id)
    form = TemplateForm(formdata=None, obj=template)
    form.channel.data = template.channel or ""
    form.gateway_params.data = template_store.params_text(template.gateway_params or {})
    return _editor(form, template)


def _save(template: Template | None) -> ResponseReturnValue:
    shop = default_shop(db())
    form = TemplateForm()
    if not form.validate_on_submit():
        return _editor(form, template, status=422)
    data, bad_lines = form.data_for_store()
    result = template_store.save_template(db(), shop.id, data, template.id if template else None,
                                          actor=_actor(), ip=request.remote_addr)
    errors = dict(result.errors)
    if bad_lines and "gateway_params" not in errors:
        errors["gateway_params"] = _("Write each param as name = ${variable}; this line cannot be read: "
                                     "%(line)s", line=bad_lines[0])
    if errors or result.template is None:
        db().rollback()
        for name, message in errors.items():
            getattr(form, name).errors = [message]
        shown, matches, _query = _preview_from_form(shop.id)
        return _editor(form, template, shown, matches, status=422)
    db().commit()
    flash(_("Template %(name)s saved.", name=result.template.name), "success")
    return redirect(url_for("message_templates.edit", template_id=result.template.id))


@bp.route("/new", methods=["POST"])
@role_required(EDIT_ROLE)
def create() -> ResponseReturnValue:
    return _save(None)


@bp.route("/<int:template_id>", methods=["POST"])
@role_required(EDIT_ROLE)
def update(template_id: int) -> ResponseReturnValue:
    return _save(_template_or_404(default_shop(db()).id, template_id))


@bp.route("/<int:template_id>/delete", methods=["POST"])
@role_required(EDIT_ROLE)
def delete(template_id: int) -> ResponseReturnValue:
    template = _template_or_404(default_shop(db()).id, template_id)
    name = template.name
    template_store.delete_template(db(), template, actor=_actor(), ip=request.remote_addr)
    db().commit()
    flash(_("Template %(name)s deleted.", name=name), "success")
    return redirect(url_for("message_templates.index"))


@bp.route("/preview", methods=["POST"])
def preview_page() -> ResponseReturnValue:
    """The live preview: a fragment for htmx, or the whole editor for a form posted without it."""
    shop = default_shop(db())
    result, matches, query = _preview_from_form(shop.id)
    if request.headers.get("HX-Request"):
        return render_template("message_templates/_preview.html", result=result, customer_q=query)
    form = TemplateForm()
    template_id = request.form.get("template_id", type=int)
    template = _template_or_404(shop.id, template_id) if template_id else None
    return _editor(form, template, result, matches)


@bp.route("/customers")
def customers() -> ResponseReturnValue:
    """The customers matching ``customer_q``, to choose one to preview for (an htmx fragment)."""
    shop = default_shop(db())
    query = (request.args.get("customer_q") or "").strip()
    return render_template("message_templates/_customers.html", matches=find_customers(db(), shop.id, query),
                           customer_q=query, customer_id=None)
