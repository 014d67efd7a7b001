"""Where to go after a form: only to a path on this site, never to another host."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import request


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a local path (``/users?x=1``), else ``None``.

    Rejects absolute URLs, scheme-relative ``//host`` and backslash tricks, so a crafted
    ``?next=`` cannot send a user who just logged in to another site.
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def current_path() -> str:
    """The path and query of this request, as a ``next`` value."""
    query = request.query_string.decode("utf-8", "replace")
    return f"{request.path}?{query}" if query else request.path
