"""The template-variable contract: ``${name}`` placeholders in message templates.

Templates never run code: each placeholder is filled by a registered
:class:`TemplateVariable` from the customer, shop and (when there is one) order.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Mapping, Sequence

from sqlalchemy.orm import Session


@dataclass(slots=True, frozen=True)
class RenderContext:
    """What a variable may read to produce its value."""

    session: Session
    shop_id: int
    customer_id: int | None = None
    order_id: int | None = None
    extra: Mapping[str, Any] | None = None


class TemplateVariable(abc.ABC):
    """One ``${name}`` placeholder, registered with ``register_template_variables``."""

    name: ClassVar[str]
    label: ClassVar[str]
    example: ClassVar[str] = ""
    """A sample value shown in the template editor and used for length estimates."""

    @abc.abstractmethod
    def value(self, ctx: RenderContext) -> str:
        """The text that replaces ``${name}`` for this context."""

    def values(self, ctx: RenderContext, customer_ids: Sequence[int]) -> Mapping[int, str]:
        """The value for each of many customers of ``ctx.shop_id`` (a campaign renders a whole
        batch at once). By default :meth:`value` per customer; a variable that reads its own
        table overrides this with one query for the batch."""
        return {customer_id: self.value(replace(ctx, customer_id=customer_id)) for customer_id in customer_ids}
