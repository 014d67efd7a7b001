"""The RFM settings form: what is typed becomes a config the segmenter accepts, or errors by field."""
from __future__ import annotations

from typing import Iterator

import pytest
from flask import Flask

from shopcrm_rfm.segmenter import DEFAULTS, check_config
from shopcrm_rfm.settings_form import changes, from_config, parse


@pytest.fixture(autouse=True)
def _request(app: Flask) -> Iterator[None]:
    with app.test_request_context():  # messages in the default language, Chinese
        yield


def posted(**overrides: str) -> dict[str, str]:
    form = dict(from_config(DEFAULTS).fields)
    form.update(overrides)
    return form


def test_the_defaults_come_back_as_they_went_in() -> None:
    assert parse(posted()).config == check_config(DEFAULTS)


def test_a_full_config_is_read() -> None:
    form = parse(posted(model="en11", window_days="180", scoring="thresholds", r1="365", r2="120", r3="30",
                        r4="7", m1="50", m2="99.5", m3="300", m4="1000", cn8_split="scores", split_r="4",
                        split_f="2", split_m="3"))
    assert form.errors == {}
    assert form.config == {
        "model": "en11", "window_days": 180, "scoring": "thresholds",
        "thresholds": {"r": [365, 120, 30, 7], "f": [2, 3, 5, 8], "m": [50, 99.5, 300, 1000]},
        "cn8_split": {"r": 4, "f": 2, "m": 3},
    }


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"model": "xyz"}, "model", "请选择八类中文客户分类或十一类英文分群。"),
    ({"window_days": "0"}, "window_days", "统计窗口需为 1 至 3650 之间的整数天数。"),
    ({"window_days": "一年"}, "window_days", "统计窗口需为 1 至 3650 之间的整数天数。"),
    ({"scoring": "guess"}, "scoring", "请选择按五等分或按自定义界限打分。"),
    ({"r1": "7", "r4": "180"}, "r1", "R 的界限需从天数多到天数少排列"),
    ({"f3": "1"}, "f1", "F 的界限需从订单少到订单多排列"),
    ({"m2": "很多"}, "m1", "M 的四个界限需为金额（元），且不能为负数。"),
    ({"f2": "-1"}, "f1", "F 的四个界限需为订单数，且不能为负数。"),
    ({"cn8_split": "scores", "split_f": "6"}, "split_f", "分界分数需为 1 至 5 的整数。"),
    ({"cn8_split": "median"}, "cn8_split", "请选择按平均值或按分数划分高低。"),
])
def test_a_wrong_field_is_named_with_a_clear_message(fields: dict[str, str], field: str, message: str) -> None:
    form = parse(posted(**fields))
    assert form.config is None
    assert message in form.errors[field]
    for name, value in fields.items():
        assert form.fields[name] == value, "what was typed is kept"


def test_changes_name_each_setting_that_changed() -> None:
    after = {**DEFAULTS, "model": "en11", "window_days": 365}
    assert changes(DEFAULTS, after) == {"model": ["cn8", "en11"]}
