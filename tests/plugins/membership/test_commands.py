"""``shopcrm membership review`` and ``expire-points`` run the jobs for a shop."""
from __future__ import annotations

import datetime as dt
import json

from click.testing import CliRunner
from sqlalchemy import select

from membership_support import customer_id
from shopcrm.cli import build_cli
from shopcrm.db import utcnow
from shopcrm.models import CustomerLabel
from shopcrm_membership.models import PointsEntry


def run(*args):
    return CliRunner().invoke(build_cli(), list(args))


def test_review_labels_every_customer_of_the_named_shop(session, shop, feed):
    feed("t1", "amy", "paid", "2100")
    session.execute(CustomerLabel.__table__.delete())
    session.commit()
    result = run("membership", "review", "--shop", shop.name, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"customers": 1, "downgrades": False}
    session.commit()
    assert session.scalar(select(CustomerLabel.value)) == "银牌会员"


def test_expire_points(session, shop, feed):
    feed("t1", "amy", "paid", "100", paid_at=utcnow() - dt.timedelta(days=400))
    result = run("membership", "expire-points")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "expired points of 1 customers"
    session.commit()
    kinds = session.scalars(select(PointsEntry.kind).where(PointsEntry.customer_id == customer_id(session, "amy"))
                            .order_by(PointsEntry.id)).all()
    assert kinds == ["earn", "expire"]


def test_an_unknown_shop_is_a_clear_error(config):
    result = run("membership", "review", "--shop", "没有这家店")
    assert result.exit_code != 0 and "no shop named" in result.output
