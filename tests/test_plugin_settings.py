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


def test_save_changes_saves_and_audits_only_what_changed(session):
    from sqlalchemy import select

    from shopcrm.models import AuditLog

    shop = Shop(name="一")
    session.add(shop)
    session.flush()
    defaults = {"window_days": 365, "model": "cn8"}
    assert not plugin_settings.save_changes(session, "rfm", shop.id, {"window_days": 180, "model": "cn8"}, {},
                                            None, "10.0.0.1")
    assert plugin_settings.load(session, "rfm", shop.id, defaults) == defaults
    assert session.scalars(select(AuditLog)).all() == []
    changed = {"window_days": [365, 180]}
    assert plugin_settings.save_changes(session, "rfm", shop.id, {"window_days": 180, "model": "cn8"}, changed,
                                        None, "10.0.0.1")
    session.commit()
    assert plugin_settings.load(session, "rfm", shop.id, defaults)["window_days"] == 180
    entry = session.scalars(select(AuditLog)).one()
    assert (entry.action, entry.target, entry.details, entry.ip) == ("settings.rfm", f"shop:{shop.id}", changed,
                                                                     "10.0.0.1")
