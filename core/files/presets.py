"""Column layouts: which header holds which field, for each kind of file.

``generic`` uses the English field names themselves as headers (documented in
``docs/importing.md``); ``taobao`` is the Taobao/Tmall seller-centre order export. An explicit
mapping (``--map 列名=field``) overrides or extends a preset, and can stand alone.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

ORDER_FIELDS: tuple[str, ...] = (
    "order_id", "customer_id", "name", "mobile", "email", "gender", "birthday", "tags",
    "province", "city", "address", "status", "total_amount", "paid_amount", "refund_amount",
    "created_at", "paid_at", "shipped_at", "signed_at", "closed_at", "carrier", "tracking_number",
    "item_title", "item_sku", "item_quantity", "item_price",
)
CUSTOMER_FIELDS: tuple[str, ...] = (
    "customer_id", "name", "mobile", "email", "gender", "birthday", "tags", "province", "city", "address",
)
REVIEW_FIELDS: tuple[str, ...] = ("order_id", "review_id", "rating", "content", "reviewed_at")
FIELDS = {"orders": ORDER_FIELDS, "customers": CUSTOMER_FIELDS, "reviews": REVIEW_FIELDS}
REQUIRED = {"orders": ("order_id", "status", "created_at"), "customers": (),
            "reviews": ("order_id", "rating", "reviewed_at")}
"""Besides these, every order or customer file needs a ``customer_id`` or a ``mobile`` column
(a review belongs to its order's customer)."""
NEEDS_CUSTOMER = frozenset({"orders", "customers"})
EITHER_CUSTOMER_FIELD = "customer_id or mobile"
"""How :func:`missing_fields` names a missing buyer ID and mobile."""


@dataclass(frozen=True, slots=True)
class Preset:
    name: str
    label: str
    kind: str
    columns: Mapping[str, str] = field(default_factory=dict)
    """header -> field"""

    def expected_headers(self) -> list[str]:
        wanted = set(REQUIRED[self.kind]) | ({"customer_id"} if self.kind in NEEDS_CUSTOMER else set())
        return [header for header, name in self.columns.items() if name in wanted]


GENERIC_ORDERS = Preset("generic", "Generic (English headers)", "orders", {f: f for f in ORDER_FIELDS})
GENERIC_CUSTOMERS = Preset("generic", "Generic (English headers)", "customers", {f: f for f in CUSTOMER_FIELDS})
TAOBAO_ORDERS = Preset("taobao", "Taobao/Tmall order export (淘宝/天猫订单报表)", "orders", {
    "订单编号": "order_id",
    "买家会员名": "customer_id",
    "买家实际支付金额": "paid_amount",
    "总金额": "total_amount",
    "订单状态": "status",
    "收货人姓名": "name",
    "收货地址": "address",
    "联系手机": "mobile",
    "订单创建时间": "created_at",
    "订单付款时间": "paid_at",
    "发货时间": "shipped_at",
    "确认收货时间": "signed_at",
    "订单关闭时间": "closed_at",
    "宝贝标题": "item_title",
    "宝贝总数量": "item_quantity",
    "商家编码": "item_sku",
    "退款金额": "refund_amount",
    "买家邮箱": "email",
    "物流公司": "carrier",
    "物流单号": "tracking_number",
    "运单号": "tracking_number",
})
TAOBAO_CUSTOMERS = Preset("taobao", "Taobao/Tmall member export (会员信息)", "customers", {
    "买家会员名": "customer_id",
    "会员名": "customer_id",
    "客户姓名": "name",
    "姓名": "name",
    "手机号": "mobile",
    "手机": "mobile",
    "邮箱": "email",
    "性别": "gender",
    "生日": "birthday",
    "省份": "province",
    "城市": "city",
    "地址": "address",
    "标签": "tags",
})
GENERIC_REVIEWS = Preset("generic", "Generic (English headers)", "reviews", {f: f for f in REVIEW_FIELDS})
TAOBAO_REVIEWS = Preset("taobao", "Taobao/Tmall review export (评价管理)", "reviews", {
    "订单编号": "order_id",
    "子订单编号": "order_id",
    "评价编号": "review_id",
    "评价ID": "review_id",
    "评价结果": "rating",
    "评价等级": "rating",
    "评分": "rating",
    "评价内容": "content",
    "评论内容": "content",
    "评价时间": "reviewed_at",
    "评论时间": "reviewed_at",
})
PRESETS: dict[str, dict[str, Preset]] = {
    "orders": {"generic": GENERIC_ORDERS, "taobao": TAOBAO_ORDERS},
    "customers": {"generic": GENERIC_CUSTOMERS, "taobao": TAOBAO_CUSTOMERS},
    "reviews": {"generic": GENERIC_REVIEWS, "taobao": TAOBAO_REVIEWS},
}


def column_fields(headers: list[str], preset: Preset | None, mapping: Mapping[str, str]) -> dict[str, int]:
    """``{field: column index}`` for these headers under a preset and an explicit mapping.

    Headers are matched exactly, then ignoring case and surrounding spaces.
    """
    columns: dict[str, str] = dict(preset.columns) if preset else {}
    columns.update(mapping)
    folded = {header.strip().lower(): name for header, name in columns.items()}
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        name = columns.get(header) or folded.get(header.strip().lower())
        if name is not None and name not in found:
            found[name] = index
    return found


def missing_fields(kind: str, found: Mapping[str, int]) -> list[str]:
    missing = [name for name in REQUIRED[kind] if name not in found]
    if kind in NEEDS_CUSTOMER and "customer_id" not in found and "mobile" not in found:
        missing.append(EITHER_CUSTOMER_FIELD)
    return missing


def choose_preset(kind: str, headers: list[str], name: str | None, mapping: Mapping[str, str]) -> tuple[Preset | None, dict[str, int]]:
    """The preset named, or the first whose required columns the headers have."""
    presets = PRESETS[kind]
    if name is not None:
        if name not in presets:
            raise KeyError(f"unknown preset {name!r}: choose one of {', '.join(presets)}")
        candidates = [presets[name]]
    else:
        candidates = list(presets.values())
    best: tuple[Preset | None, dict[str, int]] | None = None
    fewest = 0
    for preset in candidates:
        found = column_fields(headers, preset, mapping)
        missing = len(missing_fields(kind, found))
        if not missing:
            return preset, found
        if best is None or missing < fewest:  # the closest layout names what is missing
            best, fewest = (preset, found), missing
    if mapping and name is None:
        found = column_fields(headers, None, mapping)
        if not missing_fields(kind, found):
            return None, found
    assert best is not None
    return best
