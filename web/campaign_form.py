"""The campaign wizard's forms: the campaign itself, and the shop's sending rules.

:class:`CampaignForm` carries every step of the wizard (audience, message, exclusions, control
and schedule); its choices (segments, templates, channels) are filled from the shop when it is
made, so a posted id that is not the shop's is refused like any other wrong value. A time to
send at is typed on the shop's clock (``Shop.timezone``) and stored as naive UTC.
"""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import (BooleanField, DateTimeLocalField, IntegerField, RadioField, SelectChoice, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from shopcrm.campaigns import MAX_CONTROL_SHARE
from shopcrm.db import utcnow
from shopcrm.models import Segment, Template
from shopcrm.registry import get_registry
from shopcrm.sending_policy import SendingPolicy

MAX_CONTROL_PERCENT = int(MAX_CONTROL_SHARE * 100)
MARKETING = "marketing"
"""The kind of template a campaign may use (notifications are for order notices)."""
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def _strip(value: str | None) -> str | None:
    return value.strip() if value else value


def _optional_id(value: Any) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(value)


def to_utc(local: dt.datetime, timezone: str) -> dt.datetime:
    """A naive time on the shop's clock as naive UTC."""
    return local.replace(tzinfo=ZoneInfo(timezone)).astimezone(dt.timezone.utc).replace(tzinfo=None)


def to_local(moment: dt.datetime, timezone: str) -> dt.datetime:
    """Naive UTC as a naive time on the shop's clock."""
    return moment.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


class CampaignForm(FlaskForm):
    """Every step of the wizard; :meth:`fill_choices` adds the shop's segments, marketing templates
    and channels."""

    name = StringField(_l("Campaign name"), filters=[_strip], validators=[
        DataRequired(message=_l("Give the campaign a name.")),
        Length(max=100, message=_l("Use at most %(max)d characters.", max=100)),
    ])
    segment_id = SelectField(_l("Segment"), coerce=_optional_id,
                             validators=[InputRequired(message=_l("Choose the segment to send to."))])
    template_id = SelectField(_l("Saved template"), coerce=_optional_id, validators=[Optional()])
    text = TextAreaField(_l("Message"), filters=[_strip],
                         validators=[Length(max=1000, message=_l("Use at most %(max)d characters.", max=1000))])
    subject = StringField(_l("Subject (email)"), filters=[_strip], validators=[
        Length(max=200, message=_l("Use at most %(max)d characters.", max=200))])
    channel = SelectField(_l("Channel"), validators=[DataRequired(message=_l("Choose a channel."))])
    control_percent = IntegerField(_l("Control group (%)"), default=0, validators=[
        InputRequired(message=_l("Enter a share from 0 to %(max)d.", max=MAX_CONTROL_PERCENT)),
        NumberRange(min=0, max=MAX_CONTROL_PERCENT,
                    message=_l("Enter a share from 0 to %(max)d.", max=MAX_CONTROL_PERCENT)),
    ])
    send_mode = RadioField(_l("When"), default="now",
                           choices=[SelectChoice("now", _l("Send now")),
                                    SelectChoice("later", _l("Send at a set time"))])
    send_at = DateTimeLocalField(_l("Send at (shop time)"), format=LOCAL_FORMAT, validators=[Optional()])

    def __init__(self, *args: Any, timezone: str = "Asia/Shanghai", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timezone = timezone

    def fill_choices(self, session: Session, shop_id: int) -> None:
        segments = session.execute(select(Segment.id, Segment.name).where(Segment.shop_id == shop_id)
                                   .order_by(Segment.name)).all()
        self.segment_id.choices = ([SelectChoice(None, _("Choose a segment"))]
                                   + [SelectChoice(i, n) for i, n in segments])
        templates = session.execute(select(Template.id, Template.name)
                                    .where(Template.shop_id == shop_id, Template.kind == MARKETING)
                                    .order_by(Template.name)).all()
        self.template_id.choices = ([SelectChoice(None, _("None: write the text below"))]
                                    + [SelectChoice(i, n) for i, n in templates])
        channels = get_registry().channels.items
        self.channel.choices = [SelectChoice(name, str(channel.label)) for name, channel in sorted(channels.items())]
        if len(channels) == 1:
            self.channel.data = self.channel.data or next(iter(channels))
        else:  # several gateways: the operator says which one sends (and bills)
            self.channel.choices.insert(0, SelectChoice("", _("Choose a channel")))

    def validate_segment_id(self, field: SelectField) -> None:
        if field.data is None:
            raise ValidationError(_("Choose the segment to send to."))

    def validate_text(self, field: TextAreaField) -> None:
        if not field.data and self.template_id.data is None:
            raise ValidationError(_("Write the message or choose a saved template."))

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields' own checks, then the time to send at, which only a later send needs."""
        valid = super().validate(extra_validators)
        if self.send_mode.data != "later" or self.send_at.errors:
            return valid
        if self.send_at.data is None:
            self.send_at.errors = [_("Choose the date and time to send at.")]
        elif to_utc(self.send_at.data, self.timezone) <= utcnow():
            self.send_at.errors = [_("Choose a time in the future.")]
        else:
            return valid
        return False

    def scheduled_at(self) -> dt.datetime | None:
        """When to send, as naive UTC; ``None`` to send now."""
        if self.send_mode.data != "later" or self.send_at.data is None:
            return None
        return to_utc(self.send_at.data, self.timezone)

    def body(self) -> str | None:
        """The text to send, or ``None`` to send the chosen template's."""
        return self.text.data or None

    def control_share(self) -> float:
        return (self.control_percent.data or 0) / 100


class SendingRulesForm(FlaskForm):
    """The shop's sending rules (:class:`shopcrm.sending_policy.SendingPolicy`), as an admin changes them."""

    frequency_cap = IntegerField(_l("At most this many marketing messages per customer (0: no cap)"),
                                 validators=[InputRequired(), NumberRange(min=0, max=100)])
    frequency_days = IntegerField(_l("... in this many days"),
                                  validators=[InputRequired(), NumberRange(min=1, max=365)])
    quiet_start = IntegerField(_l("Quiet hours start (hour, shop time)"),
                               validators=[InputRequired(), NumberRange(min=0, max=23)])
    quiet_end = IntegerField(_l("Quiet hours end (hour, shop time)"),
                             validators=[InputRequired(), NumberRange(min=0, max=23)])
    blacklist_bad_reviews = BooleanField(_l("Leave out customers who left a bad review"))
    low_responders = BooleanField(_l("Leave out low responders"))
    low_responder_messages = IntegerField(_l("Low responder: this many marketing messages in 90 days without buying"),
                                          validators=[InputRequired(), NumberRange(min=1, max=100)])
    attribution_days = IntegerField(_l("Count orders paid within this many days after the message"),
                                    validators=[InputRequired(), NumberRange(min=1, max=90)])
    opt_out_text = StringField(_l("Opt-out text at the end of marketing messages"), filters=[_strip],
                               validators=[DataRequired(), Length(max=20)])

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name).data for name in SendingPolicy.__dataclass_fields__}


__all__ = ["CampaignForm", "MAX_CONTROL_PERCENT", "SendingRulesForm", "to_local", "to_utc"]
