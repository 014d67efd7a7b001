"""ShopCRM lifecycle plugin: every customer's life stage as the label ``lifecycle``."""
from __future__ import annotations

from typing import Iterable

from shopcrm import hookimpl
from shopcrm.segments import Segmenter
from shopcrm_lifecycle.stages import LifecycleSegmenter


@hookimpl
def register_segmenters() -> Iterable[Segmenter]:
    return [LifecycleSegmenter()]
