"""Job progress: an htmx fragment that polls itself until the job is over, and JSON."""
from __future__ import annotations

import time
from typing import Callable

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from shopcrm.config import Config
from shopcrm.jobs import enqueue
from shopcrm.models import JobRun, User
from shopcrm.shops import default_shop
from web_support import make_customer, post_form, text

POLL = 'hx-trigger="every 1s"'


def poll_until_over(client: FlaskClient, job_id: int, timeout: float = 20.0) -> str:
    """Ask for the fragment as htmx would, until it stops asking for itself."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/jobs/{job_id}", headers={"HX-Request": "true"})
        assert response.status_code == 200
        fragment = text(response)
        assert "<html" not in fragment  # a fragment, not a page
        if POLL not in fragment:
            return fragment
        assert time.monotonic() < deadline, "the job did not finish"
        time.sleep(0.1)


def test_a_waiting_job_polls_itself_every_second(
    login_as: Callable[[User], FlaskClient], viewer: User, session: Session
) -> None:
    run = JobRun(kind="rollups.refresh", args={}, status="running", done=3, total=12)
    session.add(run)
    session.commit()
    fragment = text(login_as(viewer).get(f"/jobs/{run.id}"))
    assert POLL in fragment
    assert f'hx-get="/jobs/{run.id}"' in fragment and 'hx-swap="outerHTML"' in fragment
    assert '<progress value="3" max="12">' in fragment
    assert "运行中" in fragment and "已完成 3 / 12" in fragment and "25%" in fragment


def test_a_real_job_is_followed_until_it_finishes(
    admin_client: FlaskClient, config: Config, session: Session
) -> None:
    shop = default_shop(session)
    session.add_all(make_customer(shop.id, f"buyer{i}") for i in range(7))
    session.commit()
    job_id = enqueue("rollups.refresh", config=config, shop_id=shop.id)
    fragment = poll_until_over(admin_client, job_id)
    assert 'data-status="finished"' in fragment
    assert "重新计算客户统计" in fragment and "已完成" in fragment
    assert '<progress value="7" max="7">' in fragment
    data = admin_client.get(f"/jobs/{job_id}.json").get_json()
    assert data["status"] == "finished"
    assert (data["done"], data["total"], data["percent"]) == (7, 7, 100)
    assert data["result"] == {"customers": 7}


def test_a_failed_job_stops_polling_and_says_why(
    admin_client: FlaskClient, session: Session
) -> None:
    run = JobRun(kind="rollups.refresh", args={}, status="failed", done=2, total=9,
                 error="LookupError: shop 7 does not exist\nTraceback ...")
    session.add(run)
    session.commit()
    fragment = poll_until_over(admin_client, run.id)
    assert 'data-status="failed"' in fragment
    assert "任务失败：LookupError: shop 7 does not exist" in fragment
    assert "Traceback" not in fragment


def test_an_unknown_job_is_404(admin_client: FlaskClient) -> None:
    assert admin_client.get("/jobs/424242").status_code == 404
    assert admin_client.get("/jobs/424242.json").status_code == 404


def test_recomputing_totals_from_settings_shows_its_progress_bar(
    admin_client: FlaskClient, session: Session
) -> None:
    response = post_form(admin_client, "/admin/settings/refresh-totals", {},
                         token_from="/admin/settings", headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = text(response)
    assert 'class="job-progress' in fragment and "重新计算客户统计" in fragment
    job_id = int(fragment.split('id="job-', 1)[1].split('"', 1)[0])
    assert 'data-status="finished"' in poll_until_over(admin_client, job_id)
    session.rollback()
    run = session.get(JobRun, job_id)
    assert run is not None and run.created_by is not None
    assert "重新计算客户统计" in text(admin_client.get("/"))  # listed under recent jobs
