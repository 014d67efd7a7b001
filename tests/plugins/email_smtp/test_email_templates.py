"""Templates for the email channel have a subject: required, checked like the text (``${var}``),
and asked for in the editor only when the chosen channel sends email; an email's text is counted
as one message and composed without the SMS signature."""
from __future__ import annotations

import re

from shopcrm import campaigns
from shopcrm.campaign_estimate import estimate_message
from shopcrm.db import session_scope
from shopcrm.models import Shop
from shopcrm.template_store import TemplateData, save_template
from sending_support import EVERYONE


def _shop(session) -> int:
    shop = Shop(name="模板测试店", sms_signature="小店")
    session.add(shop)
    session.flush()
    return shop.id


def test_an_email_template_needs_a_subject_with_known_variables(config) -> None:
    with session_scope(config) as session:
        shop_id = _shop(session)
        missing = save_template(session, shop_id, TemplateData(name="a", text="您好", channel="email_smtp"))
        unknown = save_template(session, shop_id, TemplateData(name="b", text="您好", channel="email_smtp",
                                                               subject="${nobody}的优惠"))
        sms = save_template(session, shop_id, TemplateData(name="c", text="您好", channel="sms_mock"))
        good = save_template(session, shop_id, TemplateData(name="d", text="您好", channel="email_smtp",
                                                            subject="${name}的优惠"))
    assert "subject" in missing.errors and "subject" in unknown.errors and "${nobody}" in unknown.errors["subject"]
    assert sms.ok and good.ok


def test_an_email_campaign_needs_a_subject_and_costs_one_message_each(config) -> None:
    with session_scope(config) as session:
        shop_id = _shop(session)
        try:
            campaigns.create(session, shop_id, "无主题", "email_smtp", text="您好", rules=EVERYONE)
        except campaigns.CampaignError as exc:
            assert str(exc).startswith("subject:")
        else:
            raise AssertionError("an email campaign without a subject was accepted")
        estimate = estimate_message(session, config, shop_id, "email_smtp", "很长的邮件正文" * 40, 10)
        sms = estimate_message(session, config, shop_id, "sms_mock", "很长的邮件正文" * 40, 10)
    assert estimate.parts == 1 and "【小店】" not in estimate.preview and "拒收请回复R" not in estimate.preview
    assert sms.parts > 1 and sms.preview.startswith("【小店】")


def test_the_editor_shows_the_subject_for_email_channels_only(operator_client) -> None:
    page = operator_client.get("/templates/new").get_data(as_text=True)
    block = re.search(r'<div id="subject-field" data-subject-channels="([^"]*)"\s*(hidden)?', page)
    assert block and block.group(1).split() == ["email_smtp"] and block.group(2) == "hidden"


def test_the_campaign_wizard_asks_for_the_subject_of_an_email_campaign(operator_client, config) -> None:
    from shopcrm.models import Segment
    from shopcrm.shops import default_shop
    from tests.web.web_support import page_token

    with session_scope(config) as session:
        segment = Segment(shop_id=default_shop(session).id, name="全部", rules=EVERYONE)
        session.add(segment)
        session.flush()
        segment_id = segment.id
    data = {"name": "邮件活动", "segment_id": str(segment_id), "template_id": "", "text": "您好",
            "channel": "email_smtp", "control_percent": "0", "send_mode": "now",
            "csrf_token": page_token(operator_client, "/campaigns/new")}
    refused = operator_client.post("/campaigns/new", data=data).get_data(as_text=True)
    assert "请填写主题：此渠道发送的是邮件。" in refused and 'id="confirm-form"' not in refused
    accepted = operator_client.post("/campaigns/new", data={**data, "subject": "${name}您好"})
    assert accepted.status_code == 200
    page = accepted.get_data(as_text=True)
    assert 'id="confirm-form"' in page and 'name="subject" value="${name}您好"' in page


def test_shopcrm_campaign_create_takes_the_subject_of_an_email_campaign(config) -> None:
    import json

    from click.testing import CliRunner

    from shopcrm.cli import build_cli
    from shopcrm.models import Campaign

    with session_scope(config) as session:
        _shop(session)
    args = ["campaign", "create", "--name", "上新", "--rules", json.dumps(EVERYONE), "--template-text", "新品上架",
            "--channel", "email_smtp", "--json"]
    refused = CliRunner().invoke(build_cli(), args)
    assert refused.exit_code != 0 and "subject" in refused.output
    made = json.loads(CliRunner().invoke(build_cli(), [*args, "--subject", "${name}，新品上架"],
                                         catch_exceptions=False).output)
    with session_scope(config) as session:
        assert session.get(Campaign, made["id"]).subject == "${name}，新品上架"
