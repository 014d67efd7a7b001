"""The opt-out list as a CSV download for administrators: streamed, audited.

UTF-8 with a byte order mark (Excel then reads the Chinese), written a batch at a time on a
session of its own while it downloads (:func:`shopcrm.opt_outs.iter_opt_outs`), so a list of
any length never sits in memory. When the download ends, or is broken off, the audit log records
who exported which part of the list and how many rows were sent.
"""
from __future__ import annotations

import csv
import io
from dataclasses import asdict
from typing import Iterator

from flask import Response, request, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user

from shopcrm import audit
from shopcrm.db import get_engine, session_factory, session_scope
from shopcrm.models import User
from shopcrm.opt_outs import ListFilter, iter_opt_outs
from shopcrm.web.database import current_config
from shopcrm.web.masking import mask, may_see_full_numbers
from shopcrm.web.opt_out_forms import channel_label, source_label
from shopcrm.web.segment_export import BOM, ROWS_PER_CHUNK, content_disposition

EXPORT_ROLE = "admin"
"""The lowest role that downloads the opt-out list."""


def csv_response(shop_id: int, where: ListFilter, filename: str) -> Response:
    """Stream the opt-outs ``where`` selects as ``filename``: mobile, channel, source, time (UTC)."""
    config = current_config()
    user_id = int(current_user.id)
    ip = request.remote_addr
    header = [_("Mobile"), _("Channel"), _("Source"), _("Opted out at (UTC)")]
    channels: dict[str, str] = {}  # labels, looked up once per channel and source
    sources: dict[str, str] = {}
    masked = not may_see_full_numbers()  # as on the page, should a lower role ever export

    def generate() -> Iterator[bytes]:
        sent = 0
        finished = False
        try:
            buffer = io.StringIO()
            buffer.write(BOM)
            writer = csv.writer(buffer)
            writer.writerow(header)
            with session_factory(get_engine(config))() as session:
                for row in iter_opt_outs(session, shop_id, where):
                    if row.channel not in channels:
                        channels[row.channel] = channel_label(row.channel)
                    if row.source not in sources:
                        sources[row.source] = source_label(row.source)
                    mobile = mask(row.mobile) if masked else row.mobile
                    writer.writerow([mobile, channels[row.channel], sources[row.source],
                                     row.at.strftime("%Y-%m-%d %H:%M:%S")])
                    sent += 1
                    if sent % ROWS_PER_CHUNK == 0:
                        yield buffer.getvalue().encode("utf-8")
                        buffer.seek(0)
                        buffer.truncate()
            yield buffer.getvalue().encode("utf-8")
            finished = True
        finally:
            with session_scope(config) as session:
                audit.record(session, "opt_outs.export", user=session.get(User, user_id), target=filename,
                             details={"filter": asdict(where), "rows": sent, "finished": finished}, ip=ip)

    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Disposition"] = content_disposition(filename)
    return response
