"""Campaigns: one message to every customer of a segment, once each.

``draft`` -> ``scheduled`` (a time is set) or ``sending`` (started) -> ``sent`` (nothing left
pending or in flight), or ``cancelled`` (its pending messages are skipped as ``cancelled``;
what a gateway already has stays sent).

Starting a campaign (the ``campaign.send`` job) snapshots the segment's rules onto the campaign,
writes every recipient to the outbox in one statement with the exclusions and the control
group (:mod:`shopcrm.campaign_audience`), then hands the outbox to the dispatchers
(:mod:`shopcrm.dispatch`). The text is the campaign's template body; it is checked when the
campaign is saved, so an unknown ``${var}`` never reaches a customer.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from shopcrm.campaign_audience import write_recipients
from shopcrm.channel_kinds import kind_of
from shopcrm.config import Config
from shopcrm.db import session_scope, utcnow
from shopcrm.jobs import Progress, job
from shopcrm.message_templates import TemplateError, check
from shopcrm.models import Campaign, Message, Segment, Template
from shopcrm.registry import get_registry
from shopcrm.saved_segments import check_rules
from shopcrm.segment_rules import RuleError
from shopcrm.sending_policy import load as load_policy
from shopcrm.sending_policy import shop_quiet_until
from shopcrm.template_store import check_subject

MAX_CONTROL_SHARE = 0.5
OPEN = ("pending", "sending")


class CampaignError(ValueError):
    """A campaign that cannot be saved or started; the message names what is wrong."""


def _check(session: Session, shop_id: int, name: str, channel: str, text: str, rules: Any,
           control_share: float, subject: str | None = None) -> None:
    if not name.strip():
        raise CampaignError("name: a campaign needs a name")
    channels = get_registry().channels.items
    if channel not in channels:
        raise CampaignError(f"channel: no channel named {channel!r} (channels: {', '.join(channels) or 'none'})")
    try:
        check(text, get_registry().template_variables.items)
    except TemplateError as exc:
        raise CampaignError(f"text: {exc}") from None
    if kind_of(channel).has_subject:
        if not (subject or "").strip():
            raise CampaignError(f"subject: channel {channel!r} sends email: give the message a subject")
        try:
            check_subject(subject or "", get_registry().template_variables.items)
        except TemplateError as exc:
            raise CampaignError(f"subject: {exc}") from None
    try:
        check_rules(rules)
    except RuleError as exc:
        raise CampaignError(f"rules: {exc}") from None
    if not 0 <= control_share <= MAX_CONTROL_SHARE:
        raise CampaignError(f"control: the hold-out share must be 0 to {MAX_CONTROL_SHARE}, not {control_share}")


def create(session: Session, shop_id: int, name: str, channel: str, text: str | None = None,
           segment_id: int | None = None, rules: Any = None, template_id: int | None = None,
           control_share: float = 0.0, scheduled_at: dt.datetime | None = None,
           created_by: int | None = None, submission: str | None = None,
           subject: str | None = None) -> Campaign:
    """A new draft (or scheduled) campaign to a saved segment or to ``rules``.

    ``subject`` (the template's when not given) is required for a channel whose messages have
    one (email) and kept only for those.

    ``submission`` makes it idempotent: a form posted twice (a double click, a resent request)
    with the same token gets the campaign the first post made, not a second one.
    """
    if submission:
        earlier = by_submission(session, shop_id, submission)
        if earlier is not None:
            return earlier
    template = session.get(Template, template_id) if template_id is not None else None
    if template_id is not None and (template is None or template.shop_id != shop_id):
        raise CampaignError(f"template: no template {template_id} in this shop")
    body = text if text is not None else (template.text if template is not None else "")
    if not (subject or "").strip() and template is not None:
        subject = template.subject
    subject = (subject or "").strip() or None
    segment = session.get(Segment, segment_id) if segment_id is not None else None
    if segment_id is not None and (segment is None or segment.shop_id != shop_id):
        raise CampaignError(f"segment: no segment {segment_id} in this shop")
    if segment is None and rules is None:
        raise CampaignError("segment: give a saved segment or rules")
    audience = segment.rules if segment is not None else rules
    _check(session, shop_id, name, channel, body, audience, control_share, subject)
    campaign = Campaign(shop_id=shop_id, name=name.strip(), channel=channel, text=body, segment_id=segment_id,
                        subject=subject if kind_of(channel).has_subject else None,
                        rules=rules if segment is None else {}, template_id=template_id,
                        control_share=float(control_share), created_by=created_by,
                        status="scheduled" if scheduled_at else "draft", scheduled_at=scheduled_at,
                        options={"submission": submission} if submission else {})
    session.add(campaign)
    session.flush()
    return campaign


RECENT = 200
"""How many of a shop's latest campaigns a repeated submission is looked for among."""


def by_submission(session: Session, shop_id: int, submission: str) -> Campaign | None:
    """The shop's campaign made by the form post ``submission``, if any (among the latest)."""
    for campaign in session.scalars(select(Campaign).where(Campaign.shop_id == shop_id)
                                    .order_by(Campaign.id.desc()).limit(RECENT)):
        if (campaign.options or {}).get("submission") == submission:
            return campaign
    return None


def audience(session: Session, campaign: Campaign) -> Any:
    """The rules a campaign sends to: its snapshot once started, else its segment's current rules."""
    if campaign.status not in ("draft", "scheduled") or campaign.segment_id is None:
        return campaign.rules
    segment = session.get(Segment, campaign.segment_id)
    if segment is None:
        raise CampaignError("segment: the campaign's segment was deleted")
    return segment.rules


def schedule(session: Session, campaign: Campaign, at: dt.datetime | None) -> None:
    """Send at ``at`` (naive UTC), or make it a draft again with ``None``."""
    if campaign.status not in ("draft", "scheduled"):
        raise CampaignError(f"status: a campaign that is {campaign.status} cannot be scheduled")
    campaign.scheduled_at = at
    campaign.status = "scheduled" if at else "draft"


def begin(config: Config, campaign_id: int, now: dt.datetime | None = None) -> dict[str, Any]:
    """Snapshot the audience and write the outbox; the counts. Idempotent: a campaign already
    sending is only handed to the dispatchers again."""
    now = now or utcnow()
    with session_scope(config) as session:
        # Locked (PostgreSQL; SQLite has one writer at a time): a second start waits for the
        # first to commit, then finds the campaign sending and writes nothing.
        campaign = session.get(Campaign, campaign_id, with_for_update=True)
        if campaign is None:
            raise LookupError(f"campaign {campaign_id} does not exist")
        if campaign.status in ("sent", "cancelled"):
            raise CampaignError(f"status: campaign {campaign_id} is already {campaign.status}")
        written = 0
        if campaign.status in ("draft", "scheduled"):
            rules = audience(session, campaign)
            campaign.rules = rules
            policy = load_policy(session, campaign.shop_id)
            send_after = shop_quiet_until(session, campaign.shop_id, now) or now
            write_recipients(session, campaign, rules, policy, now, send_after)
            campaign.status, campaign.started_at = "sending", now
        counts = status_counts(session, campaign_id)
        written = sum(counts.values()) if campaign.started_at == now else 0
    from shopcrm.dispatch import kick

    kick(config, counts.get("pending", 0))
    return {"campaign": campaign_id, "written": written, **counts}


@job("campaign.send", label="Send a campaign")
def send_campaign(progress: Progress, campaign_id: int) -> dict[str, Any]:
    """Start campaign ``campaign_id``: write its outbox and hand it to the dispatchers."""
    progress.update(message="writing the outbox", force=True)
    result = begin(progress.config, campaign_id)
    progress.update(done=result["written"], total=result["written"], message="sending", force=True)
    return result


def cancel(session: Session, campaign: Campaign) -> int:
    """Stop the campaign; its pending messages are skipped. The number skipped."""
    if campaign.status in ("sent", "cancelled"):
        raise CampaignError(f"status: campaign {campaign.id} is already {campaign.status}")
    skipped = session.execute(update(Message).where(Message.campaign_id == campaign.id, Message.status == "pending")
                              .values(status="skipped", skip_reason="cancelled", updated_at=utcnow()))
    campaign.status, campaign.finished_at = "cancelled", utcnow()
    return int(skipped.rowcount or 0)


def status_counts(session: Session, campaign_id: int) -> dict[str, int]:
    """The campaign's messages by status."""
    rows = session.execute(select(Message.status, func.count()).where(Message.campaign_id == campaign_id)
                           .group_by(Message.status))
    return {status: int(n) for status, n in rows}


def progress(session: Session, campaign: Campaign) -> dict[str, Any]:
    """Where sending stands: counts by status, what is still open, and the share done."""
    counts = status_counts(session, campaign.id)
    total = sum(counts.values())
    open_ = sum(counts.get(s, 0) for s in OPEN)
    deferred = int(session.scalar(select(func.count()).select_from(Message).where(
        Message.campaign_id == campaign.id, Message.status == "pending", Message.send_after > utcnow())) or 0)
    return {"status": campaign.status, "counts": counts, "total": total, "open": open_, "deferred": deferred,
            "percent": round(100 * (total - open_) / total) if total else (100 if campaign.status == "sent" else 0)}


def finish_done(config: Config, campaign_ids: set[int] | None = None) -> int:
    """Mark ``sending`` campaigns with nothing pending or in flight as sent; how many."""
    finished = 0
    with session_scope(config) as session:
        query = select(Campaign).where(Campaign.status == "sending")
        if campaign_ids:
            query = query.where(Campaign.id.in_(sorted(campaign_ids)))
        for campaign in session.scalars(query):
            still = session.scalar(select(Message.id).where(Message.campaign_id == campaign.id,
                                                            Message.status.in_(OPEN)).limit(1))
            if still is None:
                campaign.status, campaign.finished_at = "sent", utcnow()
                finished += 1
    return finished


def start_due(config: Config, now: dt.datetime | None = None) -> list[int]:
    """Start scheduled campaigns whose time has come; their ids."""
    now = now or utcnow()
    with session_scope(config) as session:
        due = list(session.scalars(select(Campaign.id).where(Campaign.status == "scheduled",
                                                             Campaign.scheduled_at <= now)))
    started = []
    for campaign_id in due:
        try:
            begin(config, campaign_id, now)
            started.append(campaign_id)
        except CampaignError:
            continue  # started by another ticker meanwhile, or cancelled
    return started


def find(session: Session, shop_id: int, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.shop_id != shop_id:
        raise LookupError(f"no campaign {campaign_id} in this shop")
    return campaign


def summary(campaign: Campaign) -> Mapping[str, Any]:
    return {"id": campaign.id, "name": campaign.name, "status": campaign.status, "channel": campaign.channel,
            "control_share": campaign.control_share,
            "scheduled_at": campaign.scheduled_at.isoformat() if campaign.scheduled_at else None,
            "started_at": campaign.started_at.isoformat() if campaign.started_at else None,
            "finished_at": campaign.finished_at.isoformat() if campaign.finished_at else None}


__all__ = ["CampaignError", "audience", "begin", "by_submission", "cancel", "create", "find", "finish_done", "progress",
           "schedule", "send_campaign", "start_due", "status_counts", "summary"]
