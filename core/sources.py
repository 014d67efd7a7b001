"""The data-source contract: where orders and customers come from.

A :class:`DataSource` streams plain records (:class:`OrderRecord`, :class:`CustomerRecord`,
:class:`ReviewRecord`) or :class:`RowError` values for rows it could not read; the core's ingestion upserts the
records in batches and reports the errors with their row, column and reason. A source never
holds a whole file in memory.
"""
from __future__ import annotations

import abc
import datetime as dt
import enum
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar, Iterable, Literal, Mapping


class OrderStatus(str, enum.Enum):
    """Normalised order statuses; data sources map platform statuses onto these."""

    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    SIGNED = "signed"
    COMPLETED = "completed"
    CLOSED = "closed"
    REFUNDED = "refunded"


PAID_STATUSES: frozenset[OrderStatus] = frozenset(
    {OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.SIGNED, OrderStatus.COMPLETED}
)
"""Statuses of an order whose money the shop keeps: these count towards rollups."""


@dataclass(slots=True)
class OrderItemRecord:
    """One line of an order."""

    title: str
    quantity: int = 1
    price: Decimal | None = None
    sku: str | None = None
    platform_item_id: str | None = None


@dataclass(slots=True)
class CustomerRecord:
    """A customer as a data source sees it. ``platform_id`` is e.g. the buyer nick."""

    platform_id: str | None = None
    name: str | None = None
    mobile: str | None = None
    email: str | None = None
    gender: Literal["m", "f"] | None = None
    province: str | None = None
    city: str | None = None
    address: str | None = None
    birthday: dt.date | None = None
    tags: list[str] = field(default_factory=list)
    row: int | None = None
    """Row number in the source file, for error reports."""


@dataclass(slots=True)
class OrderRecord:
    """An order as a data source sees it, with its buyer."""

    platform_order_id: str
    status: OrderStatus
    customer: CustomerRecord
    total_amount: Decimal = Decimal("0")
    paid_amount: Decimal = Decimal("0")
    refund_amount: Decimal = Decimal("0")
    created_at: dt.datetime | None = None
    paid_at: dt.datetime | None = None
    shipped_at: dt.datetime | None = None
    signed_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    carrier: str | None = None
    """The courier (物流公司); a blank keeps what is stored."""
    tracking_number: str | None = None
    """The waybill number (运单号); a blank keeps what is stored."""
    items: list[OrderItemRecord] = field(default_factory=list)
    row: int | None = None


@dataclass(slots=True)
class ReviewRecord:
    """A buyer's review of an order, as a data source sees it. The order must already be known
    (by its platform order id); the review belongs to that order's customer."""

    platform_order_id: str
    rating: int
    """1 to 5; Taobao's 好评/中评/差评 are 5, 3 and 1."""
    created_at: dt.datetime
    platform_review_id: str | None = None
    """The platform's id for the review; by default one review per order (``order:<id>``)."""
    content: str = ""
    is_bad: bool | None = None
    """Whether it is a bad review; by default a rating of 2 or less."""
    row: int | None = None

    @property
    def review_key(self) -> str:
        return self.platform_review_id or f"order:{self.platform_order_id}"

    @property
    def bad(self) -> bool:
        return self.is_bad if self.is_bad is not None else self.rating <= 2


@dataclass(slots=True, frozen=True)
class RowError:
    """A row a data source could not read. Reported to the operator, never silently dropped."""

    row: int
    column: str | None
    reason: str
    """In English."""
    value: str | None = None
    message: Any = None
    """The reason as a :class:`shopcrm.messages.Message`, to show it in the operator's language
    (``None``: ``reason`` is shown as it is)."""


@dataclass(slots=True, frozen=True)
class OrderEvent:
    """An order was created or changed status; passed to ``on_order_event``.

    ``kind`` is ``order.created`` or ``order.<new status>`` (``order.paid``, ``order.shipped`` ...).
    """

    kind: str
    shop_id: int
    order_id: int
    customer_id: int
    status: OrderStatus
    previous_status: OrderStatus | None
    occurred_at: dt.datetime
    source: str = "import"


class DataSource(abc.ABC):
    """A source of orders and/or customers, registered with ``register_data_sources``."""

    name: ClassVar[str]
    """Unique machine name, e.g. ``csv``."""
    label: ClassVar[str]
    """Human label shown on the import page."""
    kinds: ClassVar[tuple[str, ...]] = ("orders", "customers")
    """What it can import: any of ``orders``, ``customers`` and ``reviews``."""

    @abc.abstractmethod
    def fetch(
        self, params: Mapping[str, Any]
    ) -> Iterable[OrderRecord | CustomerRecord | ReviewRecord | RowError]:
        """Stream records (or row errors) for ``params`` (e.g. ``path``, ``kind``, ``preset``)."""
