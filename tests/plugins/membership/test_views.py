"""The membership pages: log-in everywhere, roles, Chinese, CSRF, masked mobiles, escaped
output, and the panel on a customer's page."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from membership_support import customer_id
from shopcrm.jobs import wait_for
from shopcrm.models import CustomerLabel, JobRun
from shopcrm_membership.models import PointsEntry
from shopcrm_membership.rules import load_rules
from tests.web.web_support import csrf_token, page_token, text

PAGES = ["/plugins/membership/", "/plugins/membership/rules"]


@pytest.fixture
def members(session, shop, feed):
    feed("t1", "amy<b>", "paid", "600", mobile="13812345678")
    feed("t2", "bob", "paid", "25000", mobile="13900001111")
    session.commit()
    return {"amy": customer_id(session, "amy<b>"), "bob": customer_id(session, "bob")}


@pytest.fixture
def viewer(make_user):
    return make_user("guest", "viewer")


@pytest.fixture
def operator(make_user):
    return make_user("ops", "operator")


@pytest.fixture
def admin(make_user):
    return make_user("boss", "admin")


def test_every_page_needs_a_log_in(app, members):
    client = app.test_client()
    for url in [*PAGES, f"/plugins/membership/customers/{members['amy']}/points"]:
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), url


def test_members_by_tier_in_chinese_with_masked_mobiles(login_as, viewer, members):
    client = login_as(viewer)
    page = text(client.get("/plugins/membership/?tier=铜牌会员"))
    assert "<title>会员 · ShopCRM</title>" in page and "按等级的客户" in page
    assert re.search(r"<td>.*铜牌会员</a></td><td>1</td>", page)
    assert re.search(r"<td>.*钻石会员</a></td><td>1</td>", page)
    assert "138****5678" in page and "13812345678" not in page
    assert "amy&lt;b&gt;" in page and "amy<b>" not in page
    assert "<td>600</td>" in page  # points
    assert '<a href="/plugins/membership/" aria-current="page">会员</a>' in page


def test_members_are_paged(login_as, viewer, session, shop, feed, monkeypatch):
    from shopcrm_membership import views

    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    feed("t1", "amy", "paid", "10")
    feed("t2", "bob", "paid", "10")
    client = login_as(viewer)
    first = text(client.get("/plugins/membership/?tier=普通会员"))
    assert ">amy<" in first and ">bob<" not in first
    after = re.search(r'href="([^"]+after=\d+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = text(client.get(after))
    assert ">bob<" in second and ">amy<" not in second and 'rel="next"' not in second


def test_rules_are_for_administrators(login_as, viewer, operator, admin):
    assert login_as(viewer).get("/plugins/membership/rules").status_code == 403
    assert login_as(operator).get("/plugins/membership/rules").status_code == 403
    page = text(login_as(admin).get("/plugins/membership/rules"))
    assert "会员规则" in page and 'value="钻石会员"' in page and 'value="20000"' in page


def rules_form(**changes):
    form = {"basis": "amount", "window_days": "365", "points_per_yuan": "1", "points_expiry_months": "12"}
    for i, (name, threshold) in enumerate([("普通会员", "0"), ("铜牌会员", "500"), ("银牌会员", "2000"),
                                           ("金牌会员", "5000"), ("钻石会员", "20000")], start=1):
        form[f"tier_name_{i}"], form[f"tier_threshold_{i}"] = name, threshold
    form.update(changes)
    return form


def test_rules_are_saved_and_mistakes_explained(login_as, admin, session, shop):
    client = login_as(admin)
    token = page_token(client, "/plugins/membership/rules")
    refused = client.post("/plugins/membership/rules", data=rules_form(tier_threshold_3="400"))
    assert refused.status_code == 400  # no CSRF token
    bad = text(client.post("/plugins/membership/rules", data={**rules_form(tier_threshold_3="400"),
                                                             "csrf_token": token}))
    assert "每个等级的门槛都要高于上一个等级" in bad and 'id="tier_threshold_3-error"' in bad
    session.commit()
    assert load_rules(session, shop.id).tiers[2].threshold == 2000
    saved = client.post("/plugins/membership/rules", data={
        **rules_form(tier_threshold_3="3000", downgrade_enabled="y", window_days="180"), "csrf_token": token})
    assert saved.status_code == 302
    assert "会员规则已保存" in text(client.get("/plugins/membership/rules"))
    session.commit()
    rules = load_rules(session, shop.id)
    assert (rules.tiers[2].threshold, rules.downgrade_enabled, rules.window_days) == (3000, True, 180)


def test_the_review_runs_from_the_page(login_as, admin, session, members, config):
    session.execute(CustomerLabel.__table__.delete())
    session.commit()
    client = login_as(admin)
    token = page_token(client, "/plugins/membership/rules")
    assert client.post("/plugins/membership/run/review").status_code == 400
    response = client.post("/plugins/membership/run/review", data={"csrf_token": token},
                           headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 200 and "job-progress" in text(response)
    run = session.scalar(select(JobRun).where(JobRun.kind == "membership.review"))
    assert wait_for(run.id, config)["status"] == "finished"
    session.commit()
    assert session.scalar(select(CustomerLabel.value).where(CustomerLabel.customer_id == members["bob"])) == "钻石会员"


def test_points_are_changed_with_a_reason(login_as, viewer, operator, session, members):
    url = f"/plugins/membership/customers/{members['amy']}/points"
    assert login_as(viewer).get(url).status_code == 403
    client = login_as(operator)
    page = text(client.get(url))
    assert "原因" in page and 'id="membership-points">600<' in page
    token = csrf_token(page)
    assert client.post(url, data={"action": "adjust", "points": "50", "reason": "补偿"}).status_code == 400
    missing = text(client.post(url, data={"action": "adjust", "points": "50", "reason": " ",
                                          "csrf_token": token}))
    assert "请填写原因" in missing
    for bad in ("--5", "1.5", "abc", "2000000"):
        wrong = text(client.post(url, data={"action": "adjust", "points": bad, "reason": "补偿",
                                            "csrf_token": token}))
        assert "积分须为 -1000000 到 1000000 之间的整数" in wrong, bad
    too_many = text(client.post(url, data={"action": "redeem", "points": "601", "reason": "兑换",
                                           "csrf_token": token}))
    assert "积分不足" in too_many
    done = client.post(url, data={"action": "redeem", "points": "100", "reason": "兑换<优惠券>",
                                  "csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"] == f"/customers/{members['amy']}"
    session.commit()
    kinds = [(e.kind, e.points, e.created_by_name) for e in session.scalars(
        select(PointsEntry).where(PointsEntry.customer_id == members["amy"]).order_by(PointsEntry.id))]
    assert kinds == [("earn", 600, None), ("redeem", -100, "ops")]


def test_the_customer_page_has_the_membership_panel(login_as, viewer, operator, session, members):
    url = f"/customers/{members['amy']}"
    page = text(login_as(viewer).get(url))
    assert 'id="membership-panel"' in page and "铜牌会员" in page and "积分记录" in page
    assert 'id="membership-points">600<' in page and "获得" in page
    assert "近 365 天实付 ¥600.00" in page and "再消费 ¥1400.00 可升为银牌会员" in page
    assert "调整或兑换积分" not in page  # viewers may not change points
    assert "调整或兑换积分" in text(login_as(operator).get(url))
