"""The dashboard: the page operators land on, with the shop's figures for a period against the
period before, its charts (each with its numbers as a table and as CSV) and flags on daily
figures outside their recent range. Every role may see it: the figures are aggregates."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from shopcrm import metric_ranges, shop_metrics
from shopcrm.models import JobRun
from shopcrm.report_period import Period
from shopcrm.shops import default_shop
from shopcrm.web.dashboard_charts import CHARTS, Figures
from shopcrm.web.dashboard_figures import PRESET_LABELS, chosen_period, flag_lines, tiles
from shopcrm.web.database import current_config, db
from shopcrm.web.job_labels import FINAL_STATUSES, job_label, status_label
from shopcrm.web.csv_download import BOM, content_disposition

bp = Blueprint("dashboard", __name__)

RECENT_JOBS = 5


@bp.route("/")
def index() -> ResponseReturnValue:
    session = db()
    shop = default_shop(session)
    session.commit()  # the default shop is created on first visit
    chosen, error = chosen_period(request.args, shop.timezone)
    current, previous = shop_metrics.summaries(session, shop.id, [chosen.window, chosen.previous])
    figures = Figures(session, current_config(), shop, chosen)
    jobs = session.scalars(select(JobRun).order_by(JobRun.id.desc()).limit(RECENT_JOBS)).all()
    return render_template(
        "dashboard/index.html",
        shop=shop,
        period=chosen,
        period_error=error,
        presets=PRESET_LABELS,
        tiles=tiles(current, previous),
        flags=flag_lines(metric_ranges.flags(session, shop.id, shop.timezone)),
        charts=[build(figures) for build in CHARTS.values()],
        period_args=_period_args(chosen),
        jobs=jobs,
        job_label=job_label,
        status_label=status_label,
        final_statuses=FINAL_STATUSES,
    ), 400 if error else 200


@bp.route("/dashboard/<chart>.csv")
def chart_csv(chart: str) -> ResponseReturnValue:
    """One chart's numbers for the period asked for, as CSV (aggregates only: nothing to mask
    or audit)."""
    build = CHARTS.get(chart)
    if build is None:
        abort(404)
    session = db()
    shop = default_shop(session)
    chosen, error = chosen_period(request.args, shop.timezone)
    if error:
        return Response(error, status=400, mimetype="text/plain")
    found = build(Figures(session, current_config(), shop, chosen))
    buffer = io.StringIO()
    buffer.write(BOM)
    csv.writer(buffer).writerows(found.csv_rows())
    filename = _("%(chart)s %(first)s to %(last)s", chart=found.title, first=chosen.first.isoformat(),
                 last=chosen.last.isoformat()) + ".csv"
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": content_disposition(filename)})


def _period_args(chosen: Period) -> dict[str, str]:
    """The query arguments that ask for ``chosen`` again (for the CSV links)."""
    if chosen.preset == "custom":
        return {"period": "custom", "from": chosen.first.isoformat(), "to": chosen.last.isoformat()}
    return {"period": chosen.preset}
