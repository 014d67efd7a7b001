"""The plugin's own Chinese catalogue translates every string it shows."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask import Flask
from flask_babel import force_locale

from shopcrm_sms_aliyun.channel import AliyunSmsChannel

DISTRIBUTION = Path(__file__).resolve().parents[3] / "plugins" / "sms_aliyun"
PACKAGE = DISTRIBUTION / "shopcrm_sms_aliyun"


def test_every_string_is_translated() -> None:
    with open(DISTRIBUTION / "babel.cfg", encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    extracted = {m if isinstance(m, str) else m[0]
                 for _f, _l, m, _c, _x in extract_from_dir(str(PACKAGE), method_map, options_map)}
    with (PACKAGE / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    translated = {m.id for m in catalogue if m.id and m.string and not m.fuzzy}
    assert "Signature name" in extracted
    assert not sorted(extracted - translated)


def test_the_settings_are_labelled_in_chinese_in_the_app(app: Flask) -> None:
    with app.test_request_context("/"), force_locale("zh_CN"):
        labels = {f.name: str(f.label) for f in AliyunSmsChannel().settings_fields()}
    assert labels["sign_name"] == "短信签名" and labels["timeout"] == "超时（秒）"
    with app.test_request_context("/"), force_locale("en"):
        assert str(AliyunSmsChannel().settings_fields()[2].label) == "Signature name"
