"""The ShopCRM web UI: the Flask application factory.

``create_app()`` wires the pieces that live in this package's small modules: the per-request
database session (:mod:`.database`), the reverse proxy's headers (:mod:`.proxy`), the health
check (:mod:`.health`), log-in and roles (:mod:`.auth`, :mod:`.access`),
languages (:mod:`.i18n`, :mod:`.catalogues`), security headers (:mod:`.security`), error pages
(:mod:`.errors`), the navigation (:mod:`.navigation`), the core's pages (:mod:`.views`) and
the pages plugins add (:mod:`.plugin_blueprints`).
"""
from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from shopcrm.config import Config, load_config
from shopcrm.plugins import call_each, get_plugin_manager
from shopcrm.web import access, api, auth, database, errors, health, i18n, masking, navigation, proxy, security
from shopcrm.web.app_config import configure
from shopcrm.web.plugin_blueprints import mount_plugin_blueprints
from shopcrm.web.views import (account, admin, automations, campaigns, customers, dashboard, imports, jobs,
                               message_templates, opt_outs, orders, replies, segments, tokens)

csrf = CSRFProtect()
"""Checks the token of every POST form and htmx request (header ``X-CSRFToken``)."""


def create_app(config: Config | None = None) -> Flask:
    """Build the web application for ``config`` (read from the environment when omitted).

    Plugins are loaded first so that a broken plugin install fails here, loudly; their
    blueprints are mounted under ``/plugins/<name>/`` and ``startup(app)`` runs last, when the
    application is complete.
    """
    config = config or load_config()
    get_plugin_manager()

    app = Flask(__name__, instance_path=str(config.instance_path))
    configure(app, config)
    proxy.init_app(app, config)
    database.init_app(app, config)

    # Log-in is checked before the CSRF token, so that an anonymous request to any page is sent
    # to the log-in page rather than told about a token it could never have had.
    auth.init_app(app)
    app.before_request(access.require_login)
    csrf.init_app(app)

    i18n.init_app(app)
    masking.init_app(app)
    navigation.init_app(app)
    security.init_app(app)
    errors.init_app(app)

    app.register_blueprint(auth.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(customers.bp)
    app.register_blueprint(segments.bp)
    app.register_blueprint(campaigns.bp)
    app.register_blueprint(message_templates.bp)
    app.register_blueprint(automations.bp)
    app.register_blueprint(orders.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(jobs.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(imports.bp)
    app.register_blueprint(tokens.bp)
    app.register_blueprint(opt_outs.bp)
    app.register_blueprint(replies.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(health.bp)
    csrf.exempt(api.bp)  # token-authenticated, no session: see shopcrm.web.api
    mount_plugin_blueprints(app)

    for _plugin, _result in call_each("startup", app=app):
        pass
    return app


__all__ = ["create_app", "csrf"]
