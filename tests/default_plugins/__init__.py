"""Tests of the core's default plugins (``shopcrm.default_plugins``)."""
