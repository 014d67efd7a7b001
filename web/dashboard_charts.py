"""The dashboard's charts for a period: each one's figures as a table (its columns and rows),
which the page draws, shows as a table and offers as CSV from the same numbers.

A chart is built only when asked for (:data:`CHARTS` maps each name to its builder), so a CSV
download runs the queries of its own chart and nothing else. The labels are translated here,
in the request.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from shopcrm import marketing_returns, shop_metrics
from shopcrm.config import Config
from shopcrm.models import Shop
from shopcrm.registry import get_registry
from shopcrm.report_period import Period
from shopcrm.web.campaign_labels import format_figure, plain_figure


@dataclass(slots=True)
class Column:
    title: str
    kind: str
    """``text``, ``count``, ``money``, ``rate`` or ``ratio`` (two decimals), as
    :func:`format_figure` reads them."""
    plotted: bool = False
    """Drawn as a series of the chart (the first column gives the chart's labels)."""


@dataclass(slots=True)
class Chart:
    key: str
    title: str
    kind: str
    """Chart.js type: ``bar`` or ``line``."""
    columns: list[Column]
    rows: list[list[Any]]
    links: list[str | None] = field(default_factory=list)
    """Per row, a segment builder address selecting its customers (label charts)."""
    note: str = ""
    horizontal: bool = False
    stacked: bool = False

    def cell(self, row: list[Any], index: int) -> str:
        return format_figure(row[index], self.columns[index].kind) if self.columns[index].kind != "text" \
            else str(row[index])

    def csv_rows(self) -> list[list[Any]]:
        """The header and every row, plain numbers for a spreadsheet."""
        header = [column.title for column in self.columns]
        body = [[value if column.kind == "text" else plain_figure(value, column.kind)
                 for value, column in zip(row, self.columns)] for row in self.rows]
        return [header, *body]

    def spec(self) -> str:
        """What charts.js draws, as JSON: labels and one dataset per plotted column."""
        return json.dumps({
            "type": self.kind, "horizontal": self.horizontal, "stacked": self.stacked,
            "labels": [str(row[0]) for row in self.rows],
            "datasets": [{"label": column.title, "money": column.kind == "money",
                          "data": [float(row[i]) if row[i] is not None else None for row in self.rows]}
                         for i, column in enumerate(self.columns) if column.plotted],
        }, ensure_ascii=False)


class Figures:
    """The period's data, each family read once and only when a chart needs it."""

    def __init__(self, session: Session, config: Config, shop: Shop, chosen: Period) -> None:
        self.session, self.config, self.shop, self.period = session, config, shop, chosen

    @cached_property
    def days(self) -> list[shop_metrics.DayFigures]:
        return shop_metrics.daily(self.session, self.shop.id, self.period.day_bounds())


def _sales(figures: Figures) -> Chart:
    return Chart("sales", _("Sales and orders by day"), "bar",
                 [Column(_("Date"), "text"), Column(_("Sales (yuan)"), "money", plotted=True),
                  Column(_("Paid orders"), "count", plotted=True), Column(_("Paying customers"), "count")],
                 [[d.day.isoformat(), d.sales, d.orders, d.paying_customers] for d in figures.days])


def _new_returning(figures: Figures) -> Chart:
    return Chart("new-returning", _("New and returning paying customers by day"), "bar",
                 [Column(_("Date"), "text"), Column(_("New customers"), "count", plotted=True),
                  Column(_("Returning customers"), "count", plotted=True)],
                 [[d.day.isoformat(), d.new_customers, d.returning_customers] for d in figures.days],
                 note=_("New: their first paid order was that day. Returning: they had paid before."), stacked=True)


def _provinces(figures: Figures) -> Chart:
    found = shop_metrics.provinces(figures.session, figures.shop.id, figures.period.window)
    return Chart("provinces", _("Paying customers by province"), "bar",
                 [Column(_("Province"), "text"), Column(_("Paying customers"), "count", plotted=True),
                  Column(_("Sales (yuan)"), "money")],
                 [[p.province or _("Unknown"), p.paying_customers, p.sales] for p in found], horizontal=True)


def _labels(figures: Figures, segmenter: str, key: str, title: str, label_title: str) -> Chart:
    counts = shop_metrics.label_counts(figures.session, figures.shop.id, segmenter)
    registered = get_registry().segmenters.items.get(segmenter)
    order = [info.value for info in registered.labels()] if registered is not None else []
    values = [v for v in order if v in counts] + sorted(v for v in counts if v not in order)
    total = sum(counts.values())
    rows = [[value, counts[value], counts[value] / total] for value in values]
    links = [url_for("segments.new", rules=json.dumps(
        {"all": [{"field": f"label.{segmenter}", "op": "=", "value": value}]}, ensure_ascii=False))
        for value in values]
    return Chart(key, title, "bar",
                 [Column(label_title, "text"), Column(_("Customers"), "count", plotted=True), Column(_("Share"), "rate")],
                 rows, links=links, horizontal=True,
                 note=_("As labelled at the last run; not limited to the period."))


def _rfm(figures: Figures) -> Chart:
    return _labels(figures, "rfm", "rfm", _("Customers by RFM class"), _("RFM class"))


def _lifecycle(figures: Figures) -> Chart:
    return _labels(figures, "lifecycle", "lifecycle", _("Life-stage funnel"), _("Life stage"))


def _returns(key: str, title: str, first: str, found: list[marketing_returns.Return]) -> Chart:
    return Chart(key, title, "bar",
                 [Column(first, "text"), Column(_("Return on cost"), "ratio", plotted=True),
                  Column(_("Sent"), "count"), Column(_("Cost (yuan)"), "money"), Column(_("Sales (yuan)"), "money")],
                 [[r.name, r.roi, r.sent, r.cost, r.sales] for r in found], horizontal=True,
                 note=_("Return on cost: attributed sales per yuan spent on messages."))


def _campaigns(figures: Figures) -> Chart:
    found = marketing_returns.campaigns(figures.session, figures.config, figures.shop.id, figures.period.window)
    return _returns("campaigns", _("Campaigns started in the period by return on cost"), _("Campaign"), found)


def _automations(figures: Figures) -> Chart:
    found = marketing_returns.automations(figures.session, figures.config, figures.shop.id, figures.period.window,
                                          figures.period.days, get_registry().triggers.items.values())
    return _returns("automations", _("Automations by return on cost"), _("Automation"), found)


CHARTS: dict[str, Callable[[Figures], Chart]] = {
    "sales": _sales,
    "new-returning": _new_returning,
    "provinces": _provinces,
    "rfm": _rfm,
    "lifecycle": _lifecycle,
    "campaigns": _campaigns,
    "automations": _automations,
}
"""Every chart of the dashboard, in the order the page shows them."""


__all__ = ["CHARTS", "Chart", "Column", "Figures"]
