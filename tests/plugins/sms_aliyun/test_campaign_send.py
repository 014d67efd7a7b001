"""A campaign through the outbox to the Aliyun protocol: the bound TemplateCode with each customer's
parameters, 100 numbers a SendBatchSms, OutIds the receipts can be matched by, and the channel's
settings (secret encrypted) read from the database."""
from __future__ import annotations

from sqlalchemy import select

from shopcrm import campaigns, channel_settings, outbox
from shopcrm.db import session_scope, utcnow
from shopcrm.models import Message, Setting
from shopcrm.template_store import TemplateData, save_template
from shopcrm_sms_aliyun import outid
from sending_support import EVERYONE, make_shop, mobiles
from tests.plugins.sms_aliyun.aliyun_fake import ACCESS_KEY_ID, ACCESS_KEY_SECRET


def test_a_campaign_goes_out_as_batches_of_the_bound_template(config, server, fake) -> None:
    numbers = mobiles(150)
    with session_scope(config) as session:
        shop_id, customer_ids = make_shop(session, numbers)
        errors = channel_settings.save(session, config, "sms_aliyun", shop_id, {
            "access_key_id": ACCESS_KEY_ID, "access_key_secret": ACCESS_KEY_SECRET, "sign_name": "小店旗舰店",
            "endpoint": server.endpoint, "price_per_part": "0.05"})
        assert errors == []
        saved = save_template(session, shop_id, TemplateData(
            name="返场", text="${nickname}您好，双11返场全场8折", channel="sms_aliyun",
            gateway_template_code="SMS_4242", gateway_params={"name": "${nickname}"}))
        assert saved.ok, saved.errors
        campaign_id = campaigns.create(session, shop_id, "返场", "sms_aliyun", rules=EVERYONE,
                                       template_id=saved.template.id).id
        stored = session.scalars(select(Setting.value).where(Setting.secret.is_(True))).all()
        assert stored and all(ACCESS_KEY_SECRET not in str(value) for value in stored)
    now = utcnow()
    campaigns.begin(config, campaign_id, now)
    outcome = outbox.send_due(config, now=now)
    assert (outcome.claimed, outcome.sent) == (150, 150)

    batches = [r for r in fake.requests if r["Action"] == "SendBatchSms"]
    assert [len(outid.decode(r["OutId"])) for r in batches] == [100, 50]
    assert all(r["TemplateCode"] == "SMS_4242" for r in batches)
    nick = {number: f"buyer{i}" for i, number in enumerate(numbers)}
    assert sorted(s.phone for s in fake.submissions) == numbers
    assert all(s.params == {"name": nick[s.phone]} and s.template_code == "SMS_4242" for s in fake.submissions)
    with session_scope(config) as session:
        sent = session.scalars(select(Message).where(Message.campaign_id == campaign_id)).all()
    by_biz = {s.biz_id for s in fake.submissions}
    assert {m.status for m in sent} == {"sent"} and {m.gateway_id for m in sent} == by_biz
    ids_sent = sorted(i for r in batches for i in outid.decode(r["OutId"]))
    assert ids_sent == sorted(m.id for m in sent)
