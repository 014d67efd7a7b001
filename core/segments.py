"""The segmenter contract: labelling every customer of a shop.

A :class:`Segmenter` writes ``customer_label`` rows for its ``name`` in set-based SQL
(one statement or a few), never one Python loop iteration per customer.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any, ClassVar, Iterable, Mapping

from sqlalchemy.orm import Session


@dataclass(slots=True, frozen=True)
class LabelInfo:
    """One value a segmenter can give, with a description for the segment builder."""

    value: str
    description: str = ""


class Segmenter(abc.ABC):
    """Labels customers, registered with ``register_segmenters``."""

    name: ClassVar[str]
    """Unique machine name; segment rules refer to ``label.<name>``."""
    label: ClassVar[str]
    defaults: ClassVar[Mapping[str, Any]] = {}
    """The settings a shop starts with; :meth:`load_config` overlays what the operator saved."""

    @abc.abstractmethod
    def labels(self) -> Iterable[LabelInfo]:
        """The values this segmenter can give."""

    def load_config(self, session: Session, shop_id: int) -> dict[str, Any]:
        """The shop's settings for this segmenter, as :meth:`compute` takes them.

        By default :attr:`defaults` overlaid with what was saved under the plugin settings
        namespace ``plugin:<name>`` (:mod:`shopcrm.plugin_settings`); a segmenter whose settings
        live elsewhere overrides this."""
        from shopcrm import plugin_settings

        return plugin_settings.load(session, self.name, shop_id, self.defaults)

    @abc.abstractmethod
    def compute(
        self,
        session: Session,
        shop_id: int,
        config: Mapping[str, Any],
        customer_ids: Iterable[int] | None = None,
    ) -> int:
        """(Re)label the shop's customers (only ``customer_ids`` when given); return the count."""
