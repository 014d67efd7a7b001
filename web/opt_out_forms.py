"""The opt-out page's forms and labels: opting a number out by hand, importing a list, the
shop's keywords, and the names the page shows for channels and sources.

The channels offered are the registered ones (:mod:`shopcrm.registry`); an opt-out is always
for one channel, as :mod:`shopcrm.opt_outs` keeps them.
"""
from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.datastructures import FileStorage
from wtforms import Field, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, ValidationError

from shopcrm.channel_kinds import EMAIL, kind_of
from shopcrm.emails import normalise_email
from shopcrm.mobiles import normalise_mobile
from shopcrm.registry import get_registry

SOURCE_LABELS = {
    "reply": _l("Reply keyword"),
    "form": _l("Form"),
    "import": _l("List import"),
    "operator": _l("By hand"),
    "unsubscribe_link": _l("Unsubscribe link (email)"),
}
"""How the page names each source of an opt-out (:data:`shopcrm.opt_outs.SOURCES`)."""

KEYWORD_SEPARATORS = re.compile(r"[\s,，、;；]+")


def source_label(source: str) -> str:
    """The translated name of ``source`` (the code itself for one the page does not know)."""
    label = SOURCE_LABELS.get(source)
    return str(label) if label is not None else source


def channel_choices() -> list[tuple[str, str]]:
    """``(name, label)`` of every registered channel, in registration order."""
    return [(channel.name, str(getattr(channel, "label", "") or channel.name)) for channel in get_registry().channels]


def channel_label(name: str) -> str:
    """The label of the channel ``name`` (its name when no plugin registers it any more)."""
    return dict(channel_choices()).get(name, name)


def mainland_mobile(form: Any, field: Field) -> None:
    """The field holds an 11-digit mainland mobile (separators and +86 allowed), or an email
    address when the form's channel sends email; it is replaced by the normalised address."""
    channel = getattr(form, "channel", None)
    if channel is not None and kind_of(channel.data).name == EMAIL:
        address, valid = normalise_email(field.data)
        if not valid:
            raise ValidationError(_l("Address: this channel sends email: enter an email address, e.g. name@example.com."))
        field.data = address
        return
    number, valid = normalise_mobile(field.data)
    if not valid:
        raise ValidationError(_l("Mobile: enter an 11-digit mainland mobile number, e.g. 13800138000."))
    field.data = number


def file_lines(storage: FileStorage) -> list[str]:
    """The lines of an uploaded list: UTF-8 (with or without a byte order mark), else GB18030,
    the encoding Excel on a Chinese Windows saves CSV in. The request size limit bounds it."""
    data = storage.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030", errors="replace")
    return text.splitlines()


def split_keywords(text: str | None) -> list[str]:
    """Keywords typed one per line or separated by commas or spaces."""
    return [word for word in KEYWORD_SEPARATORS.split(text or "") if word]


class ChannelForm(FlaskForm):
    """A form with a channel to choose, among the registered ones."""

    channel = SelectField(_l("Channel"), validate_choice=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channel.choices = channel_choices()


class OptOutForm(ChannelForm):
    """Opt one number out by hand."""

    mobile = StringField(_l("Mobile"), filters=[lambda v: v.strip() if v else v], validators=[
        DataRequired(message=_l("Mobile: enter the number to opt out.")), mainland_mobile])


class ImportForm(ChannelForm):
    """Opt out every number of a text or CSV file."""

    file = FileField(_l("File"), validators=[FileRequired(message=_l("Choose a file to upload."))])


class KeywordsForm(FlaskForm):
    """The shop's opt-out keywords."""

    keywords = TextAreaField(_l("Opt-out keywords"), validators=[
        DataRequired(message=_l("Give at least one opt-out keyword (e.g. TD or 退订)."))])


__all__ = ["ImportForm", "KeywordsForm", "OptOutForm", "SOURCE_LABELS", "channel_choices", "channel_label",
           "file_lines", "source_label", "split_keywords"]
