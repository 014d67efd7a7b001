"""A shop's message templates: listed, fetched, validated and saved, deleted.

:func:`save_template` is the one way a template is written: it checks everything first and
returns the errors per field (nothing is written when there are any):

* the name (required, unique in the shop), the kind (``marketing`` or ``notification``) and the
  channel (a registered one, or none to choose when sending);
* the text, with :func:`shopcrm.message_templates.check`: a variable nobody registered is refused;
* the subject, checked the same way, and required when the channel sends email (its kind has
  subjects, :mod:`shopcrm.channel_kinds`);
* the gateway binding: an approved gateway template (Aliyun's TemplateCode) and its params,
  each param mapped to exactly one registered variable, written ``${name}``.

:func:`gateway_values` fills a template's params for one customer, for the channel's
``OutgoingMessage.params``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm import audit
from shopcrm.channel_kinds import kind_of
from shopcrm.message_templates import OPEN, PLACEHOLDER, TemplateError, check, placeholders, render
from shopcrm.models import Template, User
from shopcrm.registry import get_registry
from shopcrm.variables import RenderContext, TemplateVariable

KINDS: dict[str, Any] = {"marketing": _l("Marketing"), "notification": _l("Notification")}
"""Template kinds and their labels; marketing messages carry the opt-out text."""
NAME_MAX = 100
SUBJECT_MAX = 200
CODE_MAX = 40
PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
PARAM_LINE = re.compile(r"^\s*([^=:：]+?)\s*[=:：]\s*(.*?)\s*$")


@dataclass(slots=True)
class TemplateData:
    """What a template form posts, as text."""

    name: str
    text: str
    kind: str = "marketing"
    channel: str | None = None
    subject: str | None = None
    gateway_template_code: str | None = None
    gateway_params: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class SaveResult:
    """The saved template, or the errors (field name -> message) that kept it from being saved."""

    template: Template | None
    errors: dict[str, str]

    @property
    def ok(self) -> bool:
        return not self.errors


def variables() -> dict[str, TemplateVariable]:
    """The registered template variables by name."""
    return dict(get_registry().template_variables.items)


def list_templates(session: Session, shop_id: int) -> list[Template]:
    """The shop's templates by name."""
    return list(session.scalars(select(Template).where(Template.shop_id == shop_id).order_by(Template.name)))


def get_template(session: Session, shop_id: int, template_id: int) -> Template | None:
    """The shop's template ``template_id``; ``None`` when there is none or it is another shop's."""
    template = session.get(Template, template_id)
    return template if template is not None and template.shop_id == shop_id else None


def parse_params(text: str) -> tuple[dict[str, str], list[str]]:
    """Gateway params from ``text``, one ``param = ${variable}`` per line (``:`` also separates);
    returns the mapping and the lines that could not be read."""
    params: dict[str, str] = {}
    bad: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        found = PARAM_LINE.match(line)
        if found is None:
            bad.append(line.strip())
            continue
        params[found.group(1)] = found.group(2)
    return params, bad


def params_text(params: Mapping[str, str]) -> str:
    """Gateway params as :func:`parse_params` reads them."""
    return "\n".join(f"{name} = {value}" for name, value in params.items())


def _check_params(params: Mapping[str, str], known: Mapping[str, TemplateVariable]) -> str | None:
    """The first problem of a params mapping, or ``None``; each value becomes ``${name}``."""
    for param, value in params.items():
        if not PARAM_NAME.fullmatch(param):
            return _("The gateway param %(param)s is not a valid name: letters, digits and _ only.",
                     param=param)
        target = value.strip()
        found = PLACEHOLDER.fullmatch(target)
        name = found.group(1) if found else target
        if name not in known:
            return _("The gateway param %(param)s maps to %(value)s, which is not a known variable "
                     "(write ${name} with one of: %(known)s).", param=param, value=value or '""',
                     known=", ".join(sorted(known)))
    return None


def _normalised_params(params: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for param, value in params.items():
        target = value.strip()
        out[param] = target if PLACEHOLDER.fullmatch(target) else "${" + target + "}"
    return out


def name_taken(session: Session, shop_id: int, name: str, template_id: int | None = None) -> bool:
    """True when another of the shop's templates is named ``name``."""
    statement = select(Template.id).where(Template.shop_id == shop_id, Template.name == name)
    if template_id is not None:
        statement = statement.where(Template.id != template_id)
    return session.scalar(statement) is not None


def validate(session: Session, shop_id: int, data: TemplateData, template_id: int | None = None) -> dict[str, str]:
    """The errors of ``data`` by field name (empty when it may be saved)."""
    errors: dict[str, str] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = _("Give the template a name.")
    elif len(name) > NAME_MAX:
        errors["name"] = _("Use at most %(max)d characters.", max=NAME_MAX)
    elif name_taken(session, shop_id, name, template_id):
        errors["name"] = _("A template named %(name)s already exists: choose another name.", name=name)
    if data.kind not in KINDS:
        errors["kind"] = _("Choose marketing or notification.")
    if data.channel and data.channel not in get_registry().channels:
        errors["channel"] = _("No channel named %(name)s is installed.", name=data.channel)
    known = variables()
    subject = (data.subject or "").strip()
    if subject:
        problem = subject_error(subject, known)
        if problem:
            errors["subject"] = problem
    elif data.channel and "channel" not in errors and kind_of(data.channel).has_subject:
        errors["subject"] = _("Write the subject: this channel sends email.")
    text_problem = text_error(data.text, known)
    if text_problem:
        errors["text"] = text_problem
    code = (data.gateway_template_code or "").strip()
    if len(code) > CODE_MAX:
        errors["gateway_template_code"] = _("Use at most %(max)d characters.", max=CODE_MAX)
    if data.gateway_params:
        problem = _check_params(data.gateway_params, known)
        if problem:
            errors["gateway_params"] = problem
        elif not code:
            errors["gateway_params"] = _("Enter the gateway's template code these params belong to.")
    return errors


def check_subject(subject: str, known: Mapping[str, TemplateVariable]) -> None:
    """:func:`~shopcrm.message_templates.check` for an email's subject, which is also at most
    :data:`SUBJECT_MAX` characters; :class:`TemplateError` (in English, for the core's errors)."""
    if len(subject) > SUBJECT_MAX:
        raise TemplateError(f"at most {SUBJECT_MAX} characters")
    check(subject, known)


def subject_error(subject: str, known: Mapping[str, TemplateVariable]) -> str | None:
    """What is wrong with a subject, in the user's language, or ``None`` (an empty one too:
    whether a subject is needed is the caller's business)."""
    if len(subject) > SUBJECT_MAX:
        return _("Use at most %(max)d characters.", max=SUBJECT_MAX)
    return text_error(subject, known) if subject else None


def text_error(text: str, known: Mapping[str, TemplateVariable]) -> str | None:
    """What is wrong with a template's text, in the user's language, or ``None`` when
    :func:`~shopcrm.message_templates.check` accepts it."""
    if not text.strip():
        return _("Write the message text.")
    broken = OPEN.search(text)
    if broken:
        return _("A placeholder is not closed or is not a variable name: %(snippet)s "
                 "(write ${name}: letters, digits and _ only).", snippet=text[broken.start():broken.start() + 20])
    unknown = [name for name in placeholders(text) if name not in known]
    if unknown:
        return _("Unknown variable %(names)s: use one of %(known)s.",
                 names=", ".join("${" + name + "}" for name in unknown),
                 known=", ".join("${" + name + "}" for name in sorted(known)) or "-")
    try:
        check(text, known)
    except TemplateError as exc:  # a rule check() has that the messages above do not cover
        return str(exc)
    return None


def save_template(session: Session, shop_id: int, data: TemplateData, template_id: int | None = None,
                  *, actor: User | None = None, ip: str | None = None) -> SaveResult:
    """Create (``template_id`` ``None``) or update one of the shop's templates from ``data``.

    Nothing is written when there are errors. With ``actor`` the save is audited. The caller commits.
    :class:`LookupError` when ``template_id`` is not one of the shop's templates.
    """
    template = None
    if template_id is not None:
        template = get_template(session, shop_id, template_id)
        if template is None:
            raise LookupError(f"shop {shop_id} has no template {template_id}")
    errors = validate(session, shop_id, data, template_id)
    if errors:
        return SaveResult(None, errors)
    if template is None:
        template = Template(shop_id=shop_id)
        session.add(template)
    template.name = data.name.strip()
    template.kind = data.kind
    template.channel = data.channel or None
    template.subject = (data.subject or "").strip() or None
    template.text = data.text.strip()
    template.gateway_template_code = (data.gateway_template_code or "").strip() or None
    template.gateway_params = _normalised_params(data.gateway_params)
    session.flush()
    if actor is not None:
        audit.record(session, "template.create" if template_id is None else "template.update", user=actor,
                     target=f"template:{template.name}",
                     details={"id": template.id, "kind": template.kind, "channel": template.channel,
                              "text": template.text}, ip=ip)
    return SaveResult(template, {})


def delete_template(session: Session, template: Template, *, actor: User | None = None,
                    ip: str | None = None) -> None:
    """Delete ``template`` (campaigns that used it keep their messages); audited with ``actor``."""
    if actor is not None:
        audit.record(session, "template.delete", user=actor, target=f"template:{template.name}",
                     details={"id": template.id, "text": template.text}, ip=ip)
    session.delete(template)


def gateway_values(template: Template, ctx: RenderContext,
                   known: Mapping[str, TemplateVariable] | None = None) -> dict[str, str]:
    """The template's gateway params filled for ``ctx`` (``OutgoingMessage.params``)."""
    known = variables() if known is None else known
    return {param: render(value, ctx, known) for param, value in (template.gateway_params or {}).items()}


__all__ = ["KINDS", "SaveResult", "TemplateData", "delete_template", "gateway_values", "get_template",
           "list_templates", "name_taken", "params_text", "parse_params", "save_template", "text_error",
           "validate", "variables"]
