"""The life-stage pages: log-in, roles, CSRF, Chinese by default, settings checked and audited,
the funnel with links to the segment builder, and the movement after two runs."""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Callable
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shopcrm import plugin_settings
from shopcrm.config import Config
from shopcrm.db import utcnow
from shopcrm.jobs import wait_for
from shopcrm.labels import run_all
from shopcrm.models import AuditLog, Customer, CustomerLabel, JobRun, Shop, User
from shopcrm.shops import default_shop
from shopcrm_lifecycle.stages import DEFAULTS
from tests.web.web_support import csrf_token, page_token, post_form, text

SETTINGS = "/plugins/lifecycle/settings"


@pytest.fixture
def shop(session: Session) -> Shop:
    """The default shop: one prospect, two active buyers and one sleeping."""
    shop = default_shop(session)
    now = utcnow()
    for nick, last in (("p", None), ("a1", 10), ("a2", 20), ("s", 60)):
        at = None if last is None else now - dt.timedelta(days=last)
        session.add(Customer(shop_id=shop.id, identity=nick, platform_id=nick, last_order_at=at,
                             first_order_at=None if at is None else now - dt.timedelta(days=300)))
    session.commit()
    return shop


def stages_of(session: Session, shop: Shop) -> dict[str, str]:
    session.rollback()  # end the read transaction: see what the app committed since
    return dict(session.execute(
        select(Customer.platform_id, CustomerLabel.value).join(CustomerLabel, CustomerLabel.customer_id == Customer.id)
        .where(CustomerLabel.shop_id == shop.id, CustomerLabel.segmenter == "lifecycle")).all())


def test_the_pages_need_a_login(client: FlaskClient) -> None:
    for url in ("/plugins/lifecycle/", SETTINGS):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_the_funnel_is_in_chinese_with_counts_shares_and_segment_links(
    config: Config, shop: Shop, viewer_client: FlaskClient
) -> None:
    run_all(config, shop.id, ["lifecycle"])
    page = text(viewer_client.get("/plugins/lifecycle/"))
    assert '<a href="/plugins/lifecycle/" aria-current="page">生命周期</a>' in page
    assert "各阶段客户数" in page and "第二次完整计算后将显示阶段之间的变化。" in page
    for value, count, share in (("潜在", 1, "25.0%"), ("新客", 0, "0.0%"), ("活跃", 2, "50.0%"),
                                ("沉睡", 1, "25.0%"), ("流失", 0, "0.0%")):
        item = page.split(f'data-value="{value}"', 1)[1].split("</li>", 1)[0]
        assert f'data-customers="{count}"' in item and share in item
        rules = json.dumps({"all": [{"field": "label.lifecycle", "op": "=", "value": value}]}, ensure_ascii=False)
        assert "/segments/new?rules=" + quote(rules, safe="").replace("%20", "+") in item.replace("&amp;", "&")
    assert page.index('data-value="潜在"') < page.index('data-value="新客"') < page.index('data-value="活跃"') \
        < page.index('data-value="沉睡"') < page.index('data-value="流失"')


def test_the_movement_shows_after_two_runs_with_a_change_between(
    config: Config, session: Session, shop: Shop, viewer_client: FlaskClient
) -> None:
    run_all(config, shop.id, ["lifecycle"])
    session.execute(update(Customer).where(Customer.platform_id == "a2")
                    .values(last_order_at=utcnow() - dt.timedelta(days=45)))
    session.commit()
    run_all(config, shop.id, ["lifecycle"])
    page = text(viewer_client.get("/plugins/lifecycle/"))
    assert "自 " in page and "的完整计算以来变更阶段的客户。" in page
    assert re.search(r"活跃 → 沉睡: <strong>1</strong>", page)


def test_english_users_see_english(make_user: Callable[..., User], login_as: Callable[[User], FlaskClient]) -> None:
    client = login_as(make_user("lee", "viewer", locale="en"))
    assert "Customers per stage" in text(client.get("/plugins/lifecycle/"))
    assert "Days between the stages" in text(client.get(SETTINGS))


def test_a_viewer_sees_the_settings_but_cannot_change_them_or_recompute(
    session: Session, shop: Shop, viewer_client: FlaskClient
) -> None:
    page = text(viewer_client.get(SETTINGS))
    assert "新客天数" in page and "只有运营和管理员可以修改设置。" in page and "保存设置" not in page
    assert "立即重新计算" not in text(viewer_client.get("/plugins/lifecycle/"))
    token = csrf_token(page)
    data = {"new_days": "10", "active_days": "20", "sleep_days": "40", "csrf_token": token}
    assert viewer_client.post(SETTINGS, data=data).status_code == 403
    assert viewer_client.post("/plugins/lifecycle/recompute", data={"csrf_token": token}).status_code == 403
    session.rollback()
    assert plugin_settings.load(session, "lifecycle", shop.id, DEFAULTS) == DEFAULTS
    assert stages_of(session, shop) == {}


def test_posts_without_the_csrf_token_are_refused(session: Session, shop: Shop, operator_client: FlaskClient) -> None:
    data = {"new_days": "10", "active_days": "20", "sleep_days": "40"}
    assert operator_client.post(SETTINGS, data=data).status_code == 400
    assert operator_client.post("/plugins/lifecycle/recompute", headers={"HX-Request": "true"}).status_code == 400
    session.rollback()
    assert plugin_settings.load(session, "lifecycle", shop.id, DEFAULTS) == DEFAULTS


def test_saving_settings_is_audited(session: Session, shop: Shop, operator_client: FlaskClient) -> None:
    data = {"new_days": "14", "active_days": "60", "sleep_days": "180"}
    response = post_form(operator_client, SETTINGS, data, token_from=SETTINGS)
    assert response.status_code == 302
    page = text(operator_client.get(SETTINGS))
    assert "生命周期设置已保存。" in page and 'value="180"' in page
    session.rollback()
    assert plugin_settings.load(session, "lifecycle", shop.id, DEFAULTS) == {
        "new_days": 14, "active_days": 60, "sleep_days": 180}
    entry = session.scalars(select(AuditLog).where(AuditLog.action == "settings.lifecycle")).one()
    assert entry.username == "ops"
    assert entry.details == {"new_days": [30, 14], "active_days": [30, 60], "sleep_days": [90, 180]}
    post_form(operator_client, SETTINGS, data, token_from=SETTINGS)
    assert "没有需要保存的修改。" in text(operator_client.get(SETTINGS))
    assert len(session.scalars(select(AuditLog).where(AuditLog.action == "settings.lifecycle")).all()) == 1


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"new_days": "0"}, "new_days", "请输入 1 至 3650 之间的整数天数。"),
    ({"active_days": "三十"}, "active_days", "请输入 1 至 3650 之间的整数天数。"),
    ({"sleep_days": "4000"}, "sleep_days", "请输入 1 至 3650 之间的整数天数。"),
    ({"active_days": "90", "sleep_days": "90"}, "sleep_days", "沉睡天数必须比活跃天数长：需多于 90 天。"),
])
def test_bad_settings_are_refused_with_the_field_named(
    session: Session, shop: Shop, operator_client: FlaskClient, data: dict[str, str], field: str, message: str
) -> None:
    posted = {"new_days": "30", "active_days": "30", "sleep_days": "90", **data}
    response = post_form(operator_client, SETTINGS, posted, token_from=SETTINGS)
    assert response.status_code == 400
    page = text(response)
    assert f'<small id="lifecycle-{field}-error" class="field-error">{message}</small>' in page
    assert f'value="{posted[field]}" aria-invalid="true"' in page
    session.rollback()
    assert plugin_settings.load(session, "lifecycle", shop.id, DEFAULTS) == DEFAULTS


def test_recompute_queues_the_labels_job_and_the_stages_follow_the_settings(
    session: Session, config: Config, shop: Shop, operator_client: FlaskClient
) -> None:
    token = page_token(operator_client, "/plugins/lifecycle/")
    response = operator_client.post("/plugins/lifecycle/recompute",
                                    headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 200
    job_id = int(re.search(r'id="job-(\d+)"', text(response)).group(1))
    assert wait_for(job_id, config, timeout=30)["status"] == "finished"
    assert stages_of(session, shop) == {"p": "潜在", "a1": "活跃", "a2": "活跃", "s": "沉睡"}

    post_form(operator_client, SETTINGS, {"new_days": "30", "active_days": "15", "sleep_days": "50"},
              token_from=SETTINGS)
    response = post_form(operator_client, "/plugins/lifecycle/recompute", {}, token_from="/plugins/lifecycle/")
    assert response.status_code == 302
    assert "已开始重新计算生命周期。" in text(operator_client.get("/plugins/lifecycle/"))
    session.rollback()
    run = session.scalar(select(JobRun).order_by(JobRun.id.desc()))
    assert run is not None and run.args == {"shop_id": shop.id, "segmenters": ["lifecycle"]}
    assert wait_for(run.id, config, timeout=30)["status"] == "finished"
    assert stages_of(session, shop) == {"p": "潜在", "a1": "活跃", "a2": "沉睡", "s": "流失"}
