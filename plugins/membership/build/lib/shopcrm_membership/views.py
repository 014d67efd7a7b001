"""The membership pages under ``/plugins/membership/``.

* ``/``: customers by tier (counts per tier, then a tier's members, masked mobiles, keyset pages);
  every signed-in user.
* ``/rules``: the shop's tier rules and points settings, and the review and expiry jobs on
  demand; administrators, like the core's settings.
* ``/customers/<id>/points``: adjust or redeem a customer's points with a reason; operators.
"""
from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from shopcrm import audit
from shopcrm.jobs import enqueue, job_status
from shopcrm.models import Customer, CustomerLabel
from shopcrm.shops import default_shop
from shopcrm.web.access import role_required
from shopcrm.web.database import current_config, db
from shopcrm.web.views.jobs import render_progress
from shopcrm_membership import points
from shopcrm_membership.forms import PointsForm, RulesForm
from shopcrm_membership.jobs import EXPIRE, REVIEW
from shopcrm_membership.rules import RulesError, check_rules, load_rules, save_rules
from shopcrm_membership.tiers import NAME as TIER, tier_of

bp = Blueprint("membership", __name__, template_folder="templates")

PAGE_SIZE = 50
MAX_CHANGE = 1_000_000
"""The most points one manual change may add, take away or redeem."""
WHOLE = re.compile(r"-?\d{1,9}")
JOBS = {"review": REVIEW, "expire": EXPIRE}


@bp.route("/")
def index() -> ResponseReturnValue:
    session = db()
    shop = default_shop(session)
    rules = load_rules(session, shop.id)
    counted = dict(session.execute(
        select(CustomerLabel.value, func.count())
        .where(CustomerLabel.shop_id == shop.id, CustomerLabel.segmenter == TIER)
        .group_by(CustomerLabel.value)).all())
    tiers = [(tier.name, counted.pop(tier.name, 0)) for tier in rules.tiers]
    tiers += sorted(counted.items())  # values of earlier rules, until the next review
    customers_total = session.scalar(select(func.count()).where(Customer.shop_id == shop.id)) or 0
    unlabelled = customers_total - sum(count for _name, count in tiers)
    chosen = request.args.get("tier") or (rules.tiers[-1].name if rules.tiers else None)
    after = request.args.get("after", "")
    query = (select(Customer).join(CustomerLabel, CustomerLabel.customer_id == Customer.id)
             .where(Customer.shop_id == shop.id, CustomerLabel.segmenter == TIER,
                    CustomerLabel.value == chosen)
             .order_by(Customer.id).limit(PAGE_SIZE + 1))
    if after.isdigit():
        query = query.where(Customer.id > int(after))
    members = list(session.scalars(query))
    next_after = members[PAGE_SIZE - 1].id if len(members) > PAGE_SIZE else None
    members = members[:PAGE_SIZE]
    balances = points.balances(session, [m.id for m in members])
    session.commit()  # the default shop, when this visit created it
    return render_template("membership/index.html", tiers=tiers, chosen=chosen, members=members,
                           balances=balances, next_after=next_after, unlabelled=unlabelled,
                           rules=rules)


@bp.route("/rules", methods=["GET", "POST"])
@role_required("admin")
def rules() -> ResponseReturnValue:
    session = db()
    shop = default_shop(session)
    form = RulesForm()
    if request.method == "GET":
        form.fill(load_rules(session, shop.id))
    elif form.validate_on_submit():
        try:
            checked = check_rules(form.values())
        except RulesError as exc:
            target = form[exc.field] if exc.field in form else form.window_days
            target.errors = [str(exc.message)]
            flash(_("The rules were not saved: %(error)s", error=str(exc.message)), "error")
        else:
            save_rules(session, shop.id, checked)
            audit.record(session, "membership.rules", user=current_user._get_current_object(),
                         target=f"shop:{shop.id}", details=checked.as_settings(), ip=request.remote_addr)
            session.commit()
            flash(_("Membership rules saved. Run the review to apply them to every customer."), "success")
            return redirect(url_for("membership.rules"))
    session.commit()
    return render_template("membership/rules.html", form=form)


@bp.route("/run/<name>", methods=["POST"])
@role_required("admin")
def run(name: str) -> ResponseReturnValue:
    """Queue the review or the expiry of points for the shop; htmx shows its progress."""
    kind = JOBS.get(name)
    if kind is None:
        abort(404)
    session = db()
    shop = default_shop(session)
    user = current_user._get_current_object()
    audit.record(session, "job.enqueue", user=user, target=f"shop:{shop.id}",
                 details={"kind": kind}, ip=request.remote_addr)
    session.commit()
    job_id = enqueue(kind, config=current_config(), created_by=user.id, shop_id=shop.id)
    if request.headers.get("HX-Request") == "true":
        status = job_status(job_id, current_config())
        assert status is not None, "a job run that was just queued exists"
        return render_progress(status)
    flash(_("The review has started.") if name == "review" else _("Expiring points has started."),
          "success")
    return redirect(url_for("membership.rules"))


@bp.route("/customers/<int:customer_id>/points", methods=["GET", "POST"])
@role_required("operator")
def change_points(customer_id: int) -> ResponseReturnValue:
    session = db()
    shop = default_shop(session)
    customer = session.get(Customer, customer_id)
    if customer is None or customer.shop_id != shop.id:
        abort(404)
    form = PointsForm()
    if form.validate_on_submit():
        raw = (form.points.data or "").strip()
        number = int(raw) if WHOLE.fullmatch(raw) else None
        rules_now = load_rules(session, shop.id)
        user = current_user._get_current_object()
        try:
            if number is None or abs(number) > MAX_CHANGE:
                form.points.errors = [_("The points are a whole number from -%(max)d to %(max)d.",
                                        max=MAX_CHANGE)]
                raise _Invalid()
            if form.action.data == "redeem":
                entry = points.redeem(session, customer, number, form.reason.data or "", rules_now, user)
            else:
                entry = points.adjust(session, customer, points.Change(number, form.reason.data or ""),
                                      rules_now, user)
        except points.PointsError as exc:
            form[exc.field].errors = [str(exc.message)]
        except _Invalid:
            pass
        else:
            audit.record(session, f"membership.points.{entry.kind}", user=user,
                         target=f"customer:{customer.id}",
                         details={"points": entry.points, "reason": entry.reason},
                         ip=request.remote_addr)
            session.commit()
            flash(_("Points changed by %(points)d.", points=entry.points), "success")
            return redirect(url_for("customers.detail", customer_id=customer.id))
    balance = points.balance(session, customer.id)
    session.rollback()
    return render_template("membership/points.html", form=form, customer=customer, balance=balance,
                           tier=tier_of(session, customer.id))


class _Invalid(Exception):
    """A form field already carries its error."""
