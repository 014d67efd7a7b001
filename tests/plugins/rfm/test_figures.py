"""The RFM page's grid and class table, checked against the same figures computed here in Python."""
from __future__ import annotations

from collections import defaultdict

import pytest
from sqlalchemy.orm import Session

from shopcrm.config import Config
from shopcrm.labels import run_all
from shopcrm.models import Customer, CustomerLabel, LabelRun, Shop
from shopcrm_rfm import figures
from shopcrm_rfm.pages import model_classes

# (class, r days, f orders, m yuan, r_score, f_score)
LABELS = [
    ("重要价值客户", 2, 9, 1800.0, 5, 5),
    ("重要价值客户", 3, 7, 1200.5, 5, 5),
    ("重要价值客户", 10, 6, 900.0, 4, 5),
    ("重要发展客户", 5, 1, 1500.0, 5, 1),
    ("一般发展客户", 8, 1, 60.0, 5, 1),
    ("一般发展客户", 20, 2, 80.0, 4, 2),
    ("重要保持客户", 200, 8, 1600.0, 1, 5),
    ("一般挽留客户", 300, 1, 30.0, 1, 1),
    ("一般挽留客户", 320, 1, 45.25, 1, 1),
    ("一般挽留客户", 400, 1, 20.0, 1, 1),
]


@pytest.fixture
def shop(session: Session) -> Shop:
    """A shop whose RFM labels are written directly, so the figures' input is known exactly."""
    shop = Shop(name="热力图店")
    other = Shop(name="别的店")
    session.add_all([shop, other])
    session.flush()
    for i, (value, r, f, m, rs, fs) in enumerate(LABELS):
        customer = Customer(shop_id=shop.id, identity=f"c{i}", platform_id=f"c{i}")
        session.add(customer)
        session.flush()
        session.add(CustomerLabel(shop_id=shop.id, customer_id=customer.id, segmenter="rfm", value=value,
                                  scores={"r": r, "f": f, "m": m, "r_score": rs, "f_score": fs,
                                          "m_score": 3, "fm_score": 3}))
        session.add(CustomerLabel(shop_id=shop.id, customer_id=customer.id, segmenter="lifecycle",
                                  value="活跃", scores={}))
    stranger = Customer(shop_id=other.id, identity="x", platform_id="x")
    session.add(stranger)
    session.flush()
    session.add(CustomerLabel(shop_id=other.id, customer_id=stranger.id, segmenter="rfm", value="重要价值客户",
                              scores={"r": 1, "f": 1, "m": 1.0, "r_score": 5, "f_score": 5}))
    session.commit()
    return shop


def test_the_grid_counts_and_averages_each_cell(session: Session, shop: Shop) -> None:
    cells: dict[tuple[int, int], list[float]] = defaultdict(list)
    for _value, _r, _f, m, rs, fs in LABELS:
        cells[(rs, fs)].append(m)
    grid = figures.grid(figures.groups(session, shop.id))
    assert grid.customers == len(LABELS), "only this shop's RFM labels count"
    assert [row[0].r_score for row in grid.rows] == [5, 4, 3, 2, 1]
    assert [cell.f_score for cell in grid.rows[0]] == [1, 2, 3, 4, 5]
    fullest = max(len(spends) for spends in cells.values())
    for row in grid.rows:
        for cell in row:
            spends = cells.get((cell.r_score, cell.f_score), [])
            assert cell.customers == len(spends), (cell.r_score, cell.f_score)
            if spends:
                assert cell.average_spend == pytest.approx(sum(spends) / len(spends))
                assert cell.heat == -(-len(spends) * 10 // fullest)
            else:
                assert (cell.average_spend, cell.heat) == (None, 0)


def test_the_class_table_gives_count_share_spend_and_recency(session: Session, shop: Shop) -> None:
    rows = {row.value: row for row in figures.class_table(figures.groups(session, shop.id), model_classes("cn8"))}
    assert list(rows) == [value for value, _ in model_classes("cn8")], "every class, in the model's order"
    for value in rows:
        mine = [(r, m) for v, r, _f, m, _rs, _fs in LABELS if v == value]
        row = rows[value]
        assert row.customers == len(mine)
        assert row.share == pytest.approx(len(mine) / len(LABELS))
        if mine:
            assert row.average_spend == pytest.approx(sum(m for _, m in mine) / len(mine))
            assert row.average_recency == pytest.approx(sum(r for r, _ in mine) / len(mine))
        else:
            assert (row.average_spend, row.average_recency) == (None, None)


def test_values_left_from_the_other_model_are_listed_after_the_models_classes(
    session: Session, shop: Shop
) -> None:
    rows = figures.class_table(figures.groups(session, shop.id), model_classes("en11"))
    assert [row.value for row in rows[:11]] == [value for value, _ in model_classes("en11")]
    assert {row.value for row in rows[11:]} == {v for v, *_ in LABELS}
    assert sum(row.customers for row in rows) == len(LABELS)


def test_an_empty_shop_has_an_empty_grid(session: Session) -> None:
    shop = Shop(name="空店")
    session.add(shop)
    session.flush()
    grid = figures.grid(figures.groups(session, shop.id))
    assert grid.customers == 0 and all(cell.heat == 0 for row in grid.rows for cell in row)


@pytest.mark.parametrize(("count", "fullest", "level"), [(0, 5, 0), (1, 100, 1), (50, 100, 5), (51, 100, 6),
                                                         (100, 100, 10)])
def test_heat_levels(count: int, fullest: int, level: int) -> None:
    assert figures.heat_level(count, fullest) == level


def test_the_figures_are_kept_until_the_next_run(config: Config, session: Session) -> None:
    shop = Shop(name="缓存店")
    session.add(shop)
    session.flush()
    customer = Customer(shop_id=shop.id, identity="k", platform_id="k")
    session.add(customer)
    session.flush()
    session.add(LabelRun(shop_id=shop.id, segmenter="rfm", counts={}, moves=[]))
    session.add(CustomerLabel(shop_id=shop.id, customer_id=customer.id, segmenter="rfm", value="重要价值客户",
                              scores={"r": 1, "f": 1, "m": 5.0, "r_score": 5, "f_score": 5}))
    session.commit()
    assert sum(g.customers for g in figures.cached_groups(session, shop.id)) == 1
    session.query(CustomerLabel).delete()
    session.commit()
    assert sum(g.customers for g in figures.cached_groups(session, shop.id)) == 1, "kept: no run since"
    run_all(config, shop.id, ["rfm"])  # the customer has no paid order: no label
    session.rollback()  # end the read transaction: see the run
    assert figures.cached_groups(session, shop.id) == []


def test_incremental_runs_refresh_the_figures_only_once_they_are_stale(config: Config, session: Session) -> None:
    shop = Shop(name="增量店")
    session.add(shop)
    session.flush()
    customer = Customer(shop_id=shop.id, identity="q", platform_id="q")
    session.add(customer)
    session.flush()
    session.add(LabelRun(shop_id=shop.id, segmenter="rfm", full=True, counts={}, moves=[]))
    session.add(CustomerLabel(shop_id=shop.id, customer_id=customer.id, segmenter="rfm", value="重要价值客户",
                              scores={"r": 1, "f": 1, "m": 5.0, "r_score": 5, "f_score": 5}))
    session.commit()
    assert sum(g.customers for g in figures.cached_groups(session, shop.id, now=1000.0)) == 1
    session.query(CustomerLabel).delete()
    session.add(LabelRun(shop_id=shop.id, segmenter="rfm", full=False, counts={}, moves=[]))
    session.commit()
    fresh = 1000.0 + figures.STALE_AFTER - 1
    assert sum(g.customers for g in figures.cached_groups(session, shop.id, now=fresh)) == 1, "kept a while"
    assert figures.cached_groups(session, shop.id, now=1000.0 + figures.STALE_AFTER + 1) == []
    session.add(CustomerLabel(shop_id=shop.id, customer_id=customer.id, segmenter="rfm", value="重要价值客户",
                              scores={"r": 1, "f": 1, "m": 5.0, "r_score": 5, "f_score": 5}))
    session.add(LabelRun(shop_id=shop.id, segmenter="rfm", full=True, counts={}, moves=[]))
    session.commit()
    assert sum(g.customers for g in figures.cached_groups(session, shop.id, now=1000.0)) == 1, "a full run: at once"
