"""Message templates: placeholders checked when saved, filled per customer, billed as SMS parts."""
from __future__ import annotations

from decimal import Decimal

import pytest

from shopcrm.message_templates import (OPT_OUT_TEXT, TemplateError, check, compose, estimate, placeholders,
                                       render, sms_parts)
from shopcrm.variables import RenderContext, TemplateVariable


class Nick(TemplateVariable):
    name = "nickname"
    label = "Nickname"
    example = "小满的老顾客"

    def value(self, ctx: RenderContext) -> str:
        return f"顾客{ctx.customer_id}"


class Points(TemplateVariable):
    name = "points"
    label = "Points"
    example = "12345"

    def value(self, ctx: RenderContext) -> str:
        return str((ctx.customer_id or 0) * 10)


VARIABLES = {"nickname": Nick(), "points": Points()}


def test_placeholders_are_listed_once_in_order() -> None:
    assert placeholders("${points} 分，${nickname}，再说一次 ${points}") == ["points", "nickname"]


@pytest.mark.parametrize(("text", "message"), [
    ("", "the template is empty"),
    ("亲 ${nick}，您好", r"unknown variable\(s\): \$\{nick\} \(known: \$\{nickname\}, \$\{points\}\)"),
    ("亲 ${nickname，您好", r"a placeholder is not closed or not a variable name: '\$\{nickname，您好'"),
    ("满减 ${1元}", "a placeholder is not closed or not a variable name"),
])
def test_a_template_that_cannot_work_is_refused_with_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        check(text, VARIABLES)


def test_a_good_template_gives_its_variables_and_renders_per_customer() -> None:
    text = "亲爱的${nickname}，您有${points}积分，${nickname}别忘了用"
    assert check(text, VARIABLES) == ["nickname", "points"]
    ctx = RenderContext(session=None, shop_id=1, customer_id=7)  # type: ignore[arg-type]
    assert render(text, ctx, VARIABLES) == "亲爱的顾客7，您有70积分，顾客7别忘了用"
    assert render("${nobody}在吗", ctx, VARIABLES) == "在吗"  # a variable gone since: empty


def test_compose_adds_the_signature_and_for_marketing_the_opt_out_text() -> None:
    assert compose(" 双11 全场五折 ", "小满生活", marketing=True) == f"【小满生活】双11 全场五折 {OPT_OUT_TEXT}"
    assert compose("您的订单已发货", "【小满生活】", marketing=False) == "【小满生活】您的订单已发货"
    assert compose(f"五折 {OPT_OUT_TEXT}", None, marketing=True) == f"五折 {OPT_OUT_TEXT}"  # not twice


@pytest.mark.parametrize(("length", "parts"), [(0, 0), (1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3)])
def test_sms_parts(length: int, parts: int) -> None:
    assert sms_parts("好" * length) == parts


def test_an_estimate_counts_examples_signature_and_opt_out_and_prices_a_campaign() -> None:
    body = "亲爱的${nickname}，" + "好" * 40 + "，积分${points}"
    got = estimate(body, VARIABLES, "小满生活", marketing=True)
    expected = f"【小满生活】亲爱的小满的老顾客，{'好' * 40}，积分12345 {OPT_OUT_TEXT}"
    assert got.text == expected and got.characters == len(expected)
    assert got.characters == 71 and got.parts == 2  # over 70 once the signature and opt-out text are in
    assert got.cost(1000, Decimal("0.045")) == Decimal("90.00")
    assert estimate("好" * 60, VARIABLES, "小满生活", marketing=False).parts == 1
