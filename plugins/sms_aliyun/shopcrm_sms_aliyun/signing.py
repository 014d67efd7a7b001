"""The Aliyun RPC (POP) request signature, version 1.0 (HMAC-SHA1).

Every request to Dysmsapi is a GET whose query carries the common parameters and a
``Signature`` computed over the others:

1. percent-encode every name and value (:func:`percent_encode`: RFC 3986, UTF-8; only
   ``A-Z a-z 0-9 - _ . ~`` stay as they are, so a space is ``%20``, ``*`` is ``%2A`` and
   ``~`` is kept);
2. sort the pairs by encoded name and join them as ``name=value`` with ``&``: the
   canonicalized query;
3. ``StringToSign = "GET&%2F&" + percent_encode(canonicalized query)``;
4. ``Signature = base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))``.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Mapping
from urllib.parse import quote

SAFE = "-_.~"
"""The unreserved characters besides letters and digits: never encoded."""


def percent_encode(value: str) -> str:
    """``value`` encoded as the signature wants it (UTF-8, ``%20`` for space, ``%2A`` for ``*``)."""
    return quote(value, safe=SAFE, encoding="utf-8")


def canonicalized_query(params: Mapping[str, str]) -> str:
    """The parameters sorted by name, encoded, joined as ``a=1&b=2`` (``Signature`` excluded)."""
    pairs = sorted((percent_encode(k), percent_encode(v)) for k, v in params.items() if k != "Signature")
    return "&".join(f"{k}={v}" for k, v in pairs)


def string_to_sign(params: Mapping[str, str], method: str = "GET") -> str:
    """``METHOD&%2F&`` followed by the encoded canonicalized query."""
    return f"{method}&{percent_encode('/')}&{percent_encode(canonicalized_query(params))}"


def sign(params: Mapping[str, str], secret: str, method: str = "GET") -> str:
    """The base64 HMAC-SHA1 signature of ``params`` with the key ``secret + "&"``."""
    digest = hmac.new(f"{secret}&".encode("utf-8"), string_to_sign(params, method).encode("utf-8"),
                      hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def signed_query(params: Mapping[str, str], secret: str) -> str:
    """The query string to send: ``Signature=...`` then the canonicalized query."""
    return f"Signature={percent_encode(sign(params, secret))}&{canonicalized_query(params)}"


def verify(params: Mapping[str, str], secret: str) -> bool:
    """Whether ``params`` (as received, ``Signature`` included) carry a valid signature."""
    given = params.get("Signature", "")
    return hmac.compare_digest(given.encode("utf-8"), sign(params, secret).encode("utf-8"))
