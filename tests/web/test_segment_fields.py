"""The builder's catalogue: every rule field, with the core's operators, and the segmenters'
label values; names in the user's language."""
from __future__ import annotations

from flask_babel import force_locale

from shopcrm.segment_rules import FIELDS
from shopcrm.web.segment_fields import builder_catalogue


def test_every_field_is_offered_with_the_operators_the_core_accepts(app):
    with app.test_request_context("/"), force_locale("zh_CN"):
        catalogue = builder_catalogue()
    fields = {f["field"]: f for f in catalogue["fields"]}
    for name, spec in FIELDS.items():
        assert [o["op"] for o in fields[name]["ops"]] == list(spec.ops), name
    assert fields["total_paid"]["name"] == "累计消费"
    assert fields["last_order_at"]["ops"][0]["name"] == "晚于"
    rfm = fields["label.rfm"]
    assert rfm["kind"] == "label" and "重要价值客户" in [v["value"] for v in rfm["values"]]
    assert catalogue["months"][0] == {"value": 1, "name": "一月"}
    assert "广东省" in catalogue["provinces"]
