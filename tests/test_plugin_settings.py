"""Per-shop plugin settings: defaults overlaid with what was saved, per shop."""
from __future__ import annotations

from shopcrm import plugin_settings
from shopcrm.models import Shop


def test_load_overlays_saved_values_on_defaults_per_shop(session):
    one, two = Shop(name="一"), Shop(name="二")
    session.add_all([one, two])
    session.flush()
    defaults = {"window_days": 365, "model": "cn8"}
    assert plugin_settings.load(session, "rfm", one.id, defaults) == defaults
    plugin_settings.save(session, "rfm", one.id, {"window_days": 180})
    plugin_settings.save(session, "rfm", one.id, {"model": "en11"})
    session.commit()
    assert plugin_settings.load(session, "rfm", one.id, defaults) == {"window_days": 180, "model": "en11"}
    assert plugin_settings.load(session, "rfm", two.id, defaults) == defaults
    assert plugin_settings.load(session, "lifecycle", one.id, {"new_days": 30}) == {"new_days": 30}
    # Keys a newer version dropped are ignored.
    plugin_settings.save(session, "rfm", one.id, {"retired": True})
    assert "retired" not in plugin_settings.load(session, "rfm", one.id, defaults)
