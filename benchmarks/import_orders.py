"""Importing a Taobao order export: our whole import against the database's own floor.

Generates an N-row Taobao-style CSV (GBK, like Excel on Windows saves it), then times, in one
run and on a fresh database:

* ours: ``shopcrm.importing.run_import`` (encoding detection, parsing, validation, customer and
  order upserts with items, rollups, events), in a child process whose peak memory is measured;
* the floor: on SQLite ``csv.reader`` + ``executemany`` of the raw rows into an equivalent
  table in one transaction; on PostgreSQL a psycopg ``COPY`` of the file;
* for reference, the tables' own floor: the rows our import wrote (customers, orders, items),
  read back beforehand, written again into the same empty tables of a fresh database, with
  their indexes, in one transaction and the same way as the floor (``executemany`` on SQLite,
  with the page cache the import writes with; binary ``COPY`` on PostgreSQL): no reading of the
  file, no parsing, no look-ups, no upsert. What any import that stores these rows in this
  schema costs at least.

Prints one JSON line with ``ours_s``, ``baseline_s``, ``ratio`` (ours/baseline),
``tables_floor_s``, ``tables_floor_ratio`` (that floor / the file's floor),
``ours_peak_mb`` and ``ours_cpu_s`` (the importing process's own CPU time during the import:
on a busy machine it moves less than wall time; PostgreSQL's work is not in it).

    python benchmarks/import_orders.py --rows 100000
    DATABASE_URL=postgresql://postgres@127.0.0.1/test python benchmarks/import_orders.py --rows 100000
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from shopcrm import migrate
from shopcrm.db import make_engine, scratch_database
from shopcrm.ingest import SQLITE_CACHE_KIB

HEADER = ["订单编号", "买家会员名", "买家实际支付金额", "订单状态", "收货人姓名", "收货地址", "联系手机",
          "订单创建时间", "订单付款时间", "宝贝标题", "宝贝总数量", "退款金额"]
STATUSES = ["交易成功"] * 8 + ["买家已付款，等待卖家发货", "卖家已发货，等待买家确认", "交易关闭", "等待买家付款"]
ADDRESSES = ["浙江省 杭州市 西湖区 文三路{}号", "广东省 深圳市 南山区 科技园{}栋", "上海 上海市 浦东新区 世纪大道{}号",
             "江苏省 苏州市 工业园区 星湖街{}号", "北京 北京市 朝阳区 建国路{}号", "四川省 成都市 武侯区 天府大道{}号"]
TITLES = ["小满 316不锈钢保温杯 500ml", "小满 纯棉加厚毛巾 3条装", "小满 A类纯棉四件套 1.8m床", "小满 可叠加收纳盒 3个装"]


def generate(path: Path, rows: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    buyers = max(rows // 3, 1)
    start = dt.datetime(2025, 1, 1)
    with open(path, "w", encoding="gb18030", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(rows):
            buyer = int(buyers * rng.random() ** 2)
            created = start + dt.timedelta(seconds=rng.randrange(60 * 60 * 24 * 600))
            status = rng.choice(STATUSES)
            paid = f"{rng.randrange(990, 59900) / 100:.2f}" if status != "等待买家付款" else "0.00"
            writer.writerow([
                f'="{3_700_000_000_000_000 + n}"', f"tb_buyer{buyer}", paid, status, f"顾客{buyer}",
                rng.choice(ADDRESSES).format(rng.randrange(1, 999)), f"1{rng.choice('3578')}{buyer:09d}",
                created.strftime("%Y-%m-%d %H:%M:%S"),
                "" if status == "等待买家付款" else (created + dt.timedelta(minutes=3)).strftime("%Y-%m-%d %H:%M:%S"),
                rng.choice(TITLES), str(rng.choice((1, 1, 1, 2))), paid if status == "交易关闭" else "0.00",
            ])


def baseline(url: str, path: Path) -> float:
    """The floor: the file's rows into one plain table, in one transaction."""
    engine = make_engine(url)
    columns = ", ".join(f"c{i} TEXT" for i in range(len(HEADER)))
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE bench_raw_orders ({columns})"))
    started = time.perf_counter()
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        if engine.dialect.name == "postgresql":
            with raw.cursor() as cursor, open(path, "rb") as handle:
                with cursor.copy("COPY bench_raw_orders FROM STDIN WITH (FORMAT csv, HEADER true, ENCODING 'GB18030')") as copy:
                    while chunk := handle.read(1 << 20):
                        copy.write(chunk)
        else:
            with open(path, encoding="gb18030", newline="") as handle:
                reader = csv.reader(handle)
                next(reader)
                placeholders = ", ".join("?" for _ in HEADER)
                raw.cursor().executemany(f"INSERT INTO bench_raw_orders VALUES ({placeholders})", reader)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


WRITTEN = ("customer", "order", "order_item")
"""The tables an order import fills, parents first."""


def tables_floor(ours_url: str, url: str) -> float:
    """The rows our import wrote, written again into the empty tables of a migrated database in
    one transaction (``executemany`` on SQLite, binary ``COPY`` on PostgreSQL); seconds."""
    source, target = make_engine(ours_url), make_engine(url)
    migrate.upgrade(target)
    postgres = target.dialect.name == "postgresql"
    held: dict[str, object] = {}
    with source.connect() as conn:
        raw = conn.connection.driver_connection
        for table in ("shop", *WRITTEN):
            if postgres:
                with raw.cursor() as cursor, cursor.copy(f'COPY "{table}" TO STDOUT (FORMAT binary)') as copy:
                    held[table] = b"".join(bytes(chunk) for chunk in copy)
            else:
                held[table] = raw.execute(f'SELECT * FROM "{table}" ORDER BY id').fetchall()
    with target.begin() as conn:  # the shop the rows belong to (migrations made the default one)
        conn.execute(text('DELETE FROM "shop"'))
        _put(conn.connection.driver_connection, "shop", held.pop("shop"), postgres)
    started = time.perf_counter()
    with target.begin() as conn:
        raw = conn.connection.driver_connection
        if not postgres:  # the page cache the import itself writes with
            raw.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        for table in WRITTEN:
            _put(raw, table, held[table], postgres)
    elapsed = time.perf_counter() - started
    source.dispose()
    target.dispose()
    return elapsed


def _put(raw, table: str, rows, postgres: bool) -> None:  # type: ignore[no-untyped-def]
    if postgres:
        with raw.cursor() as cursor, cursor.copy(f'COPY "{table}" FROM STDIN (FORMAT binary)') as copy:
            copy.write(rows)
    elif rows:
        placeholders = ", ".join("?" for _ in rows[0])
        raw.cursor().executemany(f'INSERT INTO "{table}" VALUES ({placeholders})', rows)


def ours(url: str, path: Path, instance: Path) -> tuple[float, float, float, dict]:
    """Our import in a child process (so its peak memory is its own)."""
    code = (
        "import json, resource, sys, time\n"
        "from shopcrm.config import load_config\n"
        "from shopcrm.db import session_scope\n"
        "from shopcrm.importing import create_import_run, run_import\n"
        "from shopcrm.shops import default_shop\n"
        "cfg = load_config()\n"
        "with session_scope(cfg) as s: shop_id = default_shop(s).id\n"
        "run = create_import_run(cfg, shop_id, 'orders', {'path': sys.argv[1], 'filename': 'bench.csv'})\n"
        "t, c = time.perf_counter(), time.process_time()\n"
        "result = run_import(cfg, run)\n"
        "elapsed, cpu = time.perf_counter() - t, time.process_time() - c\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps({'elapsed': elapsed, 'peak_mb': peak, 'cpu_s': cpu, 'result': result}))\n"
    )
    env = {**os.environ, "DATABASE_URL": url, "SHOPCRM_INSTANCE": str(instance)}
    proc = subprocess.run([sys.executable, "-c", code, str(path)], env=env, capture_output=True, text=True, check=True)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out["elapsed"], out["peak_mb"], out["cpu_s"], out["result"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "orders.csv"
        generate(path, args.rows)
        file_mb = round(path.stat().st_size / 2**20, 1)
        with scratch_database(server, folder, f"shopcrm_bench_base_{os.getpid()}") as url:
            baseline_s = baseline(url, path)
        with scratch_database(server, folder, f"shopcrm_bench_ours_{os.getpid()}") as url:
            migrate.upgrade(make_engine(url))
            ours_s, peak_mb, cpu_s, result = ours(url, path, Path(folder) / "instance")
            with scratch_database(server, folder, f"shopcrm_bench_floor_{os.getpid()}") as floor_url:
                floor_s = tables_floor(url, floor_url)
    assert result["errors"] == 0 and result["inserted"] == args.rows, result
    print(json.dumps({
        "benchmark": "import_orders", "backend": "postgresql" if server else "sqlite", "rows": args.rows,
        "file_mb": file_mb,
        "ours_s": round(ours_s, 3), "baseline_s": round(baseline_s, 3), "ratio": round(ours_s / baseline_s, 2),
        "tables_floor_s": round(floor_s, 3), "tables_floor_ratio": round(floor_s / baseline_s, 2),
        "ours_peak_mb": round(peak_mb, 1), "ours_cpu_s": round(cpu_s, 2), "rows_per_s": round(args.rows / ours_s),
    }))


if __name__ == "__main__":
    main()
