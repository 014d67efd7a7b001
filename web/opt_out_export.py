"""The opt-out list as a CSV download for administrators: streamed, audited.

UTF-8 with a byte order mark (Excel then reads the Chinese), written a batch at a time on a
session of its own while it downloads (:func:`shopcrm.opt_outs.iter_opt_outs`), so a list of
any length never sits in memory. When the download ends, or is broken off, the audit log records
who exported which part of the list and how many rows were sent.
"""
from __future__ import annotations

from dataclasses import asdict
from typing import Any, Iterator

from flask import Response
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from shopcrm.opt_outs import ListFilter, iter_opt_outs
from shopcrm.web.csv_download import audited_csv
from shopcrm.web.masking import mask, may_see_full_numbers
from shopcrm.web.opt_out_forms import channel_label, source_label

EXPORT_ROLE = "admin"
"""The lowest role that downloads the opt-out list."""


def csv_response(shop_id: int, where: ListFilter, filename: str) -> Response:
    """Stream the opt-outs ``where`` selects as ``filename``: mobile, channel, source, time (UTC)."""
    header = [_("Mobile"), _("Channel"), _("Source"), _("Opted out at (UTC)")]
    channels: dict[str, str] = {}  # labels, looked up once per channel and source
    sources: dict[str, str] = {}
    masked = not may_see_full_numbers()  # as on the page, should a lower role ever export

    def rows(session: Session) -> Iterator[list[str]]:
        yield header
        for row in iter_opt_outs(session, shop_id, where):
            if row.channel not in channels:
                channels[row.channel] = channel_label(row.channel)
            if row.source not in sources:
                sources[row.source] = source_label(row.source)
            yield [mask(row.mobile) if masked else row.mobile, channels[row.channel], sources[row.source],
                   row.at.strftime("%Y-%m-%d %H:%M:%S")]

    def details(sent: int, finished: bool) -> dict[str, Any]:
        return {"filter": asdict(where), "rows": sent, "finished": finished}

    return audited_csv(filename, rows, "opt_outs.export", filename, details)
