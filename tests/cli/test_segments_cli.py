"""`shopcrm segments`: save, count and list segments; bad rules are clear errors."""
from __future__ import annotations

import json

from click.testing import CliRunner

from shopcrm.cli import build_cli
from shopcrm.db import get_engine, session_scope
from shopcrm.demo_data import generate
from shopcrm.models import Shop

REPEAT = json.dumps({"all": [{"field": "order_count", "op": ">=", "value": 2}]})


def run(*args):
    return CliRunner().invoke(build_cli(), list(args))


def test_save_count_list(config):
    with session_scope(config) as session:
        shop = Shop(name="分群店")
        session.add(shop)
        session.flush()
        shop_id = shop.id
    generate(get_engine(config), shop_id, customers=300, orders=700, seed=2)
    counted = run("segments", "count", "--rules", REPEAT, "--json")
    assert counted.exit_code == 0, counted.output
    total = json.loads(counted.output)["count"]
    assert 0 < total < 300
    saved = run("segments", "save", "复购客户", "--rules", REPEAT)
    assert saved.output.strip() == f"saved segment 复购客户: {total} customers now"
    assert json.loads(run("segments", "count", "复购客户", "--json").output)["count"] == total
    listed = json.loads(run("segments", "list", "--json").output)
    assert [(s["name"], s["last_count"]) for s in listed] == [("复购客户", total)]


def test_errors_are_clear(config):
    with session_scope(config) as session:
        session.add(Shop(name="分群店"))
    bad_field = run("segments", "count", "--rules", '{"all": [{"field": "colour", "op": "=", "value": 1}]}')
    assert bad_field.exit_code == 1 and "all[0].field: unknown field 'colour'" in bad_field.output
    assert "not JSON" in run("segments", "count", "--rules", "{oops").output
    assert "no segment named '无'" in run("segments", "count", "无").output
    assert "one of them" in run("segments", "count").output
    unknown_label = run("segments", "save", "x", "--rules", '{"all": [{"field": "label.nope", "op": "=", "value": "a"}]}')
    assert "unknown label 'label.nope'" in unknown_label.output
