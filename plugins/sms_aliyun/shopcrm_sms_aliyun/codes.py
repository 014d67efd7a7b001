"""What a Dysmsapi error code means for the outbox: try again later, or give up on the message.

An answer with a ``Code`` other than ``OK`` means the gateway did not take the request, so
nothing was sent and no code leads to ``unknown``. Throttling and the gateway's own
failures are worth another try (``retry``); every other code is final (``rejected``, with the
code kept as the message's ``error_code``): a bad number, a business limit, a template or
signature that is not approved, an empty balance, a suspended account, wrong credentials.
"""
from __future__ import annotations

from shopcrm.channels import SendStatus

RETRY_CODES = frozenset({
    "isp.SYSTEM_ERROR",
    "isp.GATEWAY_ERROR",
    "ServiceUnavailable",
    "InternalError",
    "SDK.ServerUnreachable",
})
"""Codes besides ``Throttling`` and ``Throttling.*`` after which the same request may be sent again."""

PER_NUMBER_CODES = frozenset({
    "isv.MOBILE_NUMBER_ILLEGAL",
    "isv.BUSINESS_LIMIT_CONTROL",
    "isv.BLACK_KEY_CONTROL_LIMIT",
    "isv.DAY_LIMIT_CONTROL",
    "isv.MOBILE_COUNT_OVER_LIMIT",
    "isv.PARAM_LENGTH_LIMIT",
    "isv.PARAM_NOT_SUPPORT_URL",
})
"""Codes that are about one number or one message's parameters: when SendBatchSms fails with
one of them, the batch is sent again message by message so the others still go out."""


def status_for(code: str) -> SendStatus:
    """``retry`` for throttling and the gateway's own failures, ``rejected`` for the rest."""
    if code == "Throttling" or code.startswith("Throttling.") or code in RETRY_CODES:
        return "retry"
    return "rejected"
