"""Customer export: rollups and labels as columns, a segment's customers only, audited."""
from __future__ import annotations

import csv
import json

from click.testing import CliRunner
from sqlalchemy import select

from shopcrm.cli import build_cli
from shopcrm.db import get_engine, session_scope
from shopcrm.demo_data import generate
from shopcrm.models import AuditLog, Customer, CustomerLabel, Shop


def read(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_export_with_labels_and_a_segment(config, tmp_path):
    with session_scope(config) as session:
        shop = Shop(name="导出店")
        session.add(shop)
        session.flush()
        shop_id = shop.id
    generate(get_engine(config), shop_id, customers=120, orders=300, seed=4)
    with session_scope(config) as session:
        first = session.scalar(select(Customer).order_by(Customer.id))
        session.add(CustomerLabel(shop_id=shop_id, customer_id=first.id, segmenter="rfm", value="重要价值客户"))
        repeaters = session.scalar(select(Customer.id).where(Customer.order_count >= 2).limit(1)) is not None
    runner = CliRunner()
    everyone = tmp_path / "all.csv"
    assert runner.invoke(build_cli(), ["customers", "export", str(everyone)]).output == f"exported 120 customers to {everyone}\n"
    rows = read(everyone)
    assert len(rows) == 120 and rows[0]["label.rfm"] == "重要价值客户" and rows[1]["label.rfm"] == ""
    assert rows[0]["mobile"] == first.mobile and rows[0]["order_count"] == str(first.order_count)
    rules = json.dumps({"all": [{"field": "order_count", "op": ">=", "value": 2}]})
    runner.invoke(build_cli(), ["segments", "save", "复购", "--rules", rules])
    some = tmp_path / "repeat.csv"
    assert runner.invoke(build_cli(), ["customers", "export", str(some), "--segment", "复购"]).exit_code == 0
    assert repeaters and rows and all(int(r["order_count"]) >= 2 for r in read(some))
    assert len(read(some)) < 120
    with session_scope(config) as session:
        entries = session.scalars(select(AuditLog).where(AuditLog.action == "customers.export")).all()
        assert [e.details["segment"] for e in entries] == [None, "复购"]
    missing = runner.invoke(build_cli(), ["customers", "export", str(some), "--segment", "无此分群"])
    assert missing.exit_code == 1 and "no segment named '无此分群'" in missing.output
