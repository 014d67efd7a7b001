"""Province and city from Taobao-style delivery addresses."""
from __future__ import annotations

import pytest

from shopcrm.regions import PROVINCES, parse_region


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("浙江省 杭州市 西湖区 文三路90号", ("浙江省", "杭州市")),
        ("浙江省杭州市西湖区文三路90号", ("浙江省", "杭州市")),
        ("广东 深圳市 南山区 科技园", ("广东省", "深圳市")),
        ("上海 上海市 浦东新区 世纪大道1号", ("上海市", "上海市")),
        ("北京市朝阳区建国路88号", ("北京市", "北京市")),
        ("内蒙古自治区 呼和浩特市 新城区", ("内蒙古自治区", "呼和浩特市")),
        ("新疆维吾尔自治区 伊犁哈萨克自治州 伊宁市", ("新疆维吾尔自治区", "伊犁哈萨克自治州")),
        ("黑龙江省 大兴安岭地区 漠河市", ("黑龙江省", "大兴安岭地区")),
        ("吉林省 延边朝鲜族自治州 延吉市", ("吉林省", "延边朝鲜族自治州")),
        ("海外 新加坡", (None, None)),
        ("", (None, None)),
        (None, (None, None)),
    ],
)
def test_parse_region(address, expected):
    assert parse_region(address) == expected


def test_every_province_is_recognised_by_full_and_short_name():
    for full, short in PROVINCES:
        assert parse_region(f"{full} 某某市 某区")[0] == full
        assert parse_region(f"{short} 某某市 某区")[0] == full
