"""Opt-outs of an email channel are keyed by the address (trimmed, lower case): by hand on the
opt-outs page, from an imported list, and as the send checks them; an SMS opt-out of the same
customer does not stop email, nor the other way round."""
from __future__ import annotations

from sqlalchemy import select

from shopcrm.db import session_scope
from shopcrm.models import OptOut
from shopcrm.opt_outs import import_list, opt_in, opt_out, opted_out
from shopcrm.shops import default_shop
from tests.web.web_support import post_form


def test_email_addresses_are_opted_out_per_channel(config) -> None:
    with session_scope(config) as session:
        shop_id = default_shop(session).id
        assert opt_out(session, shop_id, "email_smtp", " Wang@Example.com", "operator")
        assert not opt_out(session, shop_id, "email_smtp", "wang@example.com", "form")  # already
        result = import_list(session, shop_id, "email_smtp", ["email", "li@example.com", "13800000000", ""])
        assert (result.added, result.already) == (1, 0)
        assert result.errors == [(3, "13800000000", "not an email address")]
        stopped = opted_out(session, shop_id, "email_smtp", ["WANG@example.com", "li@example.com", "x@example.com"])
        assert stopped == {"WANG@example.com", "li@example.com"}
        assert opted_out(session, shop_id, "sms_mock", ["wang@example.com"]) == set()
        assert opt_in(session, shop_id, "email_smtp", "LI@example.com")
        assert opted_out(session, shop_id, "email_smtp", ["li@example.com"]) == set()


def test_the_opt_outs_page_takes_an_email_address_for_an_email_channel(config, operator_client) -> None:
    refused = post_form(operator_client, "/opt-outs/", {"out-mobile": "13800138000", "out-channel": "email_smtp"},
                        token_from="/opt-outs/")
    assert "此渠道发送邮件，请输入邮箱地址" in refused.get_data(as_text=True)
    added = post_form(operator_client, "/opt-outs/", {"out-mobile": "Zhao@Example.com", "out-channel": "email_smtp"},
                      token_from="/opt-outs/")
    assert added.status_code == 302
    with session_scope(config) as session:
        assert [(o.channel, o.mobile, o.source) for o in session.scalars(select(OptOut))] == [
            ("email_smtp", "zhao@example.com", "operator")]
