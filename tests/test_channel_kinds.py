"""A channel's kind decides the address, the skip reasons and the composition; SMS is what an
unknown kind or an uninstalled channel is treated as."""
from __future__ import annotations

from shopcrm.channel_kinds import EMAIL, SMS, kind_named, kind_of


def test_the_kinds_differ_in_address_reasons_and_composition() -> None:
    sms, email = kind_named(SMS), kind_named(EMAIL)
    assert (sms.unreachable, sms.duplicate, sms.signed, sms.has_subject) == (
        "invalid_number", "duplicate_number", True, False)
    assert (email.unreachable, email.duplicate, email.signed, email.has_subject) == (
        "invalid_email", "duplicate_email", False, True)
    assert sms.normalise("+86 138-0013-8000") == ("13800138000", True)
    assert email.normalise(" Wang@Example.com") == ("wang@example.com", True)


def test_unknown_kinds_and_channels_are_sms(config) -> None:
    assert kind_named("fax").name == SMS and kind_named(None).name == SMS
    assert kind_of("no_such_channel").name == SMS and kind_of(None).name == SMS
    assert kind_of("sms_mock").name == SMS and kind_of("email_smtp").name == EMAIL
