"""CSV downloads: streamed on a session of their own, in UTF-8 with a byte order mark, audited.

A download is written a chunk of rows at a time while it goes out, so a list of any length never
sits in memory; the BOM makes Excel read the Chinese. When it ends, or is broken off, the audit
log records who downloaded what, how many rows were sent and whether it finished. The segment,
campaign and opt-out exports are built on :func:`audited_csv`.
"""
from __future__ import annotations

import csv
import io
from typing import Any, Callable, Iterable, Iterator, Sequence
from urllib.parse import quote

from flask import Response, request, stream_with_context
from flask_login import current_user
from sqlalchemy.orm import Session

from shopcrm import audit
from shopcrm.db import get_engine, session_factory, session_scope
from shopcrm.models import User
from shopcrm.web.database import current_config

ROWS_PER_CHUNK = 500
"""Rows written into each piece of the response."""

BOM = "\ufeff"


def content_disposition(filename: str) -> str:
    """An attachment header that keeps a Chinese file name (RFC 6266, with an ASCII fallback)."""
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in filename) or "export.csv"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def audited_csv(filename: str, rows: Callable[[Session], Iterable[Sequence[Any]]], action: str, target: str,
                details: Callable[[int, bool], dict[str, Any]], header_rows: int = 1) -> Response:
    """Stream ``rows(session)`` as ``filename`` (its first ``header_rows`` are headings), then
    audit it as ``action`` on ``target`` with ``details(data rows sent, finished)``."""
    config = current_config()
    user_id = int(current_user.id)
    ip = request.remote_addr

    def generate() -> Iterator[bytes]:
        written = 0
        finished = False
        try:
            buffer = io.StringIO()
            buffer.write(BOM)
            writer = csv.writer(buffer)
            with session_factory(get_engine(config))() as session:
                for row in rows(session):
                    writer.writerow(row)
                    written += 1
                    if written % ROWS_PER_CHUNK == 0:
                        yield buffer.getvalue().encode("utf-8")
                        buffer.seek(0)
                        buffer.truncate()
            yield buffer.getvalue().encode("utf-8")
            finished = True
        finally:
            with session_scope(config) as session:
                audit.record(session, action, user=session.get(User, user_id), target=target,
                             details=details(max(written - header_rows, 0), finished), ip=ip)

    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Disposition"] = content_disposition(filename)
    return response


__all__ = ["BOM", "ROWS_PER_CHUNK", "audited_csv", "content_disposition"]
