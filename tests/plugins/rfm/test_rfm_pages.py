"""The RFM page: log-in, roles, CSRF, Chinese by default, settings saved and audited, and
"Recompute now" relabelling the shop's customers through the labels job."""
from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Callable
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm import plugin_settings
from shopcrm.config import Config
from shopcrm.db import utcnow
from shopcrm.jobs import wait_for
from shopcrm.labels import run_all
from shopcrm.models import AuditLog, Customer, CustomerLabel, JobRun, Order, Shop, User
from shopcrm.shops import default_shop
from shopcrm_rfm.settings_form import from_config
from shopcrm_rfm.segmenter import DEFAULTS
from tests.web.web_support import csrf_token, page_token, post_form, text

# nick -> (mobile, orders as (days ago, amount))
BUYERS = {
    "amy": ("13800001111", [(2, "900"), (20, "700"), (40, "800")]),
    "bob": ("13800002222", [(5, "60")]),
    "cat": ("13800003333", [(200, "1500"), (220, "1200")]),
    "dan": ("13800004444", [(300, "30")]),
    "eve": ("13800005555", [(10, "120"), (15, "90")]),
}


@pytest.fixture
def shop(session: Session) -> Shop:
    """The default shop with a few buyers and their paid orders (rollups kept by the core)."""
    shop = default_shop(session)
    now = utcnow()
    n = 0
    for nick, (mobile, orders) in BUYERS.items():
        customer = Customer(shop_id=shop.id, identity=nick, platform_id=nick, name=nick.title(), mobile=mobile)
        session.add(customer)
        session.flush()
        for days, amount in orders:
            n += 1
            at = now - dt.timedelta(days=days)
            session.add(Order(shop_id=shop.id, customer_id=customer.id, platform_order_id=f"o{n}",
                              status="completed", paid_amount=Decimal(amount), created_at=at, paid_at=at))
    session.commit()
    return shop


def rfm_labels(session: Session, shop: Shop) -> dict[str, str]:
    session.rollback()  # end the read transaction: see what the app committed since
    return dict(session.execute(
        select(Customer.platform_id, CustomerLabel.value).join(CustomerLabel, CustomerLabel.customer_id == Customer.id)
        .where(CustomerLabel.shop_id == shop.id, CustomerLabel.segmenter == "rfm")).all())


def settings_data(**overrides: str) -> dict[str, str]:
    return {**from_config(DEFAULTS).fields, **overrides}


def test_the_pages_need_a_login(client: FlaskClient) -> None:
    for url in ("/plugins/rfm/", "/plugins/rfm/customers?value=x"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_the_page_is_in_chinese_and_in_the_menu(config: Config, shop: Shop, viewer_client: FlaskClient) -> None:
    run_all(config, shop.id, ["rfm"])
    page = text(viewer_client.get("/plugins/rfm/"))
    assert '<a href="/plugins/rfm/" aria-current="page">RFM 分析</a>' in page
    assert "最近购买 × 购买频次" in page and "客户分类" in page and "平均消费金额" in page
    assert "上次计算于" in page and "共 5 位客户" in page
    assert 'id="cell-r5-f1"' in page and 'id="cell-r1-f5"' in page
    value = "重要价值客户"
    assert f'href="/plugins/rfm/customers?value={quote(value)}"' in page
    rules = json.dumps({"all": [{"field": "label.rfm", "op": "=", "value": value}]}, ensure_ascii=False)
    assert "/segments/new?rules=" + quote(rules, safe="").replace("%20", "+") in page.replace("&amp;", "&")


def test_english_users_see_english(make_user: Callable[..., User], login_as: Callable[[User], FlaskClient]) -> None:
    page = text(login_as(make_user("lee", "viewer", locale="en")).get("/plugins/rfm/"))
    assert "RFM analysis" in page and "Recency × frequency" in page and "RFM 分析" not in page


def test_a_viewer_sees_the_page_but_cannot_change_settings_or_recompute(
    session: Session, shop: Shop, viewer_client: FlaskClient
) -> None:
    page = text(viewer_client.get("/plugins/rfm/"))
    assert "只有运营和管理员可以修改设置。" in page
    assert "立即重新计算" not in page and "保存设置" not in page
    token = csrf_token(page)
    assert viewer_client.post("/plugins/rfm/settings", data={**settings_data(model="en11"),
                                                             "csrf_token": token}).status_code == 403
    assert viewer_client.post("/plugins/rfm/recompute", data={"csrf_token": token}).status_code == 403
    session.rollback()
    assert plugin_settings.load(session, "rfm", shop.id, DEFAULTS)["model"] == "cn8"
    assert rfm_labels(session, shop) == {}


def test_posts_without_the_csrf_token_are_refused(session: Session, shop: Shop, operator_client: FlaskClient) -> None:
    assert operator_client.post("/plugins/rfm/settings", data=settings_data(model="en11")).status_code == 400
    assert operator_client.post("/plugins/rfm/recompute", headers={"HX-Request": "true"}).status_code == 400
    session.rollback()
    assert plugin_settings.load(session, "rfm", shop.id, DEFAULTS)["model"] == "cn8"


def test_saving_settings_is_audited(session: Session, shop: Shop, operator_client: FlaskClient) -> None:
    response = post_form(operator_client, "/plugins/rfm/settings",
                         settings_data(model="en11", window_days="180"), token_from="/plugins/rfm/")
    assert response.status_code == 302
    assert "RFM 设置已保存。" in text(operator_client.get("/plugins/rfm/"))
    session.rollback()
    saved = plugin_settings.load(session, "rfm", shop.id, DEFAULTS)
    assert (saved["model"], saved["window_days"]) == ("en11", 180)
    entry = session.scalars(select(AuditLog).where(AuditLog.action == "settings.rfm")).one()
    assert entry.username == "ops" and entry.target == f"shop:{shop.id}"
    assert entry.details == {"model": ["cn8", "en11"], "window_days": [365, 180]}


def test_bad_settings_are_refused_with_the_field_named(
    session: Session, shop: Shop, operator_client: FlaskClient
) -> None:
    response = post_form(operator_client, "/plugins/rfm/settings",
                         settings_data(model="en11", r1="7", r4="180", window_days="0"), token_from="/plugins/rfm/")
    assert response.status_code == 400
    page = text(response)
    assert "设置未保存：请修改下方标出的字段。" in page
    assert "R 的界限需从天数多到天数少排列" in page and "统计窗口需为 1 至 3650 之间的整数天数。" in page
    assert 'id="rfm-r1" name="r1" type="number" value="7" aria-invalid="true"' in page
    session.rollback()
    assert plugin_settings.load(session, "rfm", shop.id, DEFAULTS)["model"] == "cn8"
    assert not session.scalars(select(AuditLog).where(AuditLog.action == "settings.rfm")).all()


def test_recompute_queues_the_labels_job_and_the_labels_follow_the_settings(
    session: Session, config: Config, shop: Shop, operator_client: FlaskClient
) -> None:
    assert rfm_labels(session, shop) == {}
    token = page_token(operator_client, "/plugins/rfm/")
    response = operator_client.post("/plugins/rfm/recompute",
                                    headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 200 and "job-progress" in text(response)
    job_id = int(re.search(r'id="job-(\d+)"', text(response)).group(1))
    status = wait_for(job_id, config, timeout=30)
    assert status["status"] == "finished" and status["kind"] == "labels.refresh"
    assert status["result"]["segmenters"]["rfm"]["customers"] == 5
    labels = rfm_labels(session, shop)
    assert set(labels) == set(BUYERS) and labels["amy"] == "重要价值客户"
    assert "重新计算标签" in text(operator_client.get(f"/jobs/{job_id}"))
    entry = session.scalars(select(AuditLog).where(AuditLog.action == "job.enqueue")).one()
    assert entry.details == {"kind": "labels.refresh", "segmenters": ["rfm"]}

    post_form(operator_client, "/plugins/rfm/settings", settings_data(model="en11"), token_from="/plugins/rfm/")
    response = post_form(operator_client, "/plugins/rfm/recompute", {}, token_from="/plugins/rfm/")
    assert response.status_code == 302
    session.rollback()
    run = session.scalar(select(JobRun).order_by(JobRun.id.desc()))
    assert run is not None and run.args == {"shop_id": shop.id, "segmenters": ["rfm"]}
    assert wait_for(run.id, config, timeout=30)["status"] == "finished"
    labels = rfm_labels(session, shop)
    assert labels["amy"] == "Champions" and labels["dan"] == "Lost"
    assert "Champions" in text(operator_client.get("/plugins/rfm/"))


def test_a_cells_customers_are_listed_with_masked_mobiles(
    config: Config, shop: Shop, session: Session, operator_client: FlaskClient, admin_client: FlaskClient
) -> None:
    run_all(config, shop.id, ["rfm"])
    session.rollback()
    scores = session.scalar(select(CustomerLabel.scores).join(Customer, Customer.id == CustomerLabel.customer_id)
                            .where(Customer.platform_id == "amy", CustomerLabel.segmenter == "rfm"))
    url = f"/plugins/rfm/customers?r={scores['r_score']}&f={scores['f_score']}"
    page = text(operator_client.get(url))
    assert "Amy" in page and "138****1111" in page and "13800001111" not in page
    assert "R 分 5，F 分 5" in page
    assert "13800001111" in text(admin_client.get(url))
    assert "这里没有客户。" in text(operator_client.get("/plugins/rfm/customers?value=不存在"))
