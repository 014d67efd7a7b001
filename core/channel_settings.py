"""A channel's settings for one shop: declared by the channel, stored in ``setting``, secrets encrypted.

A channel declares what it needs with :meth:`~shopcrm.channels.Channel.settings_fields`; every
channel also has the core's :data:`CORE_FIELDS` ahead of its own: the price of one billed SMS
part (for cost estimates) and a throttle in messages per second.

Storage: namespace ``channel:<name>:<shop id>`` in the ``setting`` table, one row per key, the
value as text. A secret's row has ``secret`` set and holds the value encrypted with the instance
key (:mod:`shopcrm.secret_box`); it is decrypted only by :func:`load`, for sending, and never
shown back (:func:`display` says only whether it is set).

* :func:`fields` - what a channel's settings form asks for;
* :func:`load` - the settings a channel sends with (one query);
* :func:`save` - validates and stores what the form posted, all or nothing;
* :func:`display` - the settings as a page may show them.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm import audit, secret_box
from shopcrm.channel_kinds import kind_of
from shopcrm.channels import Channel, SettingsField
from shopcrm.config import Config
from shopcrm.models import Setting, User
from shopcrm.registry import get_registry

PRICE_PER_PART = SettingsField(
    "price_per_part", _l("Price per billed SMS part (yuan)"), required=False, default="0.045",
    help=_l("What the gateway charges for one SMS part; used to estimate what a message costs."))
RATE_PER_SECOND = SettingsField(
    "rate_per_second", _l("Messages per second"), required=False, default="0",
    help=_l("At most this many messages per second for this shop through this channel; 0 for no limit."))
CORE_FIELDS: tuple[SettingsField, ...] = (PRICE_PER_PART, RATE_PER_SECOND)
"""The settings every channel has, ahead of its own."""
_CORE_NAMES = frozenset(field.name for field in CORE_FIELDS)

SECRET_SET = _l("set")
SECRET_NOT_SET = _l("not set")


def namespace(channel_name: str, shop_id: int) -> str:
    """The ``setting`` namespace of a channel's settings for one shop."""
    return f"channel:{channel_name}:{shop_id}"


def channels() -> list[Channel]:
    """Every registered channel, by name."""
    registered = get_registry().channels
    return [registered[name] for name in sorted(registered.items)]


def subject_channels() -> list[str]:
    """The installed channels whose messages have a subject (email): forms ask for one there."""
    return [channel.name for channel in channels() if kind_of(channel.name).has_subject]


def get_channel(channel_name: str) -> Channel:
    """The registered channel named ``channel_name``; :class:`LookupError` for an unknown name."""
    registered = get_registry().channels
    if channel_name not in registered:
        known = ", ".join(sorted(registered.items)) or "none"
        raise LookupError(f"no channel named {channel_name!r} (channels: {known})")
    channel: Channel = registered[channel_name]
    return channel


def fields(channel: Channel) -> list[SettingsField]:
    """The core's fields, then the channel's own. A channel field named like a core one takes
    its place, to say it in the channel's terms (an email channel's price is per email, and
    free by default); it is still checked and typed as the core's."""
    own = list(channel.settings_fields())
    restated = {field.name: field for field in own if field.name in _CORE_NAMES}
    return [*(restated.get(field.name, field) for field in CORE_FIELDS),
            *(field for field in own if field.name not in _CORE_NAMES)]


def _stored(session: Session, channel_name: str, shop_id: int) -> dict[str, Setting]:
    rows = session.scalars(select(Setting).where(Setting.namespace == namespace(channel_name, shop_id)))
    return {row.key: row for row in rows}


def _typed(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == PRICE_PER_PART.name:
        return Decimal(str(value))
    if name == RATE_PER_SECOND.name:
        return int(value)
    return value


def load(session: Session, config: Config, channel_name: str, shop_id: int) -> dict[str, Any]:
    """The settings of ``channel_name`` for ``shop_id``: each field's default overlaid with the
    saved value, secrets decrypted (:class:`~shopcrm.secret_box.SecretError` when the instance
    key cannot); ``price_per_part`` as a :class:`~decimal.Decimal`, ``rate_per_second`` as an int.

    A field neither saved nor defaulted is ``None``. :class:`LookupError` for an unknown channel.
    """
    declared = fields(get_channel(channel_name))
    stored = _stored(session, channel_name, shop_id)
    key: str | None = None
    values: dict[str, Any] = {}
    for field in declared:
        row = stored.get(field.name)
        if row is None:
            value: Any = field.default
        elif row.secret:
            key = key or config.secret_key()
            value = secret_box.decrypt(key, row.value)
        else:
            value = row.value
        values[field.name] = _typed(field.name, value)
    return values


def _check_number(field: SettingsField, text: str) -> str | None:
    """The error for a core number field's ``text``, or ``None`` when it is valid."""
    if field.name == PRICE_PER_PART.name:
        try:
            price = Decimal(text)
        except InvalidOperation:
            price = None
        if price is None or not price.is_finite() or price < 0:
            return _("%(field)s must be a number of yuan, 0 or more (e.g. 0.045).", field=field.label)
    if field.name == RATE_PER_SECOND.name and not (text.isascii() and text.isdigit()):
        return _("%(field)s must be a whole number, 0 or more.", field=field.label)
    return None


def _validated(declared: list[SettingsField], stored: Mapping[str, Setting],
               values: Mapping[str, str]) -> tuple[dict[str, str | None], list[str]]:
    """What to store per field (``None``: remove, falling back to the default; a field left out
    keeps what is stored) and the errors."""
    updates: dict[str, str | None] = {}
    errors: list[str] = []
    for field in declared:
        if field.name not in values:
            continue
        text = (values[field.name] or "").strip()
        if field.secret:
            if text:
                updates[field.name] = text
            elif field.required and field.name not in stored and not field.default:
                errors.append(_("%(field)s is required.", field=field.label))
            continue
        if not text:
            if field.required and not field.default:
                errors.append(_("%(field)s is required.", field=field.label))
            else:
                updates[field.name] = None
            continue
        error = _check_number(field, text)
        if error:
            errors.append(error)
        else:
            updates[field.name] = text
    return updates, errors


def _changed(key: str, row: Setting | None, new: str | None) -> bool:
    if row is None:
        return new is not None
    if new is None:
        return True
    if not row.secret:
        return bool(row.value != new)
    try:
        return secret_box.decrypt(key, row.value) != new
    except secret_box.SecretError:  # unreadable under this key: the new value replaces it
        return True


def save(session: Session, config: Config, channel_name: str, shop_id: int, values: Mapping[str, str],
         *, actor: User | None = None, ip: str | None = None) -> list[str]:
    """Validate and store the posted ``values`` (text per field name) of ``channel_name`` for
    ``shop_id``. Returns the errors, each naming its field; when there are any, nothing is stored.

    A field not in ``values`` keeps what is stored; a blank secret keeps the stored one; a blank setting falls back to its default (refused when
    it is required and has none). With ``actor`` the change is audited as ``channel.settings``:
    which fields changed, never a secret's value. The caller commits.
    """
    declared = fields(get_channel(channel_name))
    stored = _stored(session, channel_name, shop_id)
    updates, errors = _validated(declared, stored, values)
    own = {field.name for field in declared} - {field.name for field in CORE_FIELDS}
    errors += get_channel(channel_name).check_settings(
        {name: (value or "").strip() for name, value in values.items() if name in own})
    if errors:
        return errors
    key = config.secret_key()
    secrets = {field.name for field in declared if field.secret}
    changed: list[str] = []
    for name, new in updates.items():
        row = stored.get(name)
        if not _changed(key, row, new):
            continue
        changed.append(name)
        if new is None:
            if row is not None:
                session.delete(row)
            continue
        value = secret_box.encrypt(key, new) if name in secrets else new
        if row is None:
            session.add(Setting(namespace=namespace(channel_name, shop_id), key=name, value=value,
                                secret=name in secrets))
        else:
            row.value, row.secret = value, name in secrets
    if actor is not None and changed:
        audit.record(session, "channel.settings", user=actor, target=namespace(channel_name, shop_id),
                     details={"channel": channel_name, "shop_id": shop_id, "changed": changed,
                              "values": {name: updates[name] for name in changed if name not in secrets}},
                     ip=ip)
    return []


def display(session: Session, channel_name: str, shop_id: int) -> dict[str, str]:
    """The settings as a page shows them: values as text (the default when none is saved) and
    each secret only as "set" or "not set", never its value or ciphertext."""
    declared = fields(get_channel(channel_name))
    stored = _stored(session, channel_name, shop_id)
    shown: dict[str, str] = {}
    for field in declared:
        row = stored.get(field.name)
        if field.secret:
            shown[field.name] = str(SECRET_SET if row is not None else SECRET_NOT_SET)
        else:
            value = row.value if row is not None else field.default
            shown[field.name] = "" if value is None else str(value)
    return shown


__all__ = ["CORE_FIELDS", "PRICE_PER_PART", "RATE_PER_SECOND", "channels", "display", "fields", "get_channel",
           "load", "namespace", "save"]
