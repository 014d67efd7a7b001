"""Opt-outs: keywords read as phones send them, idempotent opt-out and opt-in, lists imported."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shopcrm.models import Customer, OptOut, Shop
from shopcrm.opt_outs import (DEFAULT_KEYWORDS, ListFilter, count_opt_outs, import_list, is_opt_out, iter_opt_outs,
                              keywords, list_opt_outs, opt_in, opt_out, opted_out, save_keywords)


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


def _numbers(page):
    return [row.mobile for row in page.rows]


def test_the_list_is_newest_first_in_keyset_pages_with_its_total(session, shop):
    other = Shop(name="别的店")
    session.add(other)
    session.flush()
    numbers = [f"1380000{n:04d}" for n in range(7)]
    for number in numbers:
        opt_out(session, shop.id, "sms", number, "import")
    opt_out(session, other.id, "sms", "13900000000", "reply")
    session.commit()
    first = list_opt_outs(session, shop.id, limit=3)
    assert _numbers(first) == numbers[::-1][:3]
    second = list_opt_outs(session, shop.id, after=first.next_after, limit=3)
    third = list_opt_outs(session, shop.id, after=second.next_after, limit=3)
    assert _numbers(second) + _numbers(third) == numbers[::-1][3:]
    assert third.next_after is None
    assert count_opt_outs(session, shop.id) == 7 and count_opt_outs(session, other.id) == 1


def test_the_list_filters_by_channel_source_and_last_digits(session, shop):
    opt_out(session, shop.id, "sms", "13800001234", "reply")
    opt_out(session, shop.id, "sms", "13900009999", "operator")
    opt_out(session, shop.id, "email", "13700001234", "form")
    session.commit()
    by = lambda **kw: sorted(row.mobile for row in list_opt_outs(session, shop.id, ListFilter(**kw)).rows)  # noqa: E731
    assert by(channel="sms") == ["13800001234", "13900009999"]
    assert by(source="form") == ["13700001234"]
    assert by(digits="1234") == ["13700001234", "13800001234"]
    assert by(digits="+86 139 0000 9999") == ["13900009999"]
    assert by(digits="%") == ["13700001234", "13800001234", "13900009999"]  # no digits: no filter
    assert count_opt_outs(session, shop.id, ListFilter(channel="sms", digits="34")) == 1


def test_a_page_names_the_customer_who_has_the_number(session, shop):
    session.add(Customer(shop_id=shop.id, identity="tb_amy", platform_id="tb_amy", mobile="13800001234"))
    opt_out(session, shop.id, "sms", "13800001234", "reply")
    opt_out(session, shop.id, "sms", "13900009999", "reply")
    session.commit()
    page = list_opt_outs(session, shop.id)
    assert {mobile: customer.platform_id for mobile, customer in page.customers.items()} == {"13800001234": "tb_amy"}


def test_an_export_reads_every_row_in_batches(session, shop):
    numbers = [f"1380000{n:04d}" for n in range(25)]
    for number in numbers:
        opt_out(session, shop.id, "sms", number, "import")
    session.commit()
    assert [row.mobile for row in iter_opt_outs(session, shop.id, batch=10)] == numbers[::-1]
    assert [row.mobile for row in iter_opt_outs(session, shop.id, ListFilter(digits="0024"), batch=10)] == [
        "13800000024"]
