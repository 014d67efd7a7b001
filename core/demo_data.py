"""A believable Chinese online shop, generated deterministically from a seed.

Customers have Chinese names, buyer nicks, mobiles, birthdays, and addresses weighted towards
the provinces that buy most online. Most buy once and a long tail buys often; sales peak around
618 (June 1–18), Double 11 (November 1–11) and Double 12; some orders stay unpaid, are closed or
refunded; a share of orders get reviews, some of them bad. Rows are written with bulk writes
(COPY on PostgreSQL), so a million customers with ten million orders take minutes.
"""
from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Iterator

from sqlalchemy import Engine, func, select

from shopcrm import bulk, rollups
from shopcrm.db import utcnow
from shopcrm.models import Customer, Order, OrderItem, Review

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国志宇浩然子涵欣怡梓萱雨轩佳琪思远晨曦一诺嘉怡俊杰"
NICK_WORDS = ("小", "大", "爱", "甜", "懒", "萌", "喵", "阿", "胖", "酷", "暖", "乐")
NICK_TAILS = ("猫", "鱼", "熊", "兔", "宝", "君", "酱", "仔", "哥", "姐", "妹", "控")
PROVINCES: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    ("广东省", 140, ("广州市", "深圳市", "东莞市", "佛山市", "珠海市")),
    ("浙江省", 95, ("杭州市", "宁波市", "温州市", "金华市", "绍兴市")),
    ("江苏省", 95, ("南京市", "苏州市", "无锡市", "常州市", "南通市")),
    ("上海市", 60, ("上海市",)),
    ("北京市", 55, ("北京市",)),
    ("山东省", 60, ("济南市", "青岛市", "烟台市", "潍坊市")),
    ("福建省", 40, ("福州市", "厦门市", "泉州市")),
    ("四川省", 45, ("成都市", "绵阳市", "宜宾市")),
    ("河南省", 40, ("郑州市", "洛阳市", "新乡市")),
    ("湖北省", 38, ("武汉市", "宜昌市", "襄阳市")),
    ("湖南省", 32, ("长沙市", "株洲市", "岳阳市")),
    ("安徽省", 28, ("合肥市", "芜湖市", "蚌埠市")),
    ("河北省", 28, ("石家庄市", "保定市", "唐山市")),
    ("天津市", 18, ("天津市",)),
    ("重庆市", 22, ("重庆市",)),
    ("陕西省", 20, ("西安市", "咸阳市")),
    ("辽宁省", 20, ("沈阳市", "大连市")),
    ("江西省", 16, ("南昌市", "赣州市")),
    ("广西壮族自治区", 15, ("南宁市", "桂林市", "柳州市")),
    ("云南省", 13, ("昆明市", "大理白族自治州")),
    ("山西省", 11, ("太原市", "大同市")),
    ("黑龙江省", 10, ("哈尔滨市", "大庆市")),
    ("吉林省", 8, ("长春市", "吉林市")),
    ("贵州省", 8, ("贵阳市", "遵义市")),
    ("内蒙古自治区", 6, ("呼和浩特市", "包头市")),
    ("新疆维吾尔自治区", 5, ("乌鲁木齐市", "伊犁哈萨克自治州")),
    ("海南省", 5, ("海口市", "三亚市")),
    ("甘肃省", 5, ("兰州市",)),
    ("宁夏回族自治区", 2, ("银川市",)),
    ("青海省", 2, ("西宁市",)),
    ("西藏自治区", 1, ("拉萨市",)),
)
STREETS = ("人民路", "解放路", "中山路", "建设路", "文化路", "和平路", "新华路", "长江路", "学府路", "滨江大道")
DISTRICTS = ("东城区", "西湖区", "高新区", "南山区", "江北区", "经开区", "鼓楼区", "天河区", "浦东新区", "朝阳区")
MOBILE_PREFIXES = ("138", "139", "137", "136", "135", "150", "151", "152", "157", "158", "159", "182", "183",
                   "187", "188", "130", "131", "132", "155", "156", "185", "186", "133", "153", "180", "189",
                   "177", "199", "198", "166")
CARRIERS: tuple[tuple[str, str], ...] = (
    ("中通快递", ""), ("圆通速递", "YT"), ("韵达快递", ""), ("申通快递", ""), ("顺丰速运", "SF"),
    ("极兔速递", "JT"), ("EMS", "E"), ("京东快递", "JD"),
)
"""Couriers of shipped demo orders, with their waybill numbers' prefix."""

PRODUCTS: tuple[tuple[str, str, Decimal], ...] = (
    ("小满 316不锈钢保温杯 500ml", "BWB-500", Decimal("89.00")),
    ("小满 玻璃茶水分离杯", "BLB-380", Decimal("59.00")),
    ("小满 纯棉加厚毛巾 3条装", "MJ-3", Decimal("39.90")),
    ("小满 A类纯棉四件套 1.8m床", "SJT-18", Decimal("299.00")),
    ("小满 可叠加收纳盒 3个装", "SNH-3", Decimal("49.90")),
    ("小满 无火香薰 200ml", "XX-200", Decimal("69.00")),
    ("小满 陶瓷餐具 10件套", "CJ-10", Decimal("168.00")),
    ("小满 抗菌砧板", "ZB-01", Decimal("79.00")),
    ("小满 乳胶枕", "RJZ-01", Decimal("199.00")),
    ("小满 真空压缩袋 8件套", "YSD-8", Decimal("35.90")),
    ("小满 硅藻泥地垫", "GZD-01", Decimal("45.00")),
    ("小满 便携榨汁杯", "ZZB-01", Decimal("129.00")),
)
GOOD_REVIEWS = ("质量很好，物流也快", "第二次买了，一如既往的好", "包装很用心，送人很合适", "性价比高，推荐",
                "和描述一致，满意", "客服态度好，回复及时")
BAD_REVIEWS = ("收到就坏了，很失望", "和图片差太多", "物流太慢了，等了一个星期", "有异味，不推荐", "做工粗糙")


@dataclass(slots=True)
class DemoStats:
    customers: int
    orders: int
    items: int
    reviews: int


class _Weighted:
    """Fast weighted choice by bisecting cumulative weights."""

    def __init__(self, items: tuple, weights: tuple[float, ...]) -> None:
        self.items = items
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random) -> object:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


def _order_day_weights(start: dt.date, days: int) -> list[float]:
    weights = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        weight = 1.0 + 0.002 * offset  # the shop grows
        if day.month == 6 and day.day <= 18:
            weight *= 3.5 if day.day >= 16 else 2.0
        if day.month == 11 and day.day <= 11:
            weight *= 9.0 if day.day == 11 else 2.5
        if day.month == 12 and day.day == 12:
            weight *= 4.0
        if day.weekday() >= 5:
            weight *= 1.15
        weights.append(weight)
    return weights


def generate(engine: Engine, shop_id: int, customers: int = 2000, orders: int = 5000, seed: int = 1,
             progress: Callable[[str, int], None] | None = None, today: dt.date | None = None) -> DemoStats:
    """Add ``customers`` customers and ``orders`` orders (with items and reviews) to a shop."""
    rng = random.Random(seed)
    today = today or utcnow().date()
    start = today - dt.timedelta(days=730)
    day_weights = list(itertools.accumulate(_order_day_weights(start, 731)))
    provinces = _Weighted(tuple(PROVINCES), tuple(float(w) for _, w, _ in PROVINCES))
    now = utcnow()

    with engine.begin() as conn:
        first_customer = bulk.next_id(conn, Customer.__table__)
        first_order = bulk.next_id(conn, Order.__table__)
        first_item = bulk.next_id(conn, OrderItem.__table__)
        first_review = bulk.next_id(conn, Review.__table__)
        identity_offset = conn.execute(select(func.count()).where(Customer.shop_id == shop_id)).scalar_one()

    # Who buys: everyone once while orders last; then a quarter of them, the repeat buyers, buy
    # again with weights falling off as a power law, so a few buy very often.
    repeaters = max(customers // 4, 1)
    repeat_weights = list(itertools.accumulate(1.0 / (rank + 1) ** 0.3 for rank in range(repeaters)))
    repeat_total = repeat_weights[-1]
    repeat_stride = max(customers // repeaters, 1)

    def buyer_of(index: int) -> int:
        if index < customers and index < orders:
            return index
        rank = bisect.bisect_right(repeat_weights, rng.random() * repeat_total)
        return min(rank * repeat_stride, customers - 1)

    def customer_rows() -> Iterator[tuple]:
        for index in range(customers):
            number = identity_offset + index
            surname = SURNAMES[rng.randrange(len(SURNAMES))]
            given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
            name = surname + given
            nick = f"{rng.choice(NICK_WORDS)}{given[-1]}{rng.choice(NICK_TAILS)}{number}" if rng.random() < 0.5 \
                else f"tb{rng.randrange(10**7, 10**8)}_{number}"
            mobile = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            valid = rng.random() > 0.01
            if not valid:
                mobile = mobile[:7]  # a truncated number some exports carry
            province, _weight, cities = provinces.pick(rng)  # type: ignore[misc]
            city = rng.choice(cities)
            address = f"{province} {city} {rng.choice(DISTRICTS)} {rng.choice(STREETS)}{rng.randrange(1, 999)}号"
            birthday = dt.date(today.year - rng.randrange(18, 58), rng.randrange(1, 13), rng.randrange(1, 29)) \
                if rng.random() < 0.7 else None
            gender = "f" if rng.random() < 0.68 else "m"
            yield (first_customer + index, shop_id, nick, nick, name, mobile, mobile[-4:] if valid else None, valid,
                   None, gender, province, city, address, birthday, [], None, None, 0, Decimal(0), now, now)

    customer_columns = ("id", "shop_id", "identity", "platform_id", "name", "mobile", "mobile_tail",
                        "sms_reachable", "email", "gender", "province", "city", "address", "birthday", "tags",
                        "first_order_at", "last_order_at", "order_count", "total_paid", "created_at", "updated_at")
    with engine.begin() as conn:
        bulk.write(conn, Customer.__table__, customer_columns, customer_rows())
        bulk.reset_sequence(conn, Customer.__table__)
    if progress:
        progress("customers", customers)

    items: list[tuple] = []
    reviews: list[tuple] = []
    counts = {"items": 0, "reviews": 0}
    total_weight = day_weights[-1]

    def order_rows() -> Iterator[tuple]:
        for index in range(orders):
            order_id = first_order + index
            customer_id = first_customer + buyer_of(index)
            day = start + dt.timedelta(days=bisect.bisect_right(day_weights, rng.random() * total_weight))
            hour = rng.choices(range(24), weights=_HOURS)[0]
            created = dt.datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60))
            age = (today - day).days
            roll = rng.random()
            lines = 1 if rng.random() < 0.75 else rng.randrange(2, 4)
            amount = Decimal(0)
            for _ in range(lines):
                title, sku, price = PRODUCTS[rng.randrange(len(PRODUCTS))]
                quantity = 1 if rng.random() < 0.8 else 2
                amount += price * quantity
                items.append((first_item + counts["items"], order_id, title, sku, None, quantity, price))
                counts["items"] += 1
            discount = Decimal(rng.choice((0, 0, 5, 10, 20))) if amount > 60 else Decimal(0)
            paid_amount = amount - discount
            paid_at = shipped_at = signed_at = closed_at = None
            refund = Decimal(0)
            if roll < 0.05:
                status = "pending_payment" if age <= 1 else "closed"
                paid_amount = Decimal(0)
                closed_at = created + dt.timedelta(days=1) if status == "closed" else None
            else:
                paid_at = created + dt.timedelta(minutes=rng.randrange(1, 30))
                shipped_at = paid_at + dt.timedelta(hours=rng.randrange(4, 48))
                signed_at = shipped_at + dt.timedelta(days=rng.randrange(1, 5))
                if roll < 0.08:
                    status, refund, closed_at = "refunded", paid_amount, signed_at + dt.timedelta(days=2)
                elif age <= 1:
                    status, shipped_at, signed_at = "paid", None, None
                elif age <= 3:
                    status, signed_at = "shipped", None
                elif age <= 10:
                    status = "signed"
                else:
                    status = "completed"
                if status == "completed" and rng.random() < 0.3:
                    bad = rng.random() < 0.06
                    reviews.append((first_review + counts["reviews"], shop_id, customer_id, order_id,
                                    f"R{order_id}", 1 if bad else rng.choice((4, 5, 5)), bad,
                                    rng.choice(BAD_REVIEWS if bad else GOOD_REVIEWS),
                                    signed_at + dt.timedelta(days=rng.randrange(1, 10))))
                    counts["reviews"] += 1
            carrier = tracking = None
            if shipped_at is not None:  # from the order's number, so the random stream is the same
                carrier, prefix = CARRIERS[order_id % len(CARRIERS)]
                tracking = f"{prefix}{7_300_000_000_000 + order_id * 104_729 % 99_999_999_999 + seed}"
            yield (order_id, shop_id, customer_id, f"{3_000_000_000_000_000 + order_id * 7919 + seed}", status,
                   amount, paid_amount, refund, created, paid_at, shipped_at, signed_at, closed_at, carrier,
                   tracking, "demo", now, now)

    order_columns = ("id", "shop_id", "customer_id", "platform_order_id", "status", "total_amount",
                     "paid_amount", "refund_amount", "created_at", "paid_at", "shipped_at", "signed_at",
                     "closed_at", "carrier", "tracking_number", "source", "imported_at", "updated_at")
    item_columns = ("id", "order_id", "title", "sku", "platform_item_id", "quantity", "price")
    review_columns = ("id", "shop_id", "customer_id", "order_id", "platform_review_id", "rating", "is_bad",
                      "content", "created_at")
    written = 0
    rows = order_rows()
    while True:
        chunk = list(itertools.islice(rows, 100_000))
        if not chunk:
            break
        with engine.begin() as conn:
            bulk.write(conn, Order.__table__, order_columns, chunk)
            bulk.write(conn, OrderItem.__table__, item_columns, items)
            bulk.write(conn, Review.__table__, review_columns, reviews)
        items.clear()
        reviews.clear()
        written += len(chunk)
        if progress:
            progress("orders", written)
    with engine.begin() as conn:
        for table in (Order.__table__, OrderItem.__table__, Review.__table__):
            bulk.reset_sequence(conn, table)
        rollups.refresh(conn, shop_id=shop_id)
    return DemoStats(customers=customers, orders=orders, items=counts["items"], reviews=counts["reviews"])


_HOURS = (2, 1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 9, 8, 7, 7, 7, 7, 8, 10, 12, 13, 11, 6)
"""Orders by hour of day: evenings are busiest."""
