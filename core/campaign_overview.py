"""The shop's campaigns as a list: each with its target and sent counts, in one query.

``target`` is every recipient written to the outbox (exclusions and the control group
included, as in :func:`shopcrm.campaign_report.report`); ``sent`` is what the gateway accepted.
A campaign not started yet has no outbox rows: both are 0.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from shopcrm.campaign_report import ACCEPTED
from shopcrm.models import Campaign, Message

LIST_LIMIT = 200
"""Campaigns one list shows, newest first."""


@dataclass(slots=True, frozen=True)
class CampaignRow:
    campaign: Campaign
    target: int
    sent: int


def overview(session: Session, shop_id: int, limit: int = LIST_LIMIT) -> list[CampaignRow]:
    """The shop's latest ``limit`` campaigns, newest first, with their target and sent counts."""
    campaigns = list(session.scalars(select(Campaign).where(Campaign.shop_id == shop_id)
                                     .order_by(Campaign.id.desc()).limit(limit)))
    if not campaigns:
        return []
    counts = {campaign_id: (int(target), int(sent or 0)) for campaign_id, target, sent in session.execute(
        select(Message.campaign_id, func.count(), func.sum(case((ACCEPTED, 1), else_=0)))
        .where(Message.campaign_id.in_([c.id for c in campaigns]))
        .group_by(Message.campaign_id))}
    return [CampaignRow(c, *counts.get(c.id, (0, 0))) for c in campaigns]


__all__ = ["CampaignRow", "LIST_LIMIT", "overview"]
