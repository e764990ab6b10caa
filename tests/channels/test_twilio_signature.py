"""Every X-Twilio-Signature vector of ../shared/eval/twilio/signature-vectors.json."""

from __future__ import annotations

import json
from typing import Any

import pytest
from twilio.request_validator import RequestValidator

from plaint.channels.twilio.signature import valid_signature
from tests.shared_data import EVAL, eval_path

_FILE = EVAL / "twilio" / "signature-vectors.json"
# Read at collection when present; without it the one test below skips (fails in CI).
_VECTORS: dict[str, Any] = (
    json.loads(_FILE.read_text("utf-8")) if _FILE.exists() else {"vectors": [{"id": "missing"}]}
)


def _params(vector: dict[str, Any]) -> list[tuple[str, str]]:
    if "params_multi" in vector:
        return [(name, value) for name, value in vector["params_multi"]]
    return list(vector.get("params", {}).items())


@pytest.mark.parametrize("vector", _VECTORS["vectors"], ids=lambda v: v["id"])
def test_signature_vector(vector: dict[str, Any]) -> None:
    eval_path("twilio", "signature-vectors.json")
    token = vector.get("auth_token_override", _VECTORS["auth_token"])
    signature = vector.get("signature")
    if signature is None:  # computed over signed_over, then checked against url
        signature = RequestValidator(token).compute_signature(vector["signed_over"], {})
    checked = valid_signature(
        auth_token=token,
        url=vector["url"],
        params=_params(vector),
        signature=signature,
        body=vector.get("body", ""),
    )
    assert checked is vector["valid"]


def test_no_signature_is_invalid() -> None:
    assert not valid_signature(auth_token="t", url="https://x.example/", params=[], signature="")
