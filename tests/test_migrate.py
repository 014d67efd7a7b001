"""Migrations: the models and the revisions agree, and plugins' version folders are applied."""
from __future__ import annotations

import textwrap

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from shopcrm import migrate
from shopcrm.models import Base
from shopcrm.plugins import reset_plugin_manager
from tests.plugin_fixtures import write_plugin_file


def test_models_and_migrations_agree(engine):
    """Autogenerate against the migrated database finds no difference (SQLite or PostgreSQL)."""
    def include_name(name, type_, parent_names):
        # Per-database sort indexes of the customer list (migration 0002), not in the models.
        return not (type_ == "index" and name and name.startswith("ix_customer_list_"))

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_upgrade_creates_every_core_table(engine):
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert not migrate.pending(engine)


def test_customer_labels_are_keyed_by_customer_and_segmenter_without_foreign_keys(engine):
    """Migration 0010: labels are rewritten in bulk, so they carry no per-row foreign key checks."""
    schema = inspect(engine)
    assert schema.get_pk_constraint("customer_label")["constrained_columns"] == ["customer_id", "segmenter"]
    assert schema.get_foreign_keys("customer_label") == []
    assert "id" not in {column["name"] for column in schema.get_columns("customer_label")}


def test_plugin_migrations_are_applied_on_their_own_branch(config, engine, tmp_path, monkeypatch):
    installed = migrate.current_heads(engine)  # the core's head and those of installed plugins
    assert migrate.core_head() in installed
    versions = tmp_path / "pigeon_versions"
    versions.mkdir()
    (versions / "p0001_pigeon.py").write_text(textwrap.dedent('''
        import sqlalchemy as sa
        from alembic import op

        revision = "p0001"
        down_revision = None
        branch_labels = ("pigeon",)
        depends_on = "0001"

        def upgrade():
            op.create_table("pigeon_loft", sa.Column("id", sa.Integer, primary_key=True))

        def downgrade():
            op.drop_table("pigeon_loft")
    '''))
    write_plugin_file(tmp_path / "loose", "pigeon", f'''
        from shopcrm import hookimpl

        @hookimpl
        def register_migrations():
            return {str(versions)!r}
    ''')
    monkeypatch.setenv("SHOPCRM_PLUGINS_DIR", str(tmp_path / "loose"))
    reset_plugin_manager()
    assert migrate.pending(engine)
    migrate.upgrade(engine)
    assert "pigeon_loft" in inspect(engine).get_table_names()
    # p0001 depends on the core's 0001, so Alembic records the core's head beside it.
    assert migrate.current_heads(engine) == installed | {"p0001"}
    assert not migrate.pending(engine)
    migrate.downgrade(engine, "pigeon@base")
    assert "pigeon_loft" not in inspect(engine).get_table_names()
    assert migrate.current_heads(engine) == installed


def test_a_missing_plugin_migrations_folder_is_a_clear_error(config, tmp_path, monkeypatch):
    write_plugin_file(tmp_path / "loose", "ghost", '''
        from shopcrm import hookimpl

        @hookimpl
        def register_migrations():
            return "/nonexistent/versions"
    ''')
    monkeypatch.setenv("SHOPCRM_PLUGINS_DIR", str(tmp_path / "loose"))
    reset_plugin_manager()
    import pytest

    with pytest.raises(FileNotFoundError, match="plugin 'ghost' registered the migrations folder"):
        migrate.plugin_version_locations()


def test_a_percent_sign_in_the_database_url_is_not_interpolated(engine):
    from sqlalchemy.engine import make_url

    from shopcrm.db import make_engine

    url = make_url(str(engine.url.render_as_string(hide_password=False)))
    if url.get_backend_name() == "sqlite":
        url = url.set(query={"uri": "true"}, database=f"file:{url.database}?x=%25")
    else:
        url = url.update_query_dict({"application_name": "shop%crm"})
    cfg = migrate.alembic_config(make_engine(url.render_as_string(hide_password=False)))
    assert "%" in cfg.get_main_option("sqlalchemy.url")
