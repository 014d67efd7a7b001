"""Parsing cells into typed values. Each parser raises :class:`CellError` with a reason."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from shopcrm.messages import Message, N_
from shopcrm.sources import OrderStatus


class CellError(ValueError):
    """A cell that does not parse; the message is the reason shown to the operator (in English
    as ``str(error)``, in the operator's language from :attr:`message`)."""

    def __init__(self, template: str, **params: Any) -> None:
        self.message = Message(template, params)
        super().__init__(str(self.message))


_BLANKS = frozenset({"", "-", "--", "null", "NULL", "None", "无"})
_DATETIME = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?(?:\.\d+)?)?$"
)
_MONEY_JUNK = re.compile(r"[¥￥元,，\s]|RMB|CNY", re.IGNORECASE)


def text(value: Any) -> str | None:
    """A cell as stripped text; blanks (empty, '-', 'null') are ``None``."""
    if type(value) is str:  # every CSV cell: the common case first
        value = value.strip()
        return None if value in _BLANKS else value
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    result = str(value).strip()
    return None if result in _BLANKS else result


def order_id(value: Any) -> str:
    """Order ids as exported: Taobao writes ``="3712..."`` or a tab so Excel keeps the digits."""
    if isinstance(value, float):
        if value >= 1e15:
            raise CellError(N_("the order id was saved as a number and lost digits; format the column as text"))
        value = int(value)
    result = _unguarded(value)
    if result is None:
        raise CellError(N_("the order id is missing"))
    return result


def waybill(value: Any) -> str | None:
    """A parcel's waybill number (运单号), guarded in exports as order ids are; ``None`` when blank."""
    if isinstance(value, float):
        if value >= 1e15:
            raise CellError(N_("the waybill number was saved as a number and lost digits; format the column as text"))
        value = int(value)
    return _unguarded(value)


def _unguarded(value: Any) -> str | None:
    """A long number kept as text the way exports keep it: ``="…"``, quotes or a tab removed."""
    result = text(value)
    if result is None:
        return None
    return result.removeprefix("=").strip('"\'\t ')[:64] or None


_CENT = Decimal("0.01")


def money(value: Any) -> Decimal | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(str(value)).quantize(_CENT)
    raw = text(value)
    if raw is None:
        return None
    try:
        amount = Decimal(raw)  # a plain number, as exports mostly write it
    except InvalidOperation:
        try:
            amount = Decimal(_MONEY_JUNK.sub("", raw))  # ¥128.50, 128.50元, 1,280.00
        except InvalidOperation:
            raise CellError(N_("not an amount: %(value)r"), value=raw) from None
    if not amount.is_finite() or amount < 0:
        raise CellError(N_("not an amount: %(value)r"), value=raw)
    return amount.quantize(_CENT)


def quantity(value: Any) -> int:
    raw = text(value)
    if raw is None:
        return 1
    try:
        number = int(Decimal(raw))
    except (InvalidOperation, ValueError):
        raise CellError(N_("not a quantity: %(value)r"), value=raw) from None
    if number < 0:
        raise CellError(N_("not a quantity: %(value)r"), value=raw)
    return number


RATING_NAMES: dict[str, int] = {
    "好评": 5, "中评": 3, "差评": 1, "good": 5, "neutral": 3, "bad": 1,
}
"""Taobao's review results (and their English names) as ratings."""


def rating(value: Any) -> int:
    """A review's rating, 1 to 5: a number (``4``, ``4星``) or Taobao's 好评/中评/差评."""
    raw = text(value)
    if raw is None:
        raise CellError(N_("the rating is missing"))
    named = RATING_NAMES.get(raw.lower())
    if named is not None:
        return named
    digits = raw.removesuffix("星").removesuffix("分").strip()
    try:
        number = Decimal(digits)
    except InvalidOperation:
        number = Decimal(0)
    if number != number.to_integral_value() or not 1 <= number <= 5:
        raise CellError(N_("not a rating: %(value)r (give 1 to 5, or 好评, 中评, 差评)"), value=raw)
    return int(number)


def timestamp(value: Any) -> dt.datetime | None:
    """A shop-local date and time: 2026-11-11 10:00:00, 2026/11/11 10:00, 2026-11-11, Excel cells."""
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    raw = text(value)
    if raw is None:
        return None
    if len(raw) == 19 and raw[4] == "-" and raw[10] == " " and raw[13] == ":" and raw[16] == ":":
        # 2026-11-11 10:00:00, what exports mostly write: parsed in C
        try:
            moment = dt.datetime.fromisoformat(raw)
        except ValueError:
            pass
        else:
            if moment.tzinfo is None:
                return moment
    match = _DATETIME.match(raw)
    if match is None:
        raise CellError(N_("not a date and time: %(value)r (expected e.g. 2026-11-11 10:00:00)"), value=raw)
    year, month, day, hour, minute, second = match.groups()
    try:
        return dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        raise CellError(N_("not a date and time: %(value)r"), value=raw) from None


def date(value: Any) -> dt.date | None:
    moment = timestamp(value)
    return moment.date() if moment is not None else None


_GENDERS = {"m": "m", "male": "m", "男": "m", "f": "f", "female": "f", "女": "f"}


def gender(value: Any) -> str | None:
    raw = text(value)
    if raw is None:
        return None
    try:
        return _GENDERS[raw.lower()]
    except KeyError:
        raise CellError(N_("not a gender: %(value)r (expected 男/女 or m/f)"), value=raw) from None


def tags(value: Any) -> list[str]:
    raw = text(value)
    if raw is None:
        return []
    return sorted({part.strip() for part in re.split(r"[,，;；|]", raw) if part.strip()})


STATUS_NAMES: dict[str, OrderStatus] = {
    # normalised names
    **{status.value: status for status in OrderStatus},
    # Taobao/Tmall API codes
    "WAIT_BUYER_PAY": OrderStatus.PENDING_PAYMENT,
    "TRADE_NO_CREATE_PAY": OrderStatus.PENDING_PAYMENT,
    "WAIT_SELLER_SEND_GOODS": OrderStatus.PAID,
    "SELLER_CONSIGNED_PART": OrderStatus.PAID,
    "WAIT_BUYER_CONFIRM_GOODS": OrderStatus.SHIPPED,
    "TRADE_BUYER_SIGNED": OrderStatus.SIGNED,
    "TRADE_FINISHED": OrderStatus.COMPLETED,
    "TRADE_CLOSED": OrderStatus.CLOSED,
    "TRADE_CLOSED_BY_TAOBAO": OrderStatus.CLOSED,
    # Taobao seller-centre export texts
    "等待买家付款": OrderStatus.PENDING_PAYMENT,
    "买家已付款，等待卖家发货": OrderStatus.PAID,
    "买家已付款,等待卖家发货": OrderStatus.PAID,
    "等待卖家发货": OrderStatus.PAID,
    "卖家部分发货": OrderStatus.PAID,
    "卖家已发货，等待买家确认": OrderStatus.SHIPPED,
    "卖家已发货,等待买家确认": OrderStatus.SHIPPED,
    "等待买家确认收货": OrderStatus.SHIPPED,
    "买家已签收": OrderStatus.SIGNED,
    "交易成功": OrderStatus.COMPLETED,
    "交易关闭": OrderStatus.CLOSED,
    "交易被淘宝关闭": OrderStatus.CLOSED,
    "付款以后用户退款成功，交易自动关闭": OrderStatus.REFUNDED,
    "付款以后用户退款成功,交易自动关闭": OrderStatus.REFUNDED,
    "退款成功": OrderStatus.REFUNDED,
}
_STATUS_LOOKUP = {key.lower(): value for key, value in STATUS_NAMES.items()}


def status(value: Any, paid: Decimal | None, refund: Decimal | None) -> OrderStatus:
    """A platform status; a closed order whose money was paid and refunded is ``refunded``."""
    raw = text(value)
    if raw is None:
        raise CellError(N_("the order status is missing"))
    found = _STATUS_LOOKUP.get(raw.lower())
    if found is None:
        raise CellError(N_("unknown order status %(value)r"), value=raw)
    if found is OrderStatus.CLOSED and refund and paid and refund > 0:
        return OrderStatus.REFUNDED
    return found
