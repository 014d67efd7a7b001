"""A campaign's outbox: one row per matching customer, the exclusions in their documented order,
a reproducible control group, one message per phone and quiet hours, on both databases."""
from __future__ import annotations

import datetime as dt
import itertools
import threading
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, insert, select

from shopcrm import sending_policy
from shopcrm.campaign_audience import bucket_of, holdout_bucket, write_recipients
from shopcrm.campaigns import begin
from shopcrm.models import Campaign, Customer, Message, OptOut, Order, Review, Shop

# 10:00 in Shanghai: outside the default quiet hours (21-8), so rows are due at once.
NOW = dt.datetime(2026, 11, 29, 2, 0, 0)
ZHEJIANG = "浙江省"
EVERYONE_IN_ZHEJIANG = {"all": [{"field": "province", "op": "=", "value": ZHEJIANG}]}


def days_ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def documented_bucket(campaign_id: int, customer_id: int) -> int:
    """The documented hold-out hash, worked out here: on 31-bit numbers, the customer id plus the
    campaign's seed (id x 0x2C1B3C6D), then three rounds of multiply and xor-shift."""
    mask = 2**31 - 1
    x = (customer_id + ((campaign_id * 0x2C1B3C6D) & mask)) & mask
    for multiplier, shift in ((0x5BD1E995, 15), (0x1B873593, 13), (0x2C1B3C6D, 16)):
        x = (x * multiplier) & mask
        x ^= x >> shift
    return x % 10_000


def in_control(campaign_id: int, customer_id: int, share: float) -> bool:
    """The documented hold-out draw: the bucket below share x 10000."""
    return documented_bucket(campaign_id, customer_id) < round(share * 10_000)


def make_shop(session, name: str = "活动店", timezone: str = "Asia/Shanghai") -> Shop:
    shop = Shop(name=name, timezone=timezone)
    session.add(shop)
    session.flush()
    return shop


def make_campaign(session, shop: Shop, control_share: float = 0.0, rules=None, channel: str = "sms") -> Campaign:
    campaign = Campaign(shop_id=shop.id, name=f"双十二预热{control_share}", channel=channel, text="上新啦",
                        rules=rules if rules is not None else EVERYONE_IN_ZHEJIANG, control_share=control_share,
                        status="draft")
    session.add(campaign)
    session.flush()
    return campaign


def outbox(session, campaign_id: int) -> dict[int, Message]:
    session.expire_all()
    return {m.customer_id: m for m in session.scalars(select(Message).where(Message.campaign_id == campaign_id))}


def history(shop: Shop, customer: Customer, when: dt.datetime, status: str = "sent",
            marketing: bool = True) -> Message:
    """A message of an earlier send (no campaign) to ``customer``."""
    return Message(shop_id=shop.id, customer_id=customer.id, channel="sms", to=customer.mobile or "",
                   text="earlier", is_marketing=marketing, status=status, parts=1, created_at=when,
                   updated_at=when, sent_at=when if status in ("sent", "delivered") else None)


FLAGS = ("invalid", "opted_here", "opted_other", "bad_review", "low_msgs", "recent_buyer", "capped", "notified")


POLICIES = [
    pytest.param({}, id="defaults"),
    pytest.param({"blacklist_bad_reviews": True, "low_responders": True}, id="blacklist-and-low-responders"),
    pytest.param({"blacklist_bad_reviews": True, "low_responders": True, "frequency_cap": 0}, id="no-cap"),
    pytest.param({"low_responders": True, "low_responder_messages": 5, "frequency_cap": 3}, id="stricter-counts"),
]


@pytest.mark.parametrize("values", POLICIES)
def test_every_customer_gets_one_row_with_the_first_reason_that_applies(config, session, values):
    shop = make_shop(session)
    other_shop = make_shop(session, "隔壁店")
    policy, errors = sending_policy.save(session, shop.id, values)
    assert errors == []
    campaign = make_campaign(session, shop, control_share=0.3)

    combos = [dict(zip(FLAGS, combo)) for combo in itertools.product((False, True), repeat=len(FLAGS))]
    customers = [Customer(shop_id=shop.id, platform_id=f"buyer{i}", province=ZHEJIANG,
                          mobile=None if f["invalid"] and i % 2 == 0 else f"139{i:08d}",
                          sms_reachable=not f["invalid"]) for i, f in enumerate(combos)]
    session.add_all(customers)
    session.flush()
    flags_of: dict[int, dict[str, bool]] = {}
    number_of: dict[int, str] = {}
    for i, (f, customer) in enumerate(zip(combos, customers)):
        mobile = f"139{i:08d}"
        flags_of[customer.id] = f
        number_of[customer.id] = customer.mobile or ""
        if f["opted_here"]:
            session.add(OptOut(shop_id=shop.id, channel="sms", mobile=mobile, source="reply"))
        if f["opted_other"]:
            session.add(OptOut(shop_id=shop.id, channel="wechat", mobile=mobile, source="form"))
        if f["opted_other"] and not f["opted_here"]:
            # The same number opted out in another shop: not this shop's business.
            session.add(OptOut(shop_id=other_shop.id, channel="sms", mobile=mobile, source="reply"))
        if f["bad_review"]:
            session.add(Review(shop_id=shop.id, customer_id=customer.id, platform_review_id=f"r{i}", rating=1,
                               is_bad=True, content="差评", created_at=days_ago(20)))
        elif i % 3 == 0:
            session.add(Review(shop_id=shop.id, customer_id=customer.id, platform_review_id=f"r{i}", rating=5,
                               is_bad=False, content="好评", created_at=days_ago(20)))
        if f["low_msgs"]:  # three marketing messages a month ago: outside the 7-day cap window
            session.add_all([history(shop, customer, days_ago(30 + k), status) for k, status in
                             enumerate(("sent", "delivered", "sent"))])
        if f["capped"]:  # two marketing messages in the last 7 days
            session.add_all([history(shop, customer, days_ago(1), "delivered"),
                             history(shop, customer, days_ago(6), "sending")])
        if f["notified"]:  # order notices never count towards either limit
            session.add_all([history(shop, customer, days_ago(k + 1), "delivered", marketing=False)
                             for k in range(4)])
        # Never counted: sent long ago, or never sent at all.
        session.add(history(shop, customer, days_ago(120), "delivered"))
        if i % 4 == 0:
            session.add(history(shop, customer, days_ago(2), "skipped"))
        if f["recent_buyer"]:
            session.add(Order(shop_id=shop.id, customer_id=customer.id, platform_order_id=f"o{i}", status="completed",
                              paid_amount=Decimal("59.00"), created_at=days_ago(11), paid_at=days_ago(10)))
        elif i % 3 == 1:  # bought, but more than 90 days ago
            session.add(Order(shop_id=shop.id, customer_id=customer.id, platform_order_id=f"o{i}", status="completed",
                              paid_amount=Decimal("59.00"), created_at=days_ago(101), paid_at=days_ago(100)))
        elif i % 3 == 2:  # recent orders whose money the shop did not keep
            session.add_all([
                Order(shop_id=shop.id, customer_id=customer.id, platform_order_id=f"o{i}a", status="refunded",
                      paid_amount=Decimal("59.00"), refund_amount=Decimal("59.00"), created_at=days_ago(6),
                      paid_at=days_ago(5)),
                Order(shop_id=shop.id, customer_id=customer.id, platform_order_id=f"o{i}b", status="closed",
                      created_at=days_ago(4)),
            ])
    # Not in the segment, and not in the shop: no row at all.
    outside = Customer(shop_id=shop.id, platform_id="outsider", province="广东省", mobile="13700000001",
                       sms_reachable=True)
    stranger = Customer(shop_id=other_shop.id, platform_id="stranger", province=ZHEJIANG, mobile="13700000002",
                        sms_reachable=True)
    session.add_all([outside, stranger])
    session.commit()

    def expected_reason(customer_id: int) -> str | None:
        f = flags_of[customer_id]
        marketing_90_days = 3 * f["low_msgs"] + 2 * f["capped"]
        marketing_7_days = 2 * f["capped"]
        if f["invalid"]:
            return "invalid_number"
        if f["opted_here"]:
            return "opted_out"
        if policy.blacklist_bad_reviews and f["bad_review"]:
            return "blacklisted"
        if (policy.low_responders and marketing_90_days >= policy.low_responder_messages
                and not f["recent_buyer"]):
            return "low_responder"
        if policy.frequency_cap and marketing_7_days >= policy.frequency_cap:
            return "frequency_cap"
        if in_control(campaign.id, customer_id, 0.3):
            return "control_group"
        return None

    result = begin(config, campaign.id, now=NOW)

    rows = outbox(session, campaign.id)
    assert set(rows) == set(flags_of)  # every matching customer of the shop, nobody else
    got = {cid: (m.status, m.skip_reason) for cid, m in rows.items()}
    want = {cid: ("pending", None) if expected_reason(cid) is None else ("skipped", expected_reason(cid))
            for cid in flags_of}
    assert got == want
    # Every reason the policy allows shows up, so none of the above passed by not being tried.
    reasons = {reason for _, reason in want.values()}
    assert {"invalid_number", "opted_out", "control_group", None} <= reasons
    assert ("blacklisted" in reasons) == policy.blacklist_bad_reviews
    assert ("low_responder" in reasons) == policy.low_responders
    assert ("frequency_cap" in reasons) == (0 < policy.frequency_cap <= 2)  # the capped have 2

    for cid, message in rows.items():
        assert message.channel == "sms" and message.is_marketing is True
        assert message.send_after == NOW
        assert message.to == number_of[cid]
    assert result["written"] == len(flags_of)
    assert result["pending"] == sum(1 for s, _ in want.values() if s == "pending")
    assert result["skipped"] == sum(1 for s, _ in want.values() if s == "skipped")
    session.expire_all()
    assert session.get(Campaign, campaign.id).status == "sending"
    assert session.get(Campaign, campaign.id).rules == EVERYONE_IN_ZHEJIANG

    # Starting again writes nothing; neither does writing the recipients again.
    again = begin(config, campaign.id, now=NOW + dt.timedelta(minutes=5))
    assert again["written"] == 0
    write_recipients(session, session.get(Campaign, campaign.id), EVERYONE_IN_ZHEJIANG, policy,
                     NOW + dt.timedelta(minutes=5), NOW + dt.timedelta(minutes=5))
    session.commit()
    assert {cid: (m.status, m.skip_reason, m.send_after) for cid, m in outbox(session, campaign.id).items()} == {
        cid: (s, r, NOW) for cid, (s, r) in want.items()}


def test_writing_again_adds_only_customers_who_joined_the_segment(config, session):
    shop = make_shop(session)
    campaign = make_campaign(session, shop)
    first = [Customer(shop_id=shop.id, platform_id=f"b{i}", province=ZHEJIANG, mobile=f"1380000000{i}",
                      sms_reachable=True) for i in range(5)]
    session.add_all(first)
    session.commit()
    policy = sending_policy.load(session, shop.id)

    write_recipients(session, campaign, EVERYONE_IN_ZHEJIANG, policy, NOW, NOW)
    write_recipients(session, campaign, EVERYONE_IN_ZHEJIANG, policy, NOW, NOW)
    session.commit()
    assert session.scalar(select(func.count()).select_from(Message)) == 5

    late = Customer(shop_id=shop.id, platform_id="late", province=ZHEJIANG, mobile="13800000009", sms_reachable=True)
    session.add(late)
    session.commit()
    write_recipients(session, campaign, EVERYONE_IN_ZHEJIANG, policy, NOW, NOW)
    session.commit()
    rows = outbox(session, campaign.id)
    assert sorted(rows) == sorted([c.id for c in first] + [late.id])
    assert {m.status for m in rows.values()} == {"pending"}


def test_two_starts_at_once_write_each_recipient_once(config, session):
    """The first write is a plain insert: the campaign row's lock makes the second start wait,
    find the campaign sending and write nothing (unlocked, on PostgreSQL, it would insert too
    and fail on the unique key)."""
    shop = make_shop(session)
    campaign = make_campaign(session, shop)
    session.add_all([Customer(shop_id=shop.id, platform_id=f"c{i}", province=ZHEJIANG, mobile=f"139{i:08d}",
                              sms_reachable=True) for i in range(3000)])
    session.commit()
    barrier = threading.Barrier(2)
    results: list[dict] = []
    errors: list[BaseException] = []

    def start(second: int) -> None:
        barrier.wait()
        try:
            results.append(begin(config, campaign.id, now=NOW + dt.timedelta(seconds=second)))
        except BaseException as exc:  # noqa: BLE001 - the assertion below names it
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(second,)) for second in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(result["written"] for result in results) == [0, 3000]
    assert session.scalar(select(func.count()).select_from(Message).where(Message.campaign_id == campaign.id)) == 3000


def test_one_message_per_phone(config, session):
    shop = make_shop(session)
    campaign = make_campaign(session, shop)
    twins = [Customer(shop_id=shop.id, platform_id=f"twin{i}", province=ZHEJIANG, mobile="13912345678",
                      sms_reachable=True) for i in range(2)]
    triplets = [Customer(shop_id=shop.id, platform_id=f"tri{i}", province=ZHEJIANG, mobile="13912340000",
                         sms_reachable=True) for i in range(3)]
    # The first of this pair cannot be messaged (unreachable): the second is the phone's one message.
    unreachable = Customer(shop_id=shop.id, platform_id="dead", province=ZHEJIANG, mobile="13911112222",
                           sms_reachable=False)
    reachable = Customer(shop_id=shop.id, platform_id="alive", province=ZHEJIANG, mobile="13911112222",
                         sms_reachable=True)
    alone = Customer(shop_id=shop.id, platform_id="alone", province=ZHEJIANG, mobile="13955556666", sms_reachable=True)
    session.add_all([*twins, *triplets, unreachable, reachable, alone])
    session.commit()

    begin(config, campaign.id, now=NOW)
    rows = outbox(session, campaign.id)

    for group in (twins, triplets):
        states = sorted((rows[c.id].status, rows[c.id].skip_reason or "") for c in group)
        assert states == [("pending", "")] + [("skipped", "duplicate_number")] * (len(group) - 1)
    assert (rows[unreachable.id].status, rows[unreachable.id].skip_reason) == ("skipped", "invalid_number")
    assert (rows[reachable.id].status, rows[reachable.id].skip_reason) == ("pending", None)
    assert (rows[alone.id].status, rows[alone.id].skip_reason) == ("pending", None)
    pending_numbers = [m.to for m in rows.values() if m.status == "pending"]
    assert len(pending_numbers) == len(set(pending_numbers)) == 4


def _many_customers(session, shop: Shop, n: int) -> list[int]:
    session.execute(insert(Customer), [
        {"shop_id": shop.id, "platform_id": f"m{i}", "identity": f"m{i}", "province": ZHEJIANG,
         "mobile": f"136{i:08d}", "sms_reachable": True, "tags": [], "created_at": NOW, "updated_at": NOW}
        for i in range(n)])
    session.commit()
    return list(session.scalars(select(Customer.id).where(Customer.shop_id == shop.id)))


def test_control_group_share_and_reproducibility(config, session):
    shop = make_shop(session)
    ids = _many_customers(session, shop, 3000)
    share = 0.2
    campaign = make_campaign(session, shop, control_share=share)
    other = make_campaign(session, shop, control_share=share)
    session.commit()
    policy = sending_policy.load(session, shop.id)

    def control_of(c: Campaign) -> set[int]:
        return {cid for cid, m in outbox(session, c.id).items() if m.skip_reason == "control_group"}

    write_recipients(session, campaign, EVERYONE_IN_ZHEJIANG, policy, NOW, NOW)
    session.commit()
    held = control_of(campaign)
    assert held == {cid for cid in ids if in_control(campaign.id, cid, share)}
    assert abs(len(held) / len(ids) - share) < 0.02
    rows = outbox(session, campaign.id)
    assert len(rows) == len(ids)
    assert all(m.status == "pending" for cid, m in rows.items() if cid not in held)

    # Written again from scratch, the same campaign holds out the same customers.
    session.execute(delete(Message).where(Message.campaign_id == campaign.id))
    session.commit()
    write_recipients(session, campaign, EVERYONE_IN_ZHEJIANG, policy, NOW + dt.timedelta(hours=1), NOW)
    session.commit()
    assert control_of(campaign) == held

    # Another campaign draws its own group, of the same size.
    write_recipients(session, other, EVERYONE_IN_ZHEJIANG, policy, NOW, NOW)
    session.commit()
    other_held = control_of(other)
    assert other_held == {cid for cid in ids if in_control(other.id, cid, share)}
    assert other_held != held
    assert abs(len(other_held) / len(ids) - share) < 0.02


@pytest.mark.parametrize("campaign_id", [1, 2, 97, 40_000, 2**31 - 1])
def test_bucket_of_matches_the_sql_bucket(config, session, campaign_id):
    shop = make_shop(session)
    ids = _many_customers(session, shop, 500)
    in_sql = dict(session.execute(select(Customer.id, holdout_bucket(campaign_id, Customer.id))
                                  .where(Customer.shop_id == shop.id)).all())
    assert {cid: int(b) for cid, b in in_sql.items()} == {cid: bucket_of(campaign_id, cid) for cid in ids}
    assert all(0 <= b < 10_000 for b in in_sql.values())


def test_bucket_of_is_the_documented_hash():
    for campaign_id, customer_id in [(1, 1), (3, 123_456), (2**31 - 1, 2**31 - 1), (77, 10**9)]:
        assert bucket_of(campaign_id, customer_id) == documented_bucket(campaign_id, customer_id)


def test_consecutive_campaigns_hold_out_independent_groups():
    """At a 20% hold-out two campaigns share about 4% of customers (0.2 x 0.2) when independent."""
    customers = range(1, 20_001)
    for first in (1, 50, 999):
        held = {c for c in customers if in_control(first, c, 0.2)}
        nxt = {c for c in customers if in_control(first + 1, c, 0.2)}
        assert abs(len(held & nxt) / len(customers) - 0.04) < 0.01


@pytest.mark.parametrize(
    ("now", "due"),
    [
        # 22:00 in Shanghai: deferred to 08:00 the next morning there, midnight UTC.
        pytest.param(dt.datetime(2026, 11, 29, 14, 0), dt.datetime(2026, 11, 30, 0, 0), id="22:00"),
        # 03:30 in Shanghai: deferred to 08:00 the same morning.
        pytest.param(dt.datetime(2026, 11, 28, 19, 30), dt.datetime(2026, 11, 29, 0, 0), id="03:30"),
        # 10:00 in Shanghai: due at once.
        pytest.param(dt.datetime(2026, 11, 29, 2, 0), dt.datetime(2026, 11, 29, 2, 0), id="10:00"),
    ],
)
def test_quiet_hours_defer_pending_rows(config, session, now, due):
    shop = make_shop(session)
    campaign = make_campaign(session, shop)
    session.add_all([Customer(shop_id=shop.id, platform_id=f"q{i}", province=ZHEJIANG, mobile=f"1350000000{i}",
                              sms_reachable=True) for i in range(3)])
    session.commit()

    begin(config, campaign.id, now=now)

    rows = outbox(session, campaign.id)
    assert len(rows) == 3
    assert {(m.status, m.send_after) for m in rows.values()} == {("pending", due)}


def test_the_frequency_cap_counts_messages_still_queued(config, session):
    """Campaigns started one after the other before the first has gone out (or deferred together
    by quiet hours) must not add up to more than the cap."""
    shop = make_shop(session)
    assert sending_policy.save(session, shop.id, {"frequency_cap": 2, "frequency_days": 7})[1] == []
    had_one = Customer(shop_id=shop.id, platform_id="had_one", province=ZHEJIANG, mobile="13600000001",
                       sms_reachable=True)
    fresh = Customer(shop_id=shop.id, platform_id="fresh", province=ZHEJIANG, mobile="13600000002",
                     sms_reachable=True)
    session.add_all([had_one, fresh])
    session.flush()
    session.add(history(shop, had_one, days_ago(1), "delivered"))
    first, second, third = (make_campaign(session, shop) for _ in range(3))
    session.commit()

    begin(config, first.id, now=NOW)
    begin(config, second.id, now=NOW + dt.timedelta(minutes=1))
    begin(config, third.id, now=NOW + dt.timedelta(minutes=2))

    def state(campaign: Campaign, customer: Customer) -> tuple[str, str | None]:
        message = outbox(session, campaign.id)[customer.id]
        return message.status, message.skip_reason

    # had_one: one delivered yesterday, so one more fits; fresh: two more fit.
    assert state(first, had_one) == ("pending", None)
    assert state(second, had_one) == ("skipped", "frequency_cap")
    assert state(third, had_one) == ("skipped", "frequency_cap")
    assert state(first, fresh) == ("pending", None)
    assert state(second, fresh) == ("pending", None)
    assert state(third, fresh) == ("skipped", "frequency_cap")
