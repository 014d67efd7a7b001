"""Job kinds by name, with the label pages show them by."""
from __future__ import annotations

import pytest

from shopcrm.jobs import get_job, job
from shopcrm.jobs.registry import job_kind_label
from shopcrm.web.job_labels import job_label


def test_a_kind_declared_with_a_label_is_shown_by_it() -> None:
    @job("tests.labelled", label="Count the cities")
    def labelled(progress) -> dict:  # type: ignore[no-untyped-def]
        return {}

    assert get_job("tests.labelled") is labelled
    assert job_kind_label("tests.labelled") == "Count the cities"
    assert job_label("tests.labelled") == "Count the cities"


def test_a_kind_without_a_label_is_shown_by_its_name() -> None:
    @job("tests.unlabelled")
    def unlabelled(progress) -> dict:  # type: ignore[no-untyped-def]
        return {}

    assert job_kind_label("tests.unlabelled") is None
    assert job_label("tests.unlabelled") == "tests.unlabelled"


def test_a_kind_cannot_be_declared_by_two_functions() -> None:
    @job("tests.twice")
    def first(progress) -> dict:  # type: ignore[no-untyped-def]
        return {}

    with pytest.raises(ValueError, match="declared twice"):
        @job("tests.twice")
        def second(progress) -> dict:  # type: ignore[no-untyped-def]
            return {}


def test_an_unknown_kind_names_the_known_ones() -> None:
    with pytest.raises(LookupError, match="no job kind 'tests.nope'"):
        get_job("tests.nope")
