"""The OutId names the messages a request carries."""
from __future__ import annotations

import pytest

from shopcrm_sms_aliyun import outid


@pytest.mark.parametrize("ids, encoded", [
    ([7], "7"),
    ([3, 1, 2, 7], "1-3,7"),
    (range(1000, 1100), "1000-1099"),
    ([5, 5, 6, 9, 10, 12], "5-6,9-10,12"),
])
def test_ids_are_encoded_as_ranges_and_read_back(ids, encoded: str) -> None:
    assert outid.encode(ids) == encoded
    assert outid.decode(encoded) == set(ids)


@pytest.mark.parametrize("out_id", [None, "", "abc", "1-", "5-3", "1,,2", "0-99999"])
def test_anything_else_names_no_message(out_id) -> None:
    assert outid.decode(out_id) == set()
    assert outid.single(out_id) is None


def test_single_is_the_id_only_when_there_is_one() -> None:
    assert outid.single("42") == 42
    assert outid.single("41-42") is None
