"""Exporting customers from the web: a saved segment's, the builder's rules, the customer list's
filters; UTF-8 with BOM, label columns, mobiles masked unless the role may see them, audited."""
from __future__ import annotations

import csv
import io
import json

from sqlalchemy import select

from shopcrm.models import AuditLog, Segment
from shopcrm.web.csv_download import content_disposition
from tests.web.test_segments_page import REPEAT, save, shop_with_customers  # noqa: F401  (fixture)
from tests.web.web_support import page_token, text


def read_csv(response):
    body = response.get_data()
    assert body.startswith("\ufeff".encode()), "Excel needs the byte order mark to read UTF-8"
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_an_operator_exports_a_segment_with_masked_mobiles_and_label_columns(login_as, operator, shop_with_customers,
                                                                             session):
    client = login_as(operator)
    save(client, "复购客户", REPEAT)
    segment_id = session.scalar(select(Segment.id))
    response = client.post(f"/segments/{segment_id}/export", data={"csrf_token": page_token(client, "/segments/")})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "filename*=UTF-8''%E5%A4%8D%E8%B4%AD%E5%AE%A2%E6%88%B7.csv" in response.headers["Content-Disposition"]
    rows = read_csv(response)
    session.rollback()  # end the test's read transaction: see what the app committed
    assert {r["platform_id"] for r in rows} == {"tb_wang", "tb_li"}
    assert "label.rfm" in rows[0]
    wang = next(r for r in rows if r["platform_id"] == "tb_wang")
    assert wang["mobile"] == "138****5678" and wang["label.rfm"] == "重要价值客户"
    entry = session.scalar(select(AuditLog).where(AuditLog.action == "customers.export"))
    assert entry.username == "ops" and entry.target == "复购客户.csv"
    assert entry.details["segment"] == "复购客户" and entry.details["customers"] == 2
    assert entry.details["masked"] is True and entry.details["finished"] is True


def test_an_admin_sees_full_mobiles(login_as, admin, shop_with_customers):
    client = login_as(admin)
    response = client.post("/segments/export", data={"rules": json.dumps(REPEAT),
                                                     "csrf_token": page_token(client, "/segments/new")})
    mobiles = {r["mobile"] for r in read_csv(response)}
    assert mobiles == {"13812345678", "13900001111"}


def test_the_customer_list_exports_its_filters(login_as, operator, shop_with_customers, session):
    client = login_as(operator)
    page = text(client.get("/customers/", query_string={"province": "浙江省"}))
    assert 'action="/segments/export"' in page and "导出" in page
    rules = {"all": [{"field": "province", "op": "=", "value": "浙江省"}]}
    assert f'value="{json.dumps(rules, ensure_ascii=False).replace(chr(34), "&#34;")}"' in page
    assert 'href="/segments/new?rules=%7B%22all%22' in page
    response = client.post("/segments/export", data={"rules": json.dumps(rules),
                                                     "csrf_token": page_token(client, "/customers/")})
    assert {r["platform_id"] for r in read_csv(response)} == {"tb_wang", "tb_zhang"}
    entry = session.scalar(select(AuditLog).where(AuditLog.action == "customers.export"))
    assert entry.details["customers"] == 2 and entry.details["rules"] == rules


def test_viewers_get_no_export_button(login_as, viewer, shop_with_customers):
    assert 'action="/segments/export"' not in text(login_as(viewer).get("/customers/"))


def test_exporting_bad_rules_shows_the_error_and_writes_nothing(login_as, operator, shop_with_customers, session):
    client = login_as(operator)
    response = client.post("/segments/export", data={"rules": '{"all": [{"field": "x", "op": "=", "value": 1}]}',
                                                     "csrf_token": page_token(client, "/segments/new")})
    assert response.status_code == 422 and "unknown field &#39;x&#39;" in text(response)
    assert session.scalars(select(AuditLog).where(AuditLog.action == "customers.export")).all() == []


def test_the_file_name_keeps_chinese_with_an_ascii_fallback():
    assert content_disposition("复购 客户.csv") == (
        "attachment; filename=\"_____.csv\"; filename*=UTF-8''%E5%A4%8D%E8%B4%AD%20%E5%AE%A2%E6%88%B7.csv")
    assert content_disposition('a/b"c.csv') == "attachment; filename=\"a_b_c.csv\"; filename*=UTF-8''a%2Fb%22c.csv"
