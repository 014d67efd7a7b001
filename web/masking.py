"""Mobile numbers shown masked (138****1234) unless the user's role may see them in full.

Only administrators see full numbers (:data:`FULL_NUMBER_ROLE`); operators and viewers work
with masked ones, which is enough to tell customers apart on screen. Templates use the
``mask_mobile`` filter; :func:`mask` is the masking itself.
"""
from __future__ import annotations

from flask import Flask
from flask_login import current_user

from shopcrm.mobiles import mask_mobile as core_mask

FULL_NUMBER_ROLE = "admin"
"""The lowest role that sees mobile numbers unmasked."""

def mask(number: str) -> str:
    """The masking itself, shared with the rest of ShopCRM (:func:`shopcrm.mobiles.mask_mobile`)."""
    return core_mask(number)


def may_see_full_numbers() -> bool:
    """True when the signed-in user's role may see mobile numbers in full."""
    return bool(current_user.is_authenticated and current_user.can(FULL_NUMBER_ROLE))


def mask_mobile(number: str | None) -> str:
    """The Jinja filter: ``number`` as the current user may see it (empty for no number)."""
    if not number:
        return ""
    return number if may_see_full_numbers() else mask(number)


def init_app(app: Flask) -> None:
    app.add_template_filter(mask_mobile, "mask_mobile")
