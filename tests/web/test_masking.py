"""Mobiles are masked (138****1234) for every role but admin."""
from __future__ import annotations

import pytest
from flask import Flask, render_template_string
from flask_login import login_user

from shopcrm.models import User
from shopcrm.web.masking import mask


@pytest.mark.parametrize(("number", "masked"), [
    ("13812341234", "138****1234"),
    ("+8613812341234", "+86138****1234"),
    ("02161234567", "021****4567"),
    ("12345", "****45"),
    ("12", "****"),
])
def test_mask_keeps_the_first_three_and_last_four_digits(number: str, masked: str) -> None:
    assert mask(number) == masked


def rendered(app: Flask, user: User | None, number: str | None) -> str:
    with app.test_request_context():
        if user is not None:
            login_user(user)
        return render_template_string("{{ number|mask_mobile }}", number=number)


def test_admins_see_full_numbers(app: Flask, admin: User) -> None:
    assert rendered(app, admin, "13812341234") == "13812341234"


def test_operators_viewers_and_visitors_see_masked_numbers(
    app: Flask, operator: User, viewer: User
) -> None:
    for user in (operator, viewer, None):
        assert rendered(app, user, "13812341234") == "138****1234"


def test_no_number_renders_as_nothing(app: Flask, admin: User, viewer: User) -> None:
    assert rendered(app, viewer, None) == ""
    assert rendered(app, admin, "") == ""


