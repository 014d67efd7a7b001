"""Province and city from a mainland Chinese delivery address.

Taobao exports one address string (``浙江省 杭州市 西湖区 文三路 90 号``, often with spaces between
the parts, sometimes without). The province is matched against the 34 provincial divisions by
full or short name; the city is the part after it up to 市/州/盟/地区, and for the four
municipalities it is the municipality itself.
"""
from __future__ import annotations

import re

PROVINCES: tuple[tuple[str, str], ...] = (
    ("北京市", "北京"), ("天津市", "天津"), ("上海市", "上海"), ("重庆市", "重庆"),
    ("河北省", "河北"), ("山西省", "山西"), ("辽宁省", "辽宁"), ("吉林省", "吉林"),
    ("黑龙江省", "黑龙江"), ("江苏省", "江苏"), ("浙江省", "浙江"), ("安徽省", "安徽"),
    ("福建省", "福建"), ("江西省", "江西"), ("山东省", "山东"), ("河南省", "河南"),
    ("湖北省", "湖北"), ("湖南省", "湖南"), ("广东省", "广东"), ("海南省", "海南"),
    ("四川省", "四川"), ("贵州省", "贵州"), ("云南省", "云南"), ("陕西省", "陕西"),
    ("甘肃省", "甘肃"), ("青海省", "青海"), ("台湾省", "台湾"),
    ("内蒙古自治区", "内蒙古"), ("广西壮族自治区", "广西"), ("西藏自治区", "西藏"),
    ("宁夏回族自治区", "宁夏"), ("新疆维吾尔自治区", "新疆"),
    ("香港特别行政区", "香港"), ("澳门特别行政区", "澳门"),
)
"""(full name, short name) of every provincial division; the full name is what we store."""

MUNICIPALITIES = frozenset({"北京市", "天津市", "上海市", "重庆市"})
_BY_FIRST_TWO: dict[str, list[tuple[str, str]]] = {}
for _full, _short in PROVINCES:
    for _prefix in (_full, _short):
        _BY_FIRST_TWO.setdefault(_prefix[:2], []).append((_prefix, _full))
for _candidates in _BY_FIRST_TWO.values():
    _candidates.sort(key=lambda pair: -len(pair[0]))
"""Provinces by their first two characters, longest name first: one dict look-up per address."""
_CITY_SUFFIXES = ("自治州", "地区", "市", "盟")
_SPACE = re.compile(r"\s+")


def parse_region(address: str | None) -> tuple[str | None, str | None]:
    """``(province, city)`` of an address; ``None`` for what cannot be told."""
    if not address:
        return None, None
    text = address.strip()
    for prefix, full in _BY_FIRST_TWO.get(text[:2], ()):
        if text.startswith(prefix):
            rest = text[len(prefix):]
            if full in MUNICIPALITIES:
                return full, full
            return full, _city(rest)
    return None, None


def _city(rest: str) -> str | None:
    rest = rest.strip()
    if not rest:
        return None
    parts = _SPACE.split(rest, maxsplit=1)
    if len(parts) > 1 and len(parts[0]) <= 12:  # "杭州市 西湖区 ...": the first part is the city
        return parts[0]
    ends = [rest.find(suffix, 1) + len(suffix) for suffix in _CITY_SUFFIXES if 0 < rest.find(suffix, 1) < 12]
    return rest[: min(ends)] if ends else None
