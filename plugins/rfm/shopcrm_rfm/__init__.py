"""ShopCRM RFM plugin: every customer's recency, frequency and monetary value, as a label.

Registers the ``rfm`` segmenter; segment rules use it as ``label.rfm``.
"""
from __future__ import annotations

from typing import Iterable

from shopcrm import hookimpl
from shopcrm.segments import Segmenter
from shopcrm_rfm.segmenter import RfmSegmenter


@hookimpl
def register_segmenters() -> Iterable[Segmenter]:
    return [RfmSegmenter()]
