"""A shop's sending policy: documented defaults, saving checks every field and stores nothing
when one is wrong, and quiet hours end at the right moment in the shop's own clock."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select

from shopcrm import sending_policy
from shopcrm.models import Setting, Shop
from shopcrm.sending_policy import SendingPolicy, quiet_until, shop_quiet_until


@pytest.fixture
def shop(session) -> Shop:
    shop = Shop(name="规矩店")
    session.add(shop)
    session.flush()
    return shop


def stored(session, shop: Shop):
    return session.scalars(select(Setting.value).where(Setting.namespace == "sending",
                                                       Setting.key == f"shop:{shop.id}")).all()


def test_defaults_without_anything_saved(session, shop):
    policy = sending_policy.load(session, shop.id)
    assert dataclasses.asdict(policy) == {
        "frequency_cap": 2, "frequency_days": 7, "quiet_start": 21, "quiet_end": 8,
        "blacklist_bad_reviews": False, "low_responders": False, "low_responder_messages": 3,
        "attribution_days": 7, "opt_out_text": "拒收请回复R",
    }


def test_save_coerces_form_values_and_keeps_the_rest(session, shop):
    policy, errors = sending_policy.save(session, shop.id, {
        "frequency_cap": " 3 ", "frequency_days": "14", "blacklist_bad_reviews": "on", "low_responders": True,
        "quiet_start": 22})
    assert errors == []
    want = {"frequency_cap": 3, "frequency_days": 14, "quiet_start": 22, "quiet_end": 8,
            "blacklist_bad_reviews": True, "low_responders": True, "low_responder_messages": 3,
            "attribution_days": 7, "opt_out_text": "拒收请回复R"}
    assert dataclasses.asdict(policy) == want
    session.commit()
    assert dataclasses.asdict(sending_policy.load(session, shop.id)) == want

    # A second save changes what it names, on the same row.
    policy, errors = sending_policy.save(session, shop.id, {"blacklist_bad_reviews": "", "frequency_cap": 0})
    assert errors == []
    session.commit()
    assert dataclasses.asdict(sending_policy.load(session, shop.id)) == {
        **want, "blacklist_bad_reviews": False, "frequency_cap": 0}
    assert len(stored(session, shop)) == 1


def test_each_shop_has_its_own_policy(session, shop):
    other = Shop(name="隔壁店")
    session.add(other)
    session.flush()
    assert sending_policy.save(session, shop.id, {"frequency_cap": 5})[1] == []
    assert sending_policy.load(session, shop.id).frequency_cap == 5
    assert sending_policy.load(session, other.id) == SendingPolicy()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("frequency_cap", -1),
        ("frequency_cap", "lots"),
        ("frequency_cap", "2.5"),
        ("frequency_days", 0),
        ("frequency_days", 366),
        ("quiet_start", 24),
        ("quiet_start", -1),
        ("quiet_end", 24),
        ("quiet_end", "eight"),
        ("low_responder_messages", 0),
        ("attribution_days", 0),
        ("attribution_days", 91),
        ("opt_out_text", ""),
        ("opt_out_text", "   "),
        ("colour", "red"),
    ],
)
def test_a_wrong_value_is_named_and_nothing_is_stored(session, shop, field, value):
    assert sending_policy.save(session, shop.id, {"frequency_cap": 4})[1] == []
    session.commit()
    before = stored(session, shop)

    # A valid change next to the wrong one is not stored either.
    policy, errors = sending_policy.save(session, shop.id, {"frequency_days": 30, field: value})
    session.commit()

    assert len(errors) == 1 and errors[0].startswith(f"{field}: "), errors
    assert policy == SendingPolicy(frequency_cap=4)
    assert stored(session, shop) == before
    assert sending_policy.load(session, shop.id) == SendingPolicy(frequency_cap=4)


def test_every_wrong_field_is_named_at_once(session, shop):
    policy, errors = sending_policy.save(session, shop.id, {
        "frequency_cap": "many", "quiet_start": 25, "attribution_days": 0, "frequency_days": 7})
    assert sorted(error.split(":")[0] for error in errors) == ["attribution_days", "frequency_cap", "quiet_start"]
    assert policy == SendingPolicy()
    session.commit()
    assert stored(session, shop) == []


def test_the_limits_themselves_are_accepted(session, shop):
    values = {"frequency_cap": 0, "frequency_days": 365, "quiet_start": 0, "quiet_end": 23,
              "low_responder_messages": 1, "attribution_days": 90}
    policy, errors = sending_policy.save(session, shop.id, values)
    assert errors == []
    assert {k: getattr(policy, k) for k in values} == values
    policy, errors = sending_policy.save(session, shop.id, {"frequency_days": 1, "attribution_days": 1})
    assert errors == [] and (policy.frequency_days, policy.attribution_days) == (1, 1)


# Quiet hours. Each case: the window, a local time, and when the quiet hours end (local), or None.
DAY = dt.date(2026, 11, 29)


def at(hour: int, minute: int = 0, days: int = 0) -> dt.datetime:
    return dt.datetime.combine(DAY + dt.timedelta(days=days), dt.time(hour, minute))


QUIET_CASES = [
    # The default, across midnight: 21:00 to 08:00.
    ((21, 8), at(20, 59), None),
    ((21, 8), at(21, 0), at(8, 0, days=1)),
    ((21, 8), at(23, 59), at(8, 0, days=1)),
    ((21, 8), at(0, 0), at(8, 0)),
    ((21, 8), at(7, 59), at(8, 0)),
    ((21, 8), at(8, 0), None),
    ((21, 8), at(13, 30), None),
    # Ending at midnight.
    ((22, 0), at(21, 59), None),
    ((22, 0), at(22, 0), at(0, 0, days=1)),
    ((22, 0), at(23, 45), at(0, 0, days=1)),
    ((22, 0), at(0, 0), None),
    # Within one day: a lunch break, and the small hours.
    ((12, 14), at(11, 59), None),
    ((12, 14), at(12, 0), at(14, 0)),
    ((12, 14), at(13, 59), at(14, 0)),
    ((12, 14), at(14, 0), None),
    ((12, 14), at(23, 0), None),
    ((0, 6), at(23, 59), None),
    ((0, 6), at(0, 0), at(6, 0)),
    ((0, 6), at(5, 30), at(6, 0)),
    ((0, 6), at(6, 0), None),
    # Start equal to end: no quiet hours at all.
    ((8, 8), at(8, 0), None),
    ((8, 8), at(3, 0), None),
    ((0, 0), at(0, 0), None),
    ((21, 21), at(22, 0), None),
]

# Zones without daylight saving time, with their fixed offset from UTC.
ZONES = [
    ("Asia/Shanghai", dt.timedelta(hours=8)),
    ("UTC", dt.timedelta(0)),
    ("Asia/Kolkata", dt.timedelta(hours=5, minutes=30)),
    ("America/Sao_Paulo", dt.timedelta(hours=-3)),
    ("Pacific/Kiritimati", dt.timedelta(hours=14)),
]


@pytest.mark.parametrize(("zone", "offset"), ZONES, ids=[z for z, _ in ZONES])
@pytest.mark.parametrize(("window", "local", "wake"), QUIET_CASES,
                         ids=[f"{w[0]}-{w[1]}@{t:%H:%M}" for w, t, _ in QUIET_CASES])
def test_quiet_until(zone, offset, window, local, wake):
    policy = SendingPolicy(quiet_start=window[0], quiet_end=window[1])
    now = local - offset  # naive UTC
    expected = wake - offset if wake is not None else None
    assert quiet_until(policy, zone, now) == expected
    # Seconds and microseconds change nothing.
    assert quiet_until(policy, zone, now + dt.timedelta(seconds=59, microseconds=999_999)) == expected


def test_shop_quiet_until_uses_the_shops_clock_and_policy(session, shop):
    far = Shop(name="远方店", timezone="America/Sao_Paulo")
    session.add(far)
    session.flush()
    assert sending_policy.save(session, far.id, {"quiet_start": 22, "quiet_end": 6})[1] == []
    now = dt.datetime(2026, 11, 29, 14, 0)  # 22:00 in Shanghai, 11:00 in São Paulo
    assert shop_quiet_until(session, shop.id, now) == dt.datetime(2026, 11, 30, 0, 0)
    assert shop_quiet_until(session, far.id, now) is None
    late = dt.datetime(2026, 11, 30, 2, 0)  # 23:00 in São Paulo: until 06:00 there, 09:00 UTC
    assert shop_quiet_until(session, far.id, late) == dt.datetime(2026, 11, 30, 9, 0)
