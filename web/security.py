"""Security headers on every response.

The Content-Security-Policy allows scripts, styles, fonts and connections from this site only:
no inline script or style element, no event-handler attribute, no other host. htmx is set up
for it in the layout (no indicator ``<style>`` injected, no eval), and the vendored libraries
are served from ``/static``. Pico's CSS draws its icons with ``data:`` SVG images, hence
``img-src 'self' data:``.
"""
from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    """Add :data:`SECURITY_HEADERS`; pages (not static files) are never cached, so nobody
    reads a customer list from the browser's back button after logging out."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint is None or not (request.endpoint == "static" or request.endpoint.endswith(".static")):
        response.headers.setdefault("Cache-Control", "no-store")
    return response
