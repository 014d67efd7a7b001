"""``shopcrm serve``: the web UI, on gunicorn (or Flask's server with --dev).

Behind a reverse proxy, ``SHOPCRM_PROXIES`` (:mod:`shopcrm.web.proxy`) makes the application
trust the proxy's ``X-Forwarded-*`` headers; gunicorn's own ``FORWARDED_ALLOW_IPS`` is left as
gunicorn reads it. See ``docs/deployment.md``.
"""
from __future__ import annotations

from typing import Any

import click


@click.command(help="Serve the web UI.")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="SHOPCRM_HOST",
              help="Address to listen on (env SHOPCRM_HOST).")
@click.option("--port", default=5000, show_default=True, type=int, envvar="SHOPCRM_PORT",
              help="Port to listen on (env SHOPCRM_PORT).")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1), envvar="SHOPCRM_WEB_WORKERS",
              help="gunicorn worker processes (env SHOPCRM_WEB_WORKERS).")
@click.option("--dev", is_flag=True, help="Flask's own threaded server, for one user on one machine.")
def serve(host: str, port: int, workers: int, dev: bool) -> None:
    from shopcrm.cli.common import config
    from shopcrm.config import ConfigError
    from shopcrm.dispatch import local_dispatcher
    from shopcrm.schedule import Ticker
    from shopcrm.web import create_app
    from shopcrm.web.proxy import proxy_count

    cfg = config()
    try:
        proxy_count(cfg)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if not cfg.redis_url:  # jobs run in this process: so do sending and the daily ones (else workers and
        Ticker(cfg).start()  # `shopcrm scheduler` do)
        local_dispatcher(cfg)
    if dev:
        app = create_app()
        click.echo(f"ShopCRM on http://{host}:{port}/")
        app.run(host=host, port=port, threaded=True, use_reloader=False)
        return
    _gunicorn(f"{host}:{port}", workers)


def _gunicorn(bind: str, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    class Application(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in {"bind": bind, "workers": workers, "accesslog": "-"}.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from shopcrm.web import create_app

            return create_app()

    Application().run()


def register(cli: click.Group) -> None:
    cli.add_command(serve)
