"""Customers as a CSV download: a segment's, or those of some rules, streamed and audited.

The file is what ``shopcrm customers export`` writes (:mod:`shopcrm.customer_export`: profile,
rollups, every segmenter's label as a column), in UTF-8 with a byte order mark so that Excel
opens the Chinese correctly. It is written a batch of customers at a time while it downloads,
on a session of its own, so a million customers never sit in memory. Mobiles are masked unless
the user's role may see them (:mod:`shopcrm.web.masking`). When the download ends (or is broken
off) the audit log records who exported what and how many rows were sent.
"""
from __future__ import annotations

import csv
import io
from typing import Any, Iterator
from urllib.parse import quote

from flask import Response, request, stream_with_context
from flask_login import current_user

from shopcrm import audit
from shopcrm.customer_export import rows
from shopcrm.db import get_engine, session_factory, session_scope
from shopcrm.mobiles import mask_mobile
from shopcrm.models import User
from shopcrm.web.database import current_config
from shopcrm.web.masking import may_see_full_numbers

EXPORT_ROLE = "operator"
"""The lowest role that may download customers; viewers may not."""

ROWS_PER_CHUNK = 500
"""Rows written into each piece of the response."""

BOM = "\ufeff"


def csv_response(shop_id: int, rules: Any, filename: str, segment: str | None = None) -> Response:
    """Stream the customers of ``rules`` (all customers for ``None``) as ``filename``.

    The rules must already be checked: an error now would break the download half-way.
    """
    config = current_config()
    user_id = int(current_user.id)
    masked = not may_see_full_numbers()
    ip = request.remote_addr

    def generate() -> Iterator[bytes]:
        sent = -1  # the header is not a customer
        finished = False
        try:
            with session_factory(get_engine(config))() as session:
                buffer = io.StringIO()
                buffer.write(BOM)
                writer = csv.writer(buffer)
                for row in rows(session, shop_id, rules, mask_mobile if masked else None):
                    writer.writerow(row)
                    sent += 1
                    if sent % ROWS_PER_CHUNK == 0:
                        yield buffer.getvalue().encode("utf-8")
                        buffer.seek(0)
                        buffer.truncate()
                yield buffer.getvalue().encode("utf-8")
            finished = True
        finally:
            with session_scope(config) as session:
                audit.record(session, "customers.export", user=session.get(User, user_id), target=filename,
                             details={"segment": segment, "customers": max(sent, 0), "rules": rules,
                                      "masked": masked, "finished": finished, "via": "web"}, ip=ip)

    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Disposition"] = content_disposition(filename)
    return response


def content_disposition(filename: str) -> str:
    """An attachment header that keeps a Chinese file name (RFC 6266, with an ASCII fallback)."""
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in filename) or "export.csv"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
