"""Error pages (400, 403, 404, 405, 500) in the site's layout, in the user's language.

A form sent with a missing or expired CSRF token gets a 400 page that says to reload the page,
which is what a user can do about it. A 500 rolls back the request's database session before
the page is drawn, and the page then leaves out everything that needs the database.
"""
from __future__ import annotations

from flask import Flask, g, render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from shopcrm.web.database import db

ERROR_TEXTS = {
    400: (_l("Bad request"), _l("The request could not be understood.")),
    403: (_l("Not allowed"), _l("Your role does not allow you to open this page. "
                                "Ask an administrator if you need it.")),
    404: (_l("Page not found"), _l("There is no page at this address. It may have been "
                                   "moved or deleted.")),
    405: (_l("Not allowed"), _l("This address does not accept this kind of request.")),
    500: (_l("Something went wrong"), _l("The server could not finish this request. Nothing "
                                         "was saved; try again, and tell your administrator "
                                         "if it happens again.")),
}
CSRF_TEXT = (_l("The form has expired"),
             _l("This form is too old or was not sent from this site. Reload the page and "
                "try again."))


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, csrf_error)
    for code in (400, 403, 404, 405):
        app.register_error_handler(code, http_error)
    app.register_error_handler(InternalServerError, server_error)


def render_error(code: int, title: object, text: object) -> ResponseReturnValue:
    return render_template("errors/error.html", code=code, title=title, text=text), code


def http_error(error: HTTPException) -> ResponseReturnValue:
    code = error.code or 500
    title, text = ERROR_TEXTS.get(code, ERROR_TEXTS[400])
    body = render_template("errors/error.html", code=code, title=title, text=text)
    allowed = getattr(error, "valid_methods", None)
    return body, code, ({"Allow": ", ".join(allowed)} if allowed else {})


def csrf_error(_error: CSRFError) -> ResponseReturnValue:
    return render_error(400, *CSRF_TEXT)


def server_error(_error: InternalServerError) -> ResponseReturnValue:
    if "db_session" in g:
        db().rollback()
    g.plain_layout = True
    return render_error(500, *ERROR_TEXTS[500])
