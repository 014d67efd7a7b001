"""The channel's settings are labelled from the plugin's own Chinese catalogue (that it translates
every string is checked with every bundled plugin's, in tests/plugins/test_catalogues.py)."""
from __future__ import annotations

from flask import Flask
from flask_babel import force_locale

from shopcrm_sms_aliyun.channel import AliyunSmsChannel


def test_the_settings_are_labelled_in_chinese_in_the_app(app: Flask) -> None:
    with app.test_request_context("/"), force_locale("zh_CN"):
        labels = {f.name: str(f.label) for f in AliyunSmsChannel().settings_fields()}
    assert labels["sign_name"] == "短信签名" and labels["timeout"] == "超时（秒）"
    with app.test_request_context("/"), force_locale("en"):
        assert str(AliyunSmsChannel().settings_fields()[2].label) == "Signature name"
