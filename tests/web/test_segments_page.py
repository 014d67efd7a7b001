"""The segment pages: the list, the builder's live count, saving, deleting, and who may do what."""
from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from shopcrm.cli import build_cli
from shopcrm.models import AuditLog, CustomerLabel, Segment
from shopcrm.shops import default_shop
from tests.web.web_support import csrf_token, make_customer, page_token, text

REPEAT = {"all": [{"field": "order_count", "op": ">=", "value": 2}]}


@pytest.fixture
def shop_with_customers(session):
    """Five customers: two repeat buyers (one labelled 重要价值客户), three who bought once or never."""
    shop = default_shop(session)
    people = [
        make_customer(shop.id, "tb_wang", name="王小明", mobile="13812345678", sms_reachable=True, province="浙江省",
                      order_count=3, total_paid=Decimal("520")),
        make_customer(shop.id, "tb_li", name="李丽", mobile="13900001111", sms_reachable=True, province="广东省",
                      order_count=2, total_paid=Decimal("180")),
        make_customer(shop.id, "tb_zhang", name="张伟", mobile="13700002222", province="浙江省", order_count=1,
                      total_paid=Decimal("60")),
        make_customer(shop.id, "tb_zhao", name="赵敏", order_count=1, total_paid=Decimal("30")),
        make_customer(shop.id, "tb_new", name="新客", order_count=0, total_paid=Decimal("0")),
    ]
    session.add_all(people)
    session.flush()
    session.add(CustomerLabel(shop_id=shop.id, customer_id=people[0].id, segmenter="rfm", value="重要价值客户"))
    session.commit()
    return {c.platform_id: c.id for c in people}


def cli_count(rules):
    result = CliRunner().invoke(build_cli(), ["segments", "count", "--rules", json.dumps(rules)])
    assert result.exit_code == 0, result.output
    return int(result.output)


def count_fragment(client, rules, token_from="/segments/new"):
    token = page_token(client, token_from)
    body = rules if isinstance(rules, str) else json.dumps(rules)
    return client.post("/segments/count", data={"rules": body},
                       headers={"HX-Request": "true", "X-CSRFToken": token})


def save(client, name, rules, url="/segments/new", description=""):
    return client.post(url, data={"name": name, "description": description, "rules": json.dumps(rules),
                                  "csrf_token": page_token(client, "/segments/new")})


def test_the_pages_need_a_log_in(client):
    for url in ("/segments/", "/segments/new"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/segments/count", data={"rules": "{}"}).status_code == 302


@pytest.mark.parametrize("rules", [
    REPEAT,
    {"all": [{"field": "province", "op": "=", "value": "浙江省"}, {"any": [
        {"field": "total_paid", "op": ">", "value": 100}, {"field": "sms_reachable", "op": "=", "value": False}]}]},
    {"all": [{"field": "label.rfm", "op": "=", "value": "重要价值客户"}]},
    {"all": []},
])
def test_the_live_count_is_the_cores_count(login_as, viewer, shop_with_customers, rules):
    response = count_fragment(login_as(viewer), rules)
    assert response.status_code == 200
    page = text(response)
    assert "<html" not in page
    assert f'data-count="{cli_count(rules)}"' in page


def test_the_live_count_shows_a_sample_with_masked_mobiles_and_links(login_as, operator, shop_with_customers):
    page = text(count_fragment(login_as(operator), REPEAT))
    assert 'data-count="2"' in page
    assert "王小明" in page and "李丽" in page and "张伟" not in page
    assert "138****5678" in page and "13812345678" not in page
    assert f'href="/customers/{shop_with_customers["tb_wang"]}"' in page


@pytest.mark.parametrize(("rules", "message"), [
    ({"all": [{"field": "total_paid", "op": ">", "value": "lots"}]}, "all[0].value: expected a number, not &#39;lots&#39;"),
    ({"all": [{"field": "colour", "op": "=", "value": "red"}]}, "all[0].field: unknown field &#39;colour&#39;"),
    ({"all": [{"field": "province", "op": ">", "value": "x"}]}, "all[0].op: province cannot use &#39;&gt;&#39;"),
    ('{"all": [', "not valid JSON"),
])
def test_bad_rules_get_the_clear_message_not_a_zero(login_as, viewer, shop_with_customers, rules, message):
    response = count_fragment(login_as(viewer), rules)
    assert response.status_code == 200
    page = text(response)
    assert message in page and "rule-error" in page
    assert "data-count" not in page


def test_the_builder_opens_pre_filled_from_the_link(login_as, viewer, shop_with_customers):
    rules = {"all": [{"field": "label.rfm", "op": "=", "value": "重要价值客户"}]}
    page = text(login_as(viewer).get("/segments/new?rules=" + quote(json.dumps(rules, ensure_ascii=False))))
    assert "&#34;label.rfm&#34;" in page and "重要价值客户" in page
    assert 'id="segment-catalogue"' in page and "label.rfm" in page
    assert 'hx-post="/segments/count" hx-trigger="load, rules-changed delay:400ms"' in page


def test_a_broken_link_opens_the_builder_with_the_error(login_as, viewer, shop_with_customers):
    page = text(login_as(viewer).get("/segments/new?rules=" + quote('{"all": [{"field": "x"}]}')))
    assert "unknown field &#39;x&#39;" in page


def test_saving_counts_and_lists_the_segment(login_as, operator, shop_with_customers, session):
    client = login_as(operator)
    response = save(client, "复购客户", REPEAT, description="买过两次以上")
    assert response.status_code == 302
    segment = session.scalar(select(Segment).where(Segment.name == "复购客户"))
    assert segment.rules == REPEAT and segment.last_count == 2 and segment.last_counted_at is not None
    assert response.headers["Location"] == f"/segments/{segment.id}"
    assert "已保存分群 复购客户：2 位客户。" in text(client.get(response.headers["Location"]))
    page = text(client.get("/segments/"))
    assert "复购客户" in page and "买过两次以上" in page and ">2</strong>" in page
    audit = session.scalar(select(AuditLog).where(AuditLog.action == "segment.create"))
    assert audit.target == "segment:复购客户" and audit.username == "ops"


def test_a_name_is_unique_per_shop(login_as, operator, shop_with_customers, session):
    client = login_as(operator)
    save(client, "复购客户", REPEAT)
    response = save(client, "复购客户", {"all": []})
    assert response.status_code == 422
    assert "已存在名为 复购客户 的分群" in text(response)
    assert session.scalars(select(Segment)).all()[0].rules == REPEAT


def test_editing_keeps_the_name_and_can_change_the_rules(login_as, operator, shop_with_customers, session):
    client = login_as(operator)
    save(client, "复购客户", REPEAT)
    segment_id = session.scalar(select(Segment.id))
    everyone = {"all": []}
    assert save(client, "复购客户", everyone, url=f"/segments/{segment_id}").status_code == 302
    session.rollback()  # end the test's read transaction: see what the app committed
    assert session.get(Segment, segment_id).rules == everyone and session.get(Segment, segment_id).last_count == 5


def test_saving_bad_rules_is_refused_with_the_message(login_as, operator, shop_with_customers, session):
    response = save(login_as(operator), "坏的", {"all": [{"field": "gender", "op": "=", "value": "x"}]})
    assert response.status_code == 422
    assert "all[0].value: expected m or f" in text(response)
    assert session.scalars(select(Segment)).all() == []


def test_recount_and_delete(login_as, operator, shop_with_customers, session):
    client = login_as(operator)
    save(client, "复购客户", REPEAT)
    segment = session.scalar(select(Segment))
    token = page_token(client, "/segments/")
    fragment = client.post(f"/segments/{segment.id}/count", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert ">2</strong>" in text(fragment)
    assert client.post(f"/segments/{segment.id}/delete", data={"csrf_token": token}).status_code == 302
    session.rollback()
    assert session.scalars(select(Segment)).all() == []
    assert session.scalar(select(AuditLog).where(AuditLog.action == "segment.delete")).target == "segment:复购客户"


def test_a_viewer_may_look_and_count_but_not_save_export_or_delete(login_as, operator, viewer, shop_with_customers,
                                                                   session):
    save(login_as(operator), "复购客户", REPEAT)
    segment_id = session.scalar(select(Segment.id))
    client = login_as(viewer)
    page = text(client.get("/segments/"))
    assert "复购客户" in page and "删除" not in page and "导出" not in page
    assert "保存分群" not in text(client.get(f"/segments/{segment_id}"))
    assert 'data-count="2"' in text(count_fragment(client, REPEAT))
    token = page_token(client, "/segments/")
    for url in ("/segments/new", f"/segments/{segment_id}", f"/segments/{segment_id}/delete",
                f"/segments/{segment_id}/export", "/segments/export"):
        response = client.post(url, data={"csrf_token": token, "name": "x", "rules": json.dumps(REPEAT)})
        assert response.status_code == 403, url
    assert client.post(f"/segments/{segment_id}/count", data={"csrf_token": token}).status_code == 302


@pytest.mark.parametrize("url", ["/segments/new", "/segments/count", "/segments/export", "/segments/1",
                                 "/segments/1/count", "/segments/1/delete", "/segments/1/export"])
def test_posts_need_the_csrf_token(login_as, admin, shop_with_customers, url):
    client = login_as(admin)
    response = client.post(url, data={"name": "x", "rules": json.dumps(REPEAT)}, headers={"HX-Request": "true"})
    assert response.status_code == 400


def test_the_page_counts_without_javascript(login_as, viewer, shop_with_customers):
    client = login_as(viewer)
    token = csrf_token(text(client.get("/segments/new")))
    page = text(client.post("/segments/count", data={"rules": json.dumps(REPEAT), "csrf_token": token}))
    assert "<html" in page and 'data-count="2"' in page


def test_another_shops_segment_is_not_found(login_as, admin, shop_with_customers, session):
    from shopcrm.models import Shop

    other = Shop(name="别人的店")
    session.add(other)
    session.flush()
    session.add(Segment(shop_id=other.id, name="他们的", rules=REPEAT))
    session.commit()
    segment_id = session.scalar(select(Segment.id))
    assert login_as(admin).get(f"/segments/{segment_id}").status_code == 404


def test_a_name_taken_at_the_same_moment_is_the_same_clear_error(login_as, operator, shop_with_customers, session,
                                                                 monkeypatch):
    client = login_as(operator)
    save(client, "复购客户", REPEAT)
    monkeypatch.setattr("shopcrm.web.views.segments.name_taken", lambda *args: False)  # the check saw nothing
    response = save(client, "复购客户", {"all": []})
    assert response.status_code == 422 and "已存在名为 复购客户 的分群" in text(response)
    session.rollback()
    assert [s.rules for s in session.scalars(select(Segment))] == [REPEAT]
