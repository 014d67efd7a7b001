"""The customer list over real HTTP: deep pages and searches against the bare SQL of each page.

Builds a demo shop of N customers, serves the web app on a local port (werkzeug, one thread),
logs in as an operator, then times many full requests of:

* a page deep in the list (a cursor 80 % of the way down, by last order);
* a search by the last four digits of a mobile;
* a search by a nick prefix;

and, in the same run, the bare SQL of the same page (the same SELECTs with their LIMIT, through
the DBAPI cursor: for a search, the look-up of its matches and the page among them). Prints one
JSON line: the p95 of each, ``ours_s`` (the worst p95 of the three requests), ``baseline_s`` (the
worst bare-SQL p95) and ``ratio``; for reference, ``healthz_p95_s``: the p95 of ``GET /healthz``
over the same client and server, a request whose only work is one ``SELECT 1``: what HTTP, the
server and the app's request handling cost alone.

    python benchmarks/customer_list.py --customers 1000000
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import re
import statistics
import threading
import time
import urllib.parse
import urllib.request

from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from demo_shop import demo_shop, settle
from shopcrm.accounts import create_user
from shopcrm.config import load_config
from shopcrm.customer_search import FEW, build_query, cursor_for, few_matches, search_condition
from shopcrm.db import session_factory
from shopcrm.models import Customer

PASSWORD = "bench-password-1"


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:  # one line per request would swamp the figures
        pass


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 20 else max(samples)


def request_times(opener: urllib.request.OpenerDirector, url: str, count: int) -> list[float]:
    """Seconds each of ``count`` whole requests of ``url`` took, the answer read to its end."""
    times = []
    for _ in range(count):
        started = time.perf_counter()
        opener.open(url).read()
        times.append(time.perf_counter() - started)
    return times


def page_statements(engine, shop_id: int, query: str, after: str | None) -> list[str]:  # type: ignore[no-untyped-def]
    """The SQL the page runs for its rows, with its values written in: for a search, the
    look-up of its matches (when they are few, the rows are then read among them)."""
    def sql(statement) -> str:  # type: ignore[no-untyped-def]
        return str(statement.compile(engine, compile_kwargs={"literal_binds": True}))

    statements = []
    among = None
    condition = search_condition(query)
    if condition is not None:
        matches = select(Customer.id).where(Customer.shop_id == shop_id, condition).limit(FEW + 1)
        statements.append(sql(matches))
        with session_factory(engine)() as session:
            among = few_matches(session, shop_id, query)
    statements.append(sql(build_query(shop_id, query, None, "last_order", after, among=among,
                                      dialect=engine.dialect.name)))
    return statements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    import os

    with demo_shop("list", args.customers, 2 * args.customers, seed=5) as shop:  # the segment_count shop
        engine, shop_id = shop.engine, shop.shop_id
        settle(engine)
        with session_factory(engine, write=True)() as session:
            create_user(session, "bench", PASSWORD, role="operator")
            session.commit()
            deep = session.execute(select(Customer.last_order_at, Customer.id).where(Customer.shop_id == shop_id)
                                   .order_by(Customer.last_order_at.desc().nulls_last(), Customer.id.desc())
                                   .offset(int(args.customers * 0.8)).limit(1)).one()
            sample = session.execute(select(Customer.mobile_tail, Customer.platform_id)
                                     .where(Customer.shop_id == shop_id, Customer.mobile_tail.is_not(None))
                                     .order_by(Customer.id).offset(args.customers // 2).limit(1)).one()
        cases = {
            "deep_page": ("", {"after": cursor_for(deep.last_order_at, deep.id)}),
            "mobile_tail": (sample.mobile_tail, {}),
            "nick_prefix": (sample.platform_id[:6], {}),
        }
        os.environ["DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
        os.environ["SHOPCRM_INSTANCE"] = shop.folder
        from shopcrm.web import create_app

        app = create_app(load_config())
        server = make_server("127.0.0.1", 0, app, threaded=False, request_handler=_QuietHandler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        login_page = opener.open(f"{base}/login").read().decode()
        token = re.search(r'<meta name="csrf-token" content="([^"]+)"', login_page).group(1)  # type: ignore[union-attr]
        opener.open(f"{base}/login", urllib.parse.urlencode(
            {"username": "bench", "password": PASSWORD, "csrf_token": token}).encode()).read()

        healthz = request_times(opener, f"{base}/healthz", args.requests)
        results: dict[str, dict[str, float]] = {}
        raw = engine.raw_connection()
        for name, (query, extra) in cases.items():
            url = f"{base}/customers/?" + urllib.parse.urlencode({"q": query, **extra})
            body = opener.open(url).read().decode()
            assert "customers-table" in body, f"{name}: no rows on the page"
            http_times = request_times(opener, url, args.requests)
            statements = page_statements(engine, shop_id, query, extra.get("after"))
            sql_times = []
            cursor = raw.cursor()
            for _ in range(args.requests):
                started = time.perf_counter()
                for sql in statements:
                    cursor.execute(sql)
                    cursor.fetchall()
                sql_times.append(time.perf_counter() - started)
            cursor.close()
            results[name] = {"http_p95_s": round(p95(http_times), 5), "sql_p95_s": round(p95(sql_times), 5)}
        raw.close()
        server.shutdown()
        backend = shop.backend
    ours = max(r["http_p95_s"] for r in results.values())
    baseline = max(r["sql_p95_s"] for r in results.values())
    print(json.dumps({"benchmark": "customer_list", "backend": backend, "customers": args.customers,
                      **{f"{k}_{m}": v for k, r in results.items() for m, v in r.items()},
                      "healthz_p95_s": round(p95(healthz), 5),
                      "ours_s": ours, "baseline_s": baseline, "ratio": round(ours / baseline, 2)}))


if __name__ == "__main__":
    main()
