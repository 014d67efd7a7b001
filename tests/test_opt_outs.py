"""Opt-outs: keywords read as phones send them, idempotent opt-out and opt-in, lists imported."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shopcrm.models import OptOut, Shop
from shopcrm.opt_outs import (DEFAULT_KEYWORDS, import_list, is_opt_out, keywords, opt_in, opt_out, opted_out,
                              save_keywords)


@pytest.fixture
def shop(session):
    shop = Shop(name="退订店")
    session.add(shop)
    session.commit()
    return shop


@pytest.mark.parametrize("reply", ["TD", "td", " Td ", "ＴＤ", "T", "r", "退订", "退订。", "拒收!", "R！"])
def test_a_keyword_reply_opts_out(reply):
    assert is_opt_out(reply, DEFAULT_KEYWORDS)


@pytest.mark.parametrize("reply", ["", "好的", "不要退订", "TDD", "谢谢，已收到", "RT"])
def test_other_replies_do_not(reply):
    assert not is_opt_out(reply, DEFAULT_KEYWORDS)


def test_a_shop_sets_its_own_keywords(session, shop):
    assert keywords(session, shop.id) == DEFAULT_KEYWORDS
    assert save_keywords(session, shop.id, ["ｎ", " 不要再发 ", "", "N"]) == ("N", "不要再发")
    session.commit()
    assert keywords(session, shop.id) == ("N", "不要再发")
    assert is_opt_out("不要再发。", keywords(session, shop.id)) and not is_opt_out("TD", keywords(session, shop.id))
    with pytest.raises(ValueError, match="at least one opt-out keyword"):
        save_keywords(session, shop.id, [" ", ""])


def test_opting_out_is_idempotent_per_channel_and_opting_in_undoes_it(session, shop):
    assert opt_out(session, shop.id, "sms", "+86 138-0013-8000", "reply") is True
    assert opt_out(session, shop.id, "sms", "13800138000", "operator") is False  # already
    assert opt_out(session, shop.id, "email", "13800138000", "form") is True     # another channel
    session.commit()
    assert session.scalar(select(func.count()).select_from(OptOut)) == 2
    assert opted_out(session, shop.id, "sms", ["13800138000", "0086 13800138000", "13900139000"]) == {
        "13800138000", "0086 13800138000"}
    assert opt_in(session, shop.id, "sms", "138 0013 8000") is True
    assert opt_in(session, shop.id, "sms", "13800138000") is False
    session.commit()
    assert opted_out(session, shop.id, "sms", ["13800138000"]) == set()
    assert opted_out(session, shop.id, "email", ["13800138000"]) == {"13800138000"}
    with pytest.raises(ValueError, match="source must be one of"):
        opt_out(session, shop.id, "sms", "13800138000", "rumour")


def test_an_opt_out_list_keeps_the_good_lines_and_names_the_bad_ones(session, shop):
    opt_out(session, shop.id, "sms", "13700137000", "reply")
    lines = ["\ufeff手机号,备注", "13800138000,老客户", "+8613900139000", "", "13700137000", "12345", "139001390"]
    result = import_list(session, shop.id, "sms", lines)
    session.commit()
    assert (result.added, result.already) == (2, 1)
    assert result.errors == [(6, "12345", "not a mainland mobile number"), (7, "139001390", "not a mainland mobile number")]
    assert opted_out(session, shop.id, "sms", ["13800138000", "13900139000", "13700137000"]) == {
        "13800138000", "13900139000", "13700137000"}
    sources = dict(session.execute(select(OptOut.mobile, OptOut.source)).all())
    assert sources["13800138000"] == "import" and sources["13700137000"] == "reply"


def test_a_thousand_and_more_numbers_are_checked_in_chunks(session, shop):
    numbers = [f"139{n:08d}" for n in range(2500)]
    for number in numbers[::500]:
        opt_out(session, shop.id, "sms", number, "import")
    session.commit()
    assert opted_out(session, shop.id, "sms", numbers) == set(numbers[::500])
