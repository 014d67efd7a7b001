"""The replies page: every role reads the shop's replies, newest first, masked and escaped, with
the opt-outs marked by the shop's keywords and the message each reply answered."""
from __future__ import annotations

import datetime as dt
from typing import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from shopcrm.models import Inbound, Message, Shop, User
from shopcrm.opt_outs import save_keywords
from shopcrm.shops import default_shop
from web_support import make_customer, text

URL = "/replies/"
START = dt.datetime(2026, 11, 29, 9, 0)


@pytest.fixture
def shop(session: Session) -> Shop:
    shop = default_shop(session)
    session.commit()
    return shop


def add_reply(session: Session, shop_id: int, words: str, minutes: int, mobile: str = "13812345678",
              **fields: object) -> Inbound:
    row = Inbound(shop_id=shop_id, channel="sms_mock", mobile=mobile, text=words,
                  received_at=START + dt.timedelta(minutes=minutes), **fields)
    session.add(row)
    session.commit()
    return row


def row_of(page: str, reply: Inbound) -> str:
    start = page.index(f'id="reply-{reply.id}"')
    return page[start:page.index("</tr>", start)]


def test_replies_show_customer_channel_opt_out_and_the_message_answered(
    login_as: Callable[[User], FlaskClient], admin: User, session: Session, shop: Shop
) -> None:
    amy = make_customer(shop.id, "tb_amy", name="小美", mobile="13812345678")
    session.add(amy)
    session.flush()
    message = Message(shop_id=shop.id, customer_id=amy.id, channel="sms_mock", to="13812345678",
                      text="【小店】双十一返场，全场八折，拒收请回复R", status="delivered")
    session.add(message)
    session.commit()
    question = add_reply(session, shop.id, "什么时候发货？", 1, customer_id=amy.id)
    stop = add_reply(session, shop.id, "ＴＤ。", 2, customer_id=amy.id, message_id=message.id)
    page = text(login_as(admin).get(URL))
    assert "<title>短信回复 · ShopCRM</title>" in page
    assert '<a href="/replies/" aria-current="page">短信回复</a>' in page
    assert page.index(f'id="reply-{stop.id}"') < page.index(f'id="reply-{question.id}"')  # newest first
    stop_row = row_of(page, stop)
    assert "13812345678" in stop_row and "小美" in stop_row and "短信沙箱" in stop_row
    assert "已退订" in stop_row and "双十一返场" in stop_row
    assert f'href="/customers/{amy.id}"' in stop_row
    assert "已退订" not in row_of(page, question)


def test_a_viewer_sees_masked_numbers(
    login_as: Callable[[User], FlaskClient], viewer: User, session: Session, shop: Shop
) -> None:
    add_reply(session, shop.id, "好的", 1)
    page = text(login_as(viewer).get(URL))
    assert "138****5678" in page and "13812345678" not in page


def test_reply_text_is_escaped(
    login_as: Callable[[User], FlaskClient], viewer: User, session: Session, shop: Shop
) -> None:
    add_reply(session, shop.id, '<script>alert("x")</script>', 1)
    page = text(login_as(viewer).get(URL))
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_filters_by_kind_and_mobile_digits(
    login_as: Callable[[User], FlaskClient], viewer: User, session: Session, shop: Shop
) -> None:
    td = add_reply(session, shop.id, "TD", 1)
    thanks = add_reply(session, shop.id, "谢谢", 2)
    other_number = add_reply(session, shop.id, "退订", 3, mobile="13900009999")
    client = login_as(viewer)
    opt_outs = text(client.get(f"{URL}?kind=opt_out"))
    assert f'id="reply-{td.id}"' in opt_outs and f'id="reply-{other_number.id}"' in opt_outs
    assert f'id="reply-{thanks.id}"' not in opt_outs
    others = text(client.get(f"{URL}?kind=other"))
    assert f'id="reply-{thanks.id}"' in others and f'id="reply-{td.id}"' not in others
    found = text(client.get(f"{URL}?q=9999"))
    assert f'id="reply-{other_number.id}"' in found and f'id="reply-{td.id}"' not in found
    assert "没有符合条件的回复。" in text(client.get(f"{URL}?q=0000"))


def test_the_opt_out_mark_follows_the_shops_keywords(
    login_as: Callable[[User], FlaskClient], viewer: User, session: Session, shop: Shop
) -> None:
    mine = add_reply(session, shop.id, "不要再发了", 1)
    save_keywords(session, shop.id, ["不要再发了"])
    session.commit()
    page = text(login_as(viewer).get(URL))
    assert "已退订" in row_of(page, mine)


def test_pages_go_on_from_the_last_reply(
    login_as: Callable[[User], FlaskClient], viewer: User, session: Session, shop: Shop,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    from shopcrm.web.views import replies as view

    monkeypatch.setattr(view, "PAGE_SIZE", 2)
    rows = [add_reply(session, shop.id, f"回复{n}", n) for n in range(3)]
    client = login_as(viewer)
    first = text(client.get(URL))
    assert f'id="reply-{rows[2].id}"' in first and f'id="reply-{rows[0].id}"' not in first
    cursor = f"{rows[1].received_at.isoformat()}_{rows[1].id}"
    assert f'href="/replies/?after={cursor}"' in first
    second = text(client.get(URL, query_string={"after": cursor}))
    assert f'id="reply-{rows[0].id}"' in second and f'id="reply-{rows[1].id}"' not in second
    assert "第一页" in second


def test_replies_of_another_shop_are_not_shown(
    login_as: Callable[[User], FlaskClient], admin: User, session: Session, shop: Shop
) -> None:
    other = Shop(name="别的店")
    session.add(other)
    session.flush()
    add_reply(session, other.id, "别的店的回复", 1)
    assert "别的店的回复" not in text(login_as(admin).get(URL))


def test_the_page_needs_a_log_in(client: FlaskClient) -> None:
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
