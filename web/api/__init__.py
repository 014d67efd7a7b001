"""The JSON API under ``/api/v1``: a shop system pushes orders and customers as they happen.

Every route but the OpenAPI document needs ``Authorization: Bearer <token>``, an API token of
the shop (:mod:`.auth`); none uses the log-in session, so the blueprint is exempt from CSRF
(:func:`shopcrm.web.create_app`). A request is read in :mod:`.payload`, upserted all or nothing
in :mod:`.upsert`, and every error is JSON (:mod:`.problems`). ``/api/v1/openapi.json``
(:mod:`.openapi`) describes it all; ``docs/api.md`` is the guide.
"""
from shopcrm.web.api.routes import bp

__all__ = ["bp"]
