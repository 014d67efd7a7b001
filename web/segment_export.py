"""Customers as a CSV download: a segment's, or those of some rules, streamed and audited.

The file is what ``shopcrm customers export`` writes (:mod:`shopcrm.customer_export`: profile,
rollups, every segmenter's label as a column), in UTF-8 with a byte order mark so that Excel
opens the Chinese correctly. It is written a batch of customers at a time while it downloads,
on a session of its own, so a million customers never sit in memory. Mobiles are masked unless
the user's role may see them (:mod:`shopcrm.web.masking`). When the download ends (or is broken
off) the audit log records who exported what and how many rows were sent.
"""
from __future__ import annotations

from typing import Any

from flask import Response

from shopcrm.customer_export import rows
from shopcrm.mobiles import mask_mobile
from shopcrm.web.csv_download import audited_csv
from shopcrm.web.masking import may_see_full_numbers

EXPORT_ROLE = "operator"
"""The lowest role that may download customers; viewers may not."""


def csv_response(shop_id: int, rules: Any, filename: str, segment: str | None = None) -> Response:
    """Stream the customers of ``rules`` (all customers for ``None``) as ``filename``.

    The rules must already be checked: an error now would break the download half-way.
    """
    masked = not may_see_full_numbers()

    def details(customers: int, finished: bool) -> dict[str, Any]:
        return {"segment": segment, "customers": customers, "rules": rules, "masked": masked,
                "finished": finished, "via": "web"}

    return audited_csv(filename, lambda session: rows(session, shop_id, rules, mask_mobile if masked else None),
                       "customers.export", filename, details)
