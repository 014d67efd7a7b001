"""The dashboard page: a period's figures against the previous period, switching periods, each
chart's numbers as a table and as CSV, flags on a drop, and who may see it."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from typing import Callable

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from shopcrm.db import utcnow
from shopcrm.models import Customer, CustomerLabel, Order, Shop, User
from shopcrm.report_period import local_day, local_today
from shopcrm.shops import default_shop
from shopcrm.web.dashboard_charts import CHARTS
from web_support import make_customer, text

TZ = "Asia/Shanghai"


class ShopData:
    """The default shop with orders placed on given days before today (shop time)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.shop: Shop = default_shop(session)
        self.today = local_today(self.shop.timezone)
        self.n = 0

    def customer(self, nick: str, province: str | None = None) -> Customer:
        customer = make_customer(self.shop.id, nick, province=province)
        self.session.add(customer)
        self.session.flush()
        return customer

    def order(self, customer: Customer, days_ago: int, amount: str, status: str = "completed") -> None:
        """An order paid 30 seconds after midnight, ``days_ago`` days before today."""
        self.n += 1
        start, _ = local_day(self.shop.timezone, self.today - dt.timedelta(days=days_ago))
        at = min(start + dt.timedelta(seconds=30), utcnow() - dt.timedelta(seconds=1))
        self.session.add(Order(shop_id=self.shop.id, customer_id=customer.id, platform_order_id=f"o{self.n}",
                               status=status, paid_amount=Decimal(amount), total_amount=Decimal(amount),
                               created_at=at, paid_at=at))


def figure(page: str, key: str) -> str:
    block = page.split(f'id="figure-{key}"', 1)[1].split("</article>", 1)[0]
    return re.search(r'<p class="figure-value">(.*?)</p>', block).group(1)


def sample(session: Session) -> ShopData:
    data = ShopData(session)
    old, new, gone = data.customer("老王", "浙江"), data.customer("小李", "广东"), data.customer("阿强")
    data.order(old, 60, "100")   # before both periods: old is a returning customer
    data.order(old, 3, "200")
    data.order(old, 2, "100")
    data.order(new, 1, "300")
    data.order(new, 1, "999", status="refunded")  # does not count
    data.order(gone, 10, "50")   # the previous 7 days
    session.commit()
    return data


def test_the_page_shows_the_periods_figures_against_the_previous(admin_client: FlaskClient, session: Session) -> None:
    sample(session)
    page = text(admin_client.get("/?period=7d"))
    assert figure(page, "sales") == "600.00" and figure(page, "customers") == "3"
    assert figure(page, "new-customers") == "1" and figure(page, "paying-customers") == "2"
    assert figure(page, "repurchase-rate") == "50.0%" and figure(page, "aov") == "200.00"
    assert figure(page, "returning-share") == "50.0%"
    sales = page.split('id="figure-sales"', 1)[1].split("</article>", 1)[0]
    assert "上期：50.00" in sales and "+1100.0%" in sales and "change-up" in sales
    assert "客单价" in page and "复购率" in page and "老客销售额占比" in page


def test_switching_the_period_changes_the_figures(admin_client: FlaskClient, session: Session) -> None:
    data = sample(session)
    assert figure(text(admin_client.get("/?period=today")), "sales") == "0.00"
    assert figure(text(admin_client.get("/?period=90d")), "sales") == "750.00"
    first = (data.today - dt.timedelta(days=3)).isoformat()
    last = (data.today - dt.timedelta(days=2)).isoformat()
    page = text(admin_client.get(f"/?period=custom&from={first}&to={last}"))
    assert figure(page, "sales") == "300.00"
    assert f'value="{first}"' in page and '<option value="custom" selected>' in page
    assert f"period=custom&amp;from={first}&amp;to={last}" in page  # the CSV links keep the period


def test_a_bad_period_is_refused_with_a_message(admin_client: FlaskClient) -> None:
    response = admin_client.get("/?period=custom&from=2026-05-02&to=2026-05-01")
    assert response.status_code == 400 and "开始日期不能晚于结束日期。" in text(response)
    assert "请填写开始和结束两个日期" in text(admin_client.get("/?period=custom&from=2026-05-02"))
    assert "请选择列出的时段之一。" in text(admin_client.get("/?period=forever"))


def test_every_chart_has_a_table_and_a_csv(admin_client: FlaskClient, session: Session) -> None:
    data = sample(session)
    page = text(admin_client.get("/?period=7d"))
    for key in CHARTS:
        panel = page.split(f'id="chart-{key}"', 1)[1].split("</article>", 1)[0]
        assert "<details" in panel and "数据表" in panel
        assert f'href="/dashboard/{key}.csv?period=7d"' in panel
        response = admin_client.get(f"/dashboard/{key}.csv?period=7d")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert response.get_data(as_text=True).startswith("\ufeff")
        assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(admin_client.get("/dashboard/sales.csv?period=7d").get_data(as_text=True)
                                       .lstrip("\ufeff"))))
    assert rows[0] == ["日期", "销售额（元）", "付款订单数", "付款客户"]
    by_day = {row[0]: row[1:] for row in rows[1:]}
    assert len(by_day) == 7
    assert by_day[(data.today - dt.timedelta(days=1)).isoformat()] == ["300.00", "1", "1"]
    assert by_day[(data.today - dt.timedelta(days=3)).isoformat()] == ["200.00", "1", "1"]
    provinces = admin_client.get("/dashboard/provinces.csv?period=7d").get_data(as_text=True)
    assert "广东,1,300.00" in provinces and "浙江,1,300.00" in provinces


def test_csv_of_an_unknown_chart_or_bad_period_is_refused(admin_client: FlaskClient) -> None:
    assert admin_client.get("/dashboard/nothing.csv").status_code == 404
    response = admin_client.get("/dashboard/sales.csv?period=custom&from=2026-05-02&to=2026-05-01")
    assert response.status_code == 400 and "开始日期不能晚于结束日期。" in response.get_data(as_text=True)


def test_label_charts_link_each_class_to_a_segment(admin_client: FlaskClient, session: Session) -> None:
    data = sample(session)
    customers = session.query(Customer).filter_by(shop_id=data.shop.id).order_by(Customer.id).all()
    for customer, value in zip(customers, ["重要价值客户", "重要价值客户", "一般挽留客户"]):
        session.add(CustomerLabel(shop_id=data.shop.id, customer_id=customer.id, segmenter="rfm", value=value))
    session.commit()
    panel = text(admin_client.get("/")).split('id="chart-rfm"', 1)[1].split("</article>", 1)[0]
    assert re.search(r'<a href="/segments/new\?rules=[^"]*label.rfm[^"]*"[^>]*>重要价值客户</a>', panel)
    assert "66.7%" in panel and "33.3%" in panel
    rows = admin_client.get("/dashboard/rfm.csv").get_data(as_text=True)
    assert "重要价值客户,2,66.67%" in rows


def steady(session: Session, until: int) -> tuple[ShopData, list[Customer]]:
    """Weeks of three or four orders of 100 a day, from 40 days ago to ``until`` days ago."""
    data = ShopData(session)
    buyers = [data.customer(f"c{i}") for i in range(4)]
    for days_ago in range(40, until - 1, -1):
        for buyer in buyers[: 4 if days_ago % 5 else 3]:
            data.order(buyer, days_ago, "100")
    return data, buyers


def test_a_drop_yesterday_is_flagged(admin_client: FlaskClient, session: Session) -> None:
    data, buyers = steady(session, until=2)
    data.order(buyers[0], 1, "20")  # yesterday: one order of 20, after weeks of 300-400 a day
    session.commit()
    page = text(admin_client.get("/"))
    flags = page.split('id="metric-flags"', 1)[1].split("</section>", 1)[0]
    assert "销售额低于近期范围" in flags and "付款订单数低于近期范围" in flags
    assert "中位数 400.00，最低 300.00，最高 400.00" in flags


def test_ordinary_days_are_not_flagged(admin_client: FlaskClient, session: Session) -> None:
    steady(session, until=0)  # today too, just after midnight, as on every other day
    session.commit()
    assert 'id="metric-flags"' not in text(admin_client.get("/"))


def test_an_empty_shop_shows_zeros(admin_client: FlaskClient) -> None:
    page = text(admin_client.get("/"))
    assert figure(page, "customers") == "0" and figure(page, "sales") == "0.00"
    assert figure(page, "aov") == "—"
    assert "尚未设置短信签名" in page and "还没有运行过任务。" in page
    assert "本时段没有可显示的数据。" in page  # the campaigns chart, say


def test_the_dashboard_is_open_to_every_role(
    login_as: Callable[[User], FlaskClient], viewer: User, operator: User, client: FlaskClient
) -> None:
    for user in (viewer, operator):
        signed_in = login_as(user)
        page = text(signed_in.get("/?period=30d"))
        assert "仪表盘" in page and "前往设置" not in page
        assert signed_in.get("/dashboard/sales.csv").status_code == 200
    assert client.get("/").status_code == 302
    assert client.get("/dashboard/sales.csv").status_code == 302
