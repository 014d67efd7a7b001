"""`shopcrm campaign`: create, send --wait and report --json, end to end through the sandbox."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from click.testing import CliRunner
from sqlalchemy import select

from shopcrm.campaign_audience import bucket_of
from shopcrm.cli import build_cli
from shopcrm.db import session_scope, utcnow
from shopcrm.models import Message, Order
from shopcrm.opt_outs import opt_out
from shopcrm_sms_mock import behaviour
from sending_support import EVERYONE as ALL_CUSTOMERS
from sending_support import make_shop, mobiles

REPORT_FIELDS = {"target", "excluded", "control", "sent", "delivered", "failed", "billed_parts", "cost", "buyers",
                 "response_rate", "orders", "sales", "aov", "conversion_rate", "roi", "control_buyer_rate", "lift",
                 "incremental_sales"}
EVERYONE = json.dumps(ALL_CUSTOMERS)


def run(*args: str) -> object:
    result = CliRunner().invoke(build_cli(), list(args))
    assert result.exit_code == 0, result.output
    return result


def test_create_send_and_report(config) -> None:
    numbers = mobiles(60)
    with session_scope(config) as session:
        shop_id, customer_ids = make_shop(session, [*numbers, "12345"])  # the last one is unreachable
        opt_out(session, shop_id, "sms_mock", numbers[0], "form")
        behaviour.save(session, behaviour.parse({"delay_seconds": 0}))
    created = json.loads(run("campaign", "create", "--name", "双11返场", "--rules", EVERYONE, "--template-text",
                             "${nickname}，双11返场全场8折", "--channel", "sms_mock", "--control", "0.2",
                             "--json").output)
    campaign_id = created["id"]
    sent = run("campaign", "send", str(campaign_id), "--wait")
    assert f"campaign {campaign_id}: sent" in sent.output

    held_out = {cid for cid in customer_ids[1:60] if bucket_of(campaign_id, cid) < 2000}
    messaged = [cid for cid in customer_ids[1:60] if cid not in held_out]
    log = json.loads(run("sms-mock", "log", "--json").output)
    by_id = dict(zip(customer_ids, numbers))
    assert sorted(entry["number"] for entry in log) == sorted(by_id[cid] for cid in messaged)
    assert all(entry["text"].endswith("双11返场全场8折 拒收请回复R") for entry in log)

    # Two recipients buy within the window, one after it; a held-out customer buys too.
    buyers = messaged[:2]
    with session_scope(config) as session:
        sent_at = {m.customer_id: m.sent_at for m in session.scalars(select(Message).where(
            Message.campaign_id == campaign_id, Message.customer_id.in_(messaged)))}
        for n, (cid, hours) in enumerate([(buyers[0], 2), (buyers[1], 30), (messaged[2], 24 * 8)]):
            session.add(Order(shop_id=shop_id, customer_id=cid, platform_order_id=f"o{n}", status="paid",
                              total_amount=Decimal("100"), paid_amount=Decimal("100"),
                              created_at=sent_at[cid], paid_at=sent_at[cid] + dt.timedelta(hours=hours)))
        control_buyer = sorted(held_out)[0]
        session.add(Order(shop_id=shop_id, customer_id=control_buyer, platform_order_id="c1", status="paid",
                          total_amount=Decimal("80"), paid_amount=Decimal("80"), created_at=utcnow(),
                          paid_at=utcnow() + dt.timedelta(hours=1)))

    report = json.loads(run("campaign", "report", str(campaign_id), "--json").output)
    assert REPORT_FIELDS <= set(report)
    assert report["target"] == 61
    assert report["excluded"] == {"invalid_number": 1, "opted_out": 1}
    assert report["control"] == len(held_out)
    assert (report["sent"], report["failed"], report["billed_parts"]) == (len(messaged), 0, len(messaged))
    assert report["cost"] == float((Decimal("0.045") * len(messaged)).quantize(Decimal("0.01")))
    assert (report["buyers"], report["orders"], report["sales"], report["aov"]) == (2, 2, 200.0, 100.0)
    assert report["conversion_rate"] == round(2 / len(messaged), 4)
    assert report["control_buyer_rate"] == round(1 / len(held_out), 4)
    expected_lift = (round(2 / len(messaged), 4) - round(1 / len(held_out), 4)) / round(1 / len(held_out), 4)
    assert report["lift"] == round(expected_lift, 4)
    assert report["incremental_sales"] == round(200 - 80 / len(held_out) * len(messaged), 2)


def test_create_refuses_what_cannot_be_sent(config) -> None:
    with session_scope(config) as session:
        make_shop(session, mobiles(2))
    runner = CliRunner()
    unknown = runner.invoke(build_cli(), ["campaign", "create", "--name", "x", "--rules", EVERYONE,
                                          "--template-text", "你好${nobody}", "--channel", "sms_mock"])
    assert unknown.exit_code == 1 and "text: unknown variable(s): ${nobody}" in unknown.output
    channel = runner.invoke(build_cli(), ["campaign", "create", "--name", "x", "--rules", EVERYONE,
                                          "--template-text", "你好", "--channel", "pigeon"])
    assert channel.exit_code == 1 and "channel: no channel named 'pigeon'" in channel.output
    both = runner.invoke(build_cli(), ["campaign", "create", "--name", "x", "--template-text", "你好",
                                       "--channel", "sms_mock"])
    assert both.exit_code == 2 and "--segment NAME or --rules JSON" in both.output
    control = runner.invoke(build_cli(), ["campaign", "create", "--name", "x", "--rules", EVERYONE,
                                          "--template-text", "你好", "--channel", "sms_mock", "--control", "0.9"])
    assert control.exit_code == 1 and "control: the hold-out share must be 0 to 0.5" in control.output
