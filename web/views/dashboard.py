"""The dashboard: the page operators land on, with the shop's real figures."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from shopcrm.models import JobRun
from shopcrm.shops import default_shop
from shopcrm.web.database import db
from shopcrm.web.job_labels import FINAL_STATUSES, job_label, status_label
from shopcrm.web.shop_figures import RECENT_DAYS, orders_per_day, shop_figures

bp = Blueprint("dashboard", __name__)

RECENT_JOBS = 5


@bp.route("/")
def index() -> ResponseReturnValue:
    session = db()
    shop = default_shop(session)
    session.commit()  # the default shop is created on first visit
    jobs = session.scalars(select(JobRun).order_by(JobRun.id.desc()).limit(RECENT_JOBS)).all()
    daily = orders_per_day(session, shop)
    return render_template(
        "dashboard/index.html",
        shop=shop,
        figures=shop_figures(session, shop),
        recent_days=RECENT_DAYS,
        chart_labels=[day.day.strftime("%m-%d") for day in daily],
        chart_values=[day.count for day in daily],
        jobs=jobs,
        job_label=job_label,
        status_label=status_label,
        final_statuses=FINAL_STATUSES,
    )
