"""The RPC signature v1: percent-encoding rules and fixed vectors."""
from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from shopcrm_sms_aliyun import signing

# The SendSms example of Aliyun's signature documentation (AccessKeySecret "testSecret").
DOC_PARAMS = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}


@pytest.mark.parametrize("raw, encoded", [
    (" ", "%20"),
    ("*", "%2A"),
    ("~", "~"),
    ("+", "%2B"),
    ("/", "%2F"),
    ("=", "%3D"),
    ("&", "%26"),
    (":", "%3A"),
    ('{"a":1}', "%7B%22a%22%3A1%7D"),
    ("-_.", "-_."),
    ("AZaz09", "AZaz09"),
    ("短", "%E7%9F%AD"),
    ("%", "%25"),
])
def test_percent_encoding_follows_rfc3986_with_utf8(raw: str, encoded: str) -> None:
    assert signing.percent_encode(raw) == encoded


def test_canonicalized_query_is_sorted_by_encoded_name_and_leaves_out_the_signature() -> None:
    query = signing.canonicalized_query({"b": "2", "a": "x y", "Signature": "zzz", "B": "*"})
    assert query == "B=%2A&a=x%20y&b=2"


def test_the_documented_vector() -> None:
    assert signing.sign(DOC_PARAMS, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_a_vector_built_step_by_step() -> None:
    params = {
        "AccessKeyId": "LTAI5tExample",
        "Action": "SendBatchSms",
        "Format": "JSON",
        "PhoneNumberJson": '["13800138000","13900139000"]',
        "RegionId": "cn-hangzhou",
        "SignNameJson": '["小店","小店"]',
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "nonce 1*~",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_123",
        "Timestamp": "2026-11-29T06:00:00Z",
        "Version": "2017-05-25",
    }
    # Step 1 and 2, by hand: each pair encoded, sorted by name, joined with "&".
    canonical = (
        "AccessKeyId=LTAI5tExample"
        "&Action=SendBatchSms"
        "&Format=JSON"
        "&PhoneNumberJson=%5B%2213800138000%22%2C%2213900139000%22%5D"
        "&RegionId=cn-hangzhou"
        "&SignNameJson=%5B%22%E5%B0%8F%E5%BA%97%22%2C%22%E5%B0%8F%E5%BA%97%22%5D"
        "&SignatureMethod=HMAC-SHA1"
        "&SignatureNonce=nonce%201%2A~"
        "&SignatureVersion=1.0"
        "&TemplateCode=SMS_123"
        "&Timestamp=2026-11-29T06%3A00%3A00Z"
        "&Version=2017-05-25"
    )
    assert signing.canonicalized_query(params) == canonical
    # Step 3: the canonical query encoded once more ("%" becomes "%25", "=" "%3D", "&" "%26").
    encoded_again = canonical.replace("%", "%25").replace("=", "%3D").replace("&", "%26")
    to_sign = "GET&%2F&" + encoded_again
    assert signing.string_to_sign(params) == to_sign
    # Step 4: HMAC-SHA1 with the secret and "&", base64.
    expected = base64.b64encode(hmac.new(b"s3cret&", to_sign.encode(), hashlib.sha1).digest()).decode()
    assert signing.sign(params, "s3cret") == expected
    # Pinned, so that a change to any step shows here.
    assert expected == "u3GQTAKT8sKZ1I1IvI8hWXx2Jxg="


def test_signed_query_puts_the_encoded_signature_first() -> None:
    query = signing.signed_query(DOC_PARAMS, "testSecret")
    assert query.startswith("Signature=zJDF%2BLrzhj%2FThnlvIToysFRq6t4%3D&AccessKeyId=testId&")
    assert query.endswith("&Version=2017-05-25")


def test_verify_accepts_the_right_signature_only() -> None:
    signed = {**DOC_PARAMS, "Signature": "zJDF+Lrzhj/ThnlvIToysFRq6t4="}
    assert signing.verify(signed, "testSecret")
    assert not signing.verify(signed, "otherSecret")
    assert not signing.verify({**signed, "OutId": "124"}, "testSecret")
