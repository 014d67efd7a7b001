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
from sqlalchemy.orm import Session

from shopcrm import audit
from shopcrm.models import Customer, CustomerLabel
from shopcrm.shops import default_shop
from shopcrm.web.access import role_required
from shopcrm.web.database import db
from shopcrm.web.views.jobs import start_job
from shopcrm_membership import points
from shopcrm_membership.forms import PointsForm, RulesForm
from shopcrm_membership.jobs import EXPIRE, REVIEW
from shopcrm_membership.models import PointsEntry
from shopcrm_membership.rules import Rules, RulesError, check_rules, load_rules, save_rules
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
    started = _("The review has started.") if name == "review" else _("Expiring points has started.")
    return start_job(kind, started, url_for("membership.rules"))


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
        entry = _apply(form, session, customer, load_rules(session, shop.id))
        if entry is not None:
            audit.record(session, f"membership.points.{entry.kind}", user=current_user._get_current_object(),
                         target=f"customer:{customer.id}",
                         details={"points": entry.points, "reason": entry.reason},
                         ip=request.remote_addr)
            session.commit()
            flash(_("Points changed by %(points)d.", points=entry.points), "success")
            return redirect(url_for("customers.detail", customer_id=customer.id))
    session.rollback()  # nothing was changed; let go of the customer's row lock
    return render_template("membership/points.html", form=form, customer=customer,
                           balance=points.balance(session, customer.id), tier=tier_of(session, customer.id))


def _apply(form: PointsForm, session: Session, customer: Customer, rules: Rules) -> PointsEntry | None:
    """Make the change the form asks for; or put why it cannot be made on the field at fault."""
    raw = (form.points.data or "").strip()
    if not WHOLE.fullmatch(raw) or abs(int(raw)) > MAX_CHANGE:
        form.points.errors = [_("The points are a whole number from -%(max)d to %(max)d.", max=MAX_CHANGE)]
        return None
    user = current_user._get_current_object()
    reason = form.reason.data or ""
    try:
        if form.action.data == "redeem":
            return points.redeem(session, customer, int(raw), reason, rules, user)
        return points.adjust(session, customer, points.Change(int(raw), reason), rules, user)
    except points.PointsError as exc:
        form[exc.field].errors = [str(exc.message)]
        return None
