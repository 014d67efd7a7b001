"""Mobile numbers: normalisation keeps what it cannot fix, masking hides the middle."""
from __future__ import annotations

import pytest

from shopcrm.mobiles import mask_mobile, normalise_mobile


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", ("13812345678", True)),
        ("+86 138-1234-5678", ("13812345678", True)),
        ("008613812345678", ("13812345678", True)),
        ("8613812345678", ("13812345678", True)),
        ("(86)138 1234 5678", ("13812345678", True)),
        ("13812345678.0", ("13812345678", True)),
        (" 19912345678 ", ("19912345678", True)),
        ("12812345678", ("12812345678", False)),
        ("0571-88886666", ("0571-88886666", False)),
        ("138123", ("138123", False)),
        ("", (None, False)),
        (None, (None, False)),
    ],
)
def test_normalise_mobile(raw, expected):
    assert normalise_mobile(raw) == expected


@pytest.mark.parametrize(
    ("mobile", "masked"),
    [("13812345678", "138****5678"), ("", ""), (None, ""), ("12345", "****45"), ("+8613812345678", "+86138****5678"),
     ("wangfang@example.com", "wa****@example.com"), ("li@qq.com", "****@qq.com")],
)
def test_mask_mobile(mobile, masked):
    assert mask_mobile(mobile) == masked
