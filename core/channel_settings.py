"""Per-shop channel settings (interim: defaults only)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from shopcrm.config import Config


def load(session: Session, config: Config, channel_name: str, shop_id: int) -> dict[str, Any]:
    return {"price_per_part": Decimal("0.045"), "rate_per_second": 0}
