"""The core's pages, one blueprint per area: dashboard, admin (plugins, users, settings),
jobs (progress of long work) and account (the user's own language)."""
