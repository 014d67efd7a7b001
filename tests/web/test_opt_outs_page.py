"""The opt-outs page: the list by role, opting out and back in by hand, importing a list, the
shop's keywords and the CSV download; every change audited, every form behind its CSRF token."""
from __future__ import annotations

import datetime as dt
import io
from typing import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm.channels import MessageEvent
from shopcrm.config import Config
from shopcrm.default_plugins.replies import file_reply
from shopcrm.models import AuditLog, OptOut, Shop, User
from shopcrm.opt_outs import keywords, opt_out, opted_out
from shopcrm.shops import default_shop
from web_support import make_customer, page_token, post_form, text

URL = "/opt-outs/"
CHANNEL = "sms_mock"


@pytest.fixture
def shop(session: Session) -> Shop:
    shop = default_shop(session)
    session.commit()
    return shop


@pytest.fixture
def listed(session: Session, shop: Shop) -> OptOut:
    """One opted-out number, which is also a customer's."""
    session.add(make_customer(shop.id, "tb_amy", name="小美", mobile="13812345678"))
    opt_out(session, shop.id, CHANNEL, "13812345678", "reply")
    session.commit()
    row = session.scalar(select(OptOut))
    assert row is not None
    return row


def opted(session: Session, shop: Shop, mobile: str) -> bool:
    session.rollback()  # see what the app committed
    return bool(opted_out(session, shop.id, CHANNEL, [mobile]))


def add(client: FlaskClient, mobile: str, channel: str = CHANNEL) -> object:
    return post_form(client, URL, {"out-mobile": mobile, "out-channel": channel}, token_from=URL)


def upload(client: FlaskClient, content: bytes, name: str = "名单.csv") -> object:
    return post_form(client, "/opt-outs/import", {"import-channel": CHANNEL,
                                                  "import-file": (io.BytesIO(content), name)},
                     token_from=URL, content_type="multipart/form-data")


def audits(session: Session, action: str) -> list[AuditLog]:
    session.rollback()
    return list(session.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_the_list_shows_the_number_its_customer_channel_and_source(
    login_as: Callable[[User], FlaskClient], admin: User, listed: OptOut
) -> None:
    page = text(login_as(admin).get(URL))
    assert "<title>退订名单 · ShopCRM</title>" in page
    assert '<a href="/opt-outs/" aria-current="page">退订名单</a>' in page
    row = page[page.index(f'id="opt-out-{listed.id}"'):]
    row = row[:row.index("</tr>")]
    assert "13812345678" in row and "小美" in row and "短信沙箱" in row and "回复退订" in row
    assert "共 1 个已退订号码" in page
    for keyword in ("TD", "退订", "拒收"):
        assert keyword in page


def test_a_viewer_sees_masked_numbers_and_cannot_change_anything(
    login_as: Callable[[User], FlaskClient], viewer: User, listed: OptOut, session: Session, shop: Shop
) -> None:
    client = login_as(viewer)
    page = text(client.get(URL))
    assert "138****5678" in page and "13812345678" not in page
    assert 'id="add-opt-out"' not in page and 'id="import-opt-outs"' not in page
    assert "/opt-in" not in page and "/opt-outs/keywords" not in page and "export.csv" not in page
    assert add(client, "13900001111").status_code == 403
    assert upload(client, b"13900001111\n").status_code == 403
    assert post_form(client, f"/opt-outs/{listed.id}/opt-in", {}, token_from=URL).status_code == 403
    assert post_form(client, "/opt-outs/keywords", {"kw-keywords": "STOP"}, token_from=URL).status_code == 403
    assert client.get("/opt-outs/export.csv").status_code == 403
    assert not opted(session, shop, "13900001111") and opted(session, shop, "13812345678")
    assert keywords(session, shop.id) == ("TD", "T", "R", "退订", "拒收")


def test_an_operator_opts_a_number_out_by_hand_and_it_is_audited(
    login_as: Callable[[User], FlaskClient], operator: User, session: Session, shop: Shop
) -> None:
    client = login_as(operator)
    page = text(client.get(URL))
    assert 'id="add-opt-out"' in page and "/opt-in" not in page and "export.csv" not in page
    response = add(client, "+86 139-0000-1111")
    assert response.status_code == 302 and response.headers["Location"] == URL
    assert opted(session, shop, "13900001111")
    row = session.scalar(select(OptOut))
    assert row is not None and row.source == "operator"
    page = text(client.get(URL))
    assert "该号码已在短信沙箱退订：不会再通过此渠道向它发送消息。" in page and "手动添加" in page
    again = add(client, "13900001111")
    assert "该号码此前已在短信沙箱退订。" in text(client.get(again.headers["Location"]))
    entries = audits(session, "opt_out.add")
    assert [(e.user_id, e.target, e.details) for e in entries] == [
        (operator.id, "mobile:13900001111", {"channel": CHANNEL, "added": True}),
        (operator.id, "mobile:13900001111", {"channel": CHANNEL, "added": False})]


@pytest.mark.parametrize("mobile, message", [
    ("12345", "手机号：请输入 11 位中国大陆手机号，例如 13800138000。"),
    ("", "手机号：请输入要退订的号码。"),
])
def test_a_bad_mobile_is_named_and_nothing_is_added(
    login_as: Callable[[User], FlaskClient], operator: User, session: Session, shop: Shop, mobile: str,
    message: str
) -> None:
    response = add(login_as(operator), mobile)
    assert response.status_code == 200
    page = text(response)
    assert message in page and 'id="out-mobile-error"' in page
    session.rollback()
    assert session.scalar(select(OptOut)) is None


def test_a_channel_that_is_not_registered_is_refused(
    login_as: Callable[[User], FlaskClient], operator: User, session: Session, shop: Shop
) -> None:
    assert 'id="out-channel-error"' in text(add(login_as(operator), "13900001111", channel="carrier_pigeon"))
    session.rollback()
    assert session.scalar(select(OptOut)) is None


def test_forms_without_their_csrf_token_are_refused(
    login_as: Callable[[User], FlaskClient], admin: User, listed: OptOut, session: Session, shop: Shop
) -> None:
    client = login_as(admin)
    refused = [
        client.post(URL, data={"out-mobile": "13900001111", "out-channel": CHANNEL}),
        client.post(f"/opt-outs/{listed.id}/opt-in", data={}),
        client.post("/opt-outs/import", data={"import-channel": CHANNEL,
                                              "import-file": (io.BytesIO(b"13900002222\n"), "a.csv")},
                    content_type="multipart/form-data"),
        client.post("/opt-outs/keywords", data={"kw-keywords": "STOP", "kw-csrf_token": "forged"}),
    ]
    assert [response.status_code for response in refused] == [400, 400, 400, 400]
    assert "表单已过期" in text(refused[0])
    assert not opted(session, shop, "13900001111") and not opted(session, shop, "13900002222")
    assert opted(session, shop, "13812345678") and keywords(session, shop.id)[0] == "TD"


def test_an_admin_opts_a_number_back_in_after_a_confirmation_and_it_is_audited(
    login_as: Callable[[User], FlaskClient], admin: User, operator: User, listed: OptOut, session: Session,
    shop: Shop
) -> None:
    url = f"/opt-outs/{listed.id}/opt-in"
    assert post_form(login_as(operator), url, {}, token_from=URL).status_code == 403
    assert opted(session, shop, "13812345678")
    client = login_as(admin)
    page = text(client.get(URL))
    assert f'action="{url}"' in page and 'data-confirm="确定让 13812345678 在短信沙箱恢复接收消息吗' in page
    response = post_form(client, url, {}, token_from=URL)
    assert response.status_code == 302
    assert not opted(session, shop, "13812345678")
    assert "该号码已恢复，可再次通过短信沙箱接收消息。" in text(client.get(URL))
    [entry] = audits(session, "opt_out.remove")
    assert (entry.user_id, entry.target, entry.details) == (
        admin.id, "mobile:13812345678", {"channel": CHANNEL, "source": "reply"})
    assert post_form(client, url, {}, token_from=URL).status_code == 404  # already gone


def test_an_opt_out_of_another_shop_is_not_found(
    login_as: Callable[[User], FlaskClient], admin: User, session: Session, shop: Shop
) -> None:
    other = Shop(name="别的店")
    session.add(other)
    session.flush()
    opt_out(session, other.id, CHANNEL, "13812345678", "reply")
    session.commit()
    row = session.scalar(select(OptOut))
    assert row is not None
    client = login_as(admin)
    page = text(client.get(URL))
    assert 'id="no-opt-outs"' in page and "共 0 个已退订号码" in page
    assert post_form(client, f"/opt-outs/{row.id}/opt-in", {}, token_from=URL).status_code == 404
    session.rollback()
    assert opted_out(session, other.id, CHANNEL, ["13812345678"])


def test_an_import_keeps_the_good_lines_and_names_each_bad_one(
    login_as: Callable[[User], FlaskClient], operator: User, listed: OptOut, session: Session, shop: Shop
) -> None:
    content = "手机号,备注\n13900001111,老客户\n12345,错号\n+86 137 0000 2222\n13812345678\n".encode("gbk")
    response = upload(login_as(operator), content)
    assert response.status_code == 200
    page = text(response)
    assert "已退订：2。已在名单中：1。不是手机号的行：1。" in page
    bad = page[page.index('class="striped bad-lines"'):]
    assert "<td class=\"number\">3</td><td><code>12345</code></td><td>不是中国大陆手机号</td>" in bad
    for mobile in ("13900001111", "13700002222", "13812345678"):
        assert opted(session, shop, mobile)
    session.rollback()
    assert session.scalar(select(OptOut.source).where(OptOut.mobile == "13900001111")) == "import"
    [entry] = audits(session, "opt_out.import")
    assert entry.user_id == operator.id and entry.target == "名单.csv"
    assert entry.details == {"channel": CHANNEL, "added": 2, "already": 1, "bad_lines": 1}


def test_an_import_needs_a_file(
    login_as: Callable[[User], FlaskClient], operator: User
) -> None:
    client = login_as(operator)
    response = post_form(client, "/opt-outs/import", {"import-channel": CHANNEL}, token_from=URL)
    assert "请选择要上传的文件。" in text(response)


def test_edited_keywords_decide_the_next_reply(
    login_as: Callable[[User], FlaskClient], admin: User, operator: User, session: Session, shop: Shop,
    config: Config
) -> None:
    assert post_form(login_as(operator), "/opt-outs/keywords", {"kw-keywords": "STOP"},
                     token_from=URL).status_code == 403
    client = login_as(admin)
    response = post_form(client, "/opt-outs/keywords", {"kw-keywords": "不要再发\n stop，TD"}, token_from=URL)
    assert response.status_code == 302
    assert "退订关键词已保存：不要再发 STOP TD" in text(client.get(URL))
    [entry] = audits(session, "opt_out.keywords")
    assert entry.user_id == admin.id and entry.details == {"keywords": ["不要再发", "STOP", "TD"]}

    def reply(words: str, gateway_id: str, mobile: str) -> bool:
        return file_reply(MessageEvent(kind="replied", channel=CHANNEL, mobile=mobile, text=words,
                                       gateway_id=gateway_id, occurred_at=dt.datetime(2026, 11, 29, 10),
                                       shop_id=shop.id), config)

    assert reply("退订", "g1", "13900001111") is False  # no longer a keyword
    assert reply("Stop!", "g2", "13900002222") is True
    assert not opted(session, shop, "13900001111") and opted(session, shop, "13900002222")


def test_keywords_cannot_be_left_empty(
    login_as: Callable[[User], FlaskClient], admin: User, session: Session, shop: Shop
) -> None:
    client = login_as(admin)
    for blank in ("", " ,，\n"):
        page = text(post_form(client, "/opt-outs/keywords", {"kw-keywords": blank}, token_from=URL))
        assert "请至少填写一个退订关键词（例如 TD 或 退订）。" in page
    session.rollback()
    assert keywords(session, shop.id) == ("TD", "T", "R", "退订", "拒收")


def test_filters_search_and_pages(
    login_as: Callable[[User], FlaskClient], admin: User, session: Session, shop: Shop,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    from shopcrm.web.views import opt_outs as view

    monkeypatch.setattr(view, "PAGE_SIZE", 2)
    for n, source in enumerate(["reply", "import", "operator"]):
        opt_out(session, shop.id, CHANNEL, f"1390000000{n}", source)
    session.commit()
    client = login_as(admin)
    first = text(client.get(URL))
    assert "13900000002" in first and "13900000001" in first and "13900000000" not in first
    assert "共 3 个已退订号码" in first
    row = session.scalar(select(OptOut).where(OptOut.mobile == "13900000001"))
    assert row is not None
    assert f'href="/opt-outs/?after={row.id}"' in first
    second = text(client.get(f"{URL}?after={row.id}"))
    assert "13900000000" in second and "13900000001" not in second
    imported = text(client.get(f"{URL}?source=import"))
    assert "13900000001" in imported and "13900000002" not in imported and "共 1 个已退订号码" in imported
    found = text(client.get(f"{URL}?q=0002"))
    assert "13900000002" in found and "13900000001" not in found
    assert "没有符合条件的退订号码。" in text(client.get(f"{URL}?channel=email"))


def test_an_admin_downloads_the_list_as_csv_and_it_is_audited(
    login_as: Callable[[User], FlaskClient], admin: User, operator: User, listed: OptOut, session: Session,
    shop: Shop
) -> None:
    opt_out(session, shop.id, CHANNEL, "13900001111", "import")
    session.commit()
    assert login_as(operator).get("/opt-outs/export.csv").status_code == 403
    client = login_as(admin)
    assert 'href="/opt-outs/export.csv"' in text(client.get(URL))
    response = client.get("/opt-outs/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.is_streamed
    assert "filename*=UTF-8''%E9%80%80%E8%AE%A2%E5%90%8D%E5%8D%95.csv" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith("\ufeff".encode("utf-8"))
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0] == "手机号,渠道,来源,退订时间（UTC）"
    assert [line.rsplit(",", 1)[0] for line in lines[1:]] == [
        "13900001111,短信沙箱,名单导入", "13812345678,短信沙箱,回复退订"]
    filtered = client.get("/opt-outs/export.csv?source=reply").get_data().decode("utf-8-sig").splitlines()
    assert len(filtered) == 2 and filtered[1].startswith("13812345678,")
    entries = audits(session, "opt_outs.export")
    assert [(e.user_id, e.details["rows"], e.details["finished"]) for e in entries] == [
        (admin.id, 2, True), (admin.id, 1, True)]
    assert entries[1].details["filter"] == {"channel": None, "source": "reply", "digits": ""}


def test_the_page_needs_a_log_in(client: FlaskClient) -> None:
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/opt-outs/export.csv").status_code == 302
    token = page_token(client, "/login")
    assert client.post(URL, data={"csrf_token": token, "out-mobile": "13900001111"}).status_code == 302
