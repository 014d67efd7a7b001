"""The two label models: the eight Chinese value classes and the eleven English segments."""
from __future__ import annotations

from shopcrm.segments import LabelInfo

CN8: tuple[tuple[str, bool, bool, bool, str], ...] = (
    # (label, recent, frequent, spends much, what it means)
    ("重要价值客户", True, True, True, "最近买过、买得多、花得多：重点维护"),
    ("重要发展客户", True, False, True, "最近买过、花得多但买得少：提高复购"),
    ("重要保持客户", False, True, True, "买得多、花得多但很久没买：主动联系"),
    ("重要挽留客户", False, False, True, "花得多但很久没买、买得少：重点挽回"),
    ("一般价值客户", True, True, False, "最近买过、买得多但花得少：提高客单价"),
    ("一般发展客户", True, False, False, "最近买过但买得少、花得少：培养"),
    ("一般保持客户", False, True, False, "买得多但花得少、很久没买：唤醒"),
    ("一般挽留客户", False, False, False, "很久没买、买得少、花得少：低成本触达"),
)
"""R, F and M each above (True) or below its average (or the operator's split score)."""

EN11: tuple[tuple[str, str], ...] = (
    ("Champions", "Bought recently, buy often and spend the most"),
    ("Loyal Customers", "Buy often and spend well; respond to promotions"),
    ("Potential Loyalist", "Recent customers with average frequency"),
    ("New Customers", "Bought most recently, but not often"),
    ("Promising", "Recent shoppers who have not spent much"),
    ("Need Attention", "Above average recency, frequency and spend; may not have bought very recently"),
    ("About To Sleep", "Below average recency and frequency; will be lost if not reactivated"),
    ("At Risk", "Spent big and bought often, but long ago"),
    ("Can't Lose Them", "Made the biggest purchases and often, but long ago"),
    ("Hibernating", "Last purchase long ago, low spend and few orders"),
    ("Lost", "Lowest recency, frequency and spend"),
)


def en11_label(r_score: int, fm_score: int) -> str:
    """The English segment for an R score and an FM score (1–5 each): the usual R×FM map."""
    if r_score <= 2:
        if fm_score <= 2:
            return "Lost" if r_score == 1 else "Hibernating"
        return "Can't Lose Them" if fm_score == 5 else "At Risk"
    if r_score == 3:
        return "About To Sleep" if fm_score <= 2 else "Need Attention" if fm_score == 3 else "Loyal Customers"
    if fm_score == 1:
        return "New Customers" if r_score == 5 else "Promising"
    if fm_score <= 3:
        return "Potential Loyalist"
    return "Champions" if r_score == 5 else "Loyal Customers"


def labels(model: str) -> list[LabelInfo]:
    if model == "en11":
        return [LabelInfo(value, description) for value, description in EN11]
    return [LabelInfo(value, description) for value, *_flags, description in CN8]
