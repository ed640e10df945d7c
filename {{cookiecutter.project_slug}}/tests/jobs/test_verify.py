"""verify_webhook and the receiver of docs/guides/receive-job-callbacks.md, as written there."""

import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook

from {{ cookiecutter.package_name }}.jobs.verify import (
    WebhookVerificationError,
    check_webhook_secret,
    new_webhook_secret,
    verify_webhook,
)

GUIDE = Path(__file__).parents[2] / "docs" / "guides" / "receive-job-callbacks.md"
SECRET = new_webhook_secret()
BODY = json.dumps({"id": "abc", "kind": "demo", "status": "succeeded"}).encode()


def signed(
    body: bytes = BODY, *, secret: str = SECRET, age: float = 0, message_id: str = "job_abc"
) -> dict[str, str]:
    """The headers the sender puts on a delivery signed `age` seconds ago."""
    at = datetime.fromtimestamp(time.time() - age, UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
    }


def test_a_signed_delivery_verifies() -> None:
    assert verify_webhook(SECRET, BODY, signed()) == json.loads(BODY)


def test_header_names_are_matched_in_any_case() -> None:
    headers = {name.title(): value for name, value in signed().items()}
    assert verify_webhook(SECRET, BODY, headers)["id"] == "abc"


@pytest.mark.parametrize(
    ("body", "headers", "reason"),
    [
        (BODY, signed(secret=new_webhook_secret()), "no matching signature"),
        (BODY.replace(b"succeeded", b"failed"), signed(), "no matching signature"),
        (BODY, {**signed(), "webhook-id": "job_other"}, "no matching signature"),
        (BODY, signed(age=600), "replayed"),
        (BODY, signed(age=-600), "future"),
        (BODY, {k: v for k, v in signed().items() if k != "webhook-signature"}, "missing"),
        (BODY, {**signed(), "webhook-timestamp": "soon"}, "Unix seconds"),
        (BODY, {**signed(), "webhook-signature": "v1,bm9wZQ=="}, "no matching signature"),
    ],
    ids=[
        "other-secret",
        "tampered",
        "other-id",
        "stale",
        "future",
        "unsigned",
        "bad-time",
        "forged",
    ],
)
def test_bad_deliveries_are_refused(body: bytes, headers: dict[str, str], reason: str) -> None:
    with pytest.raises(WebhookVerificationError, match=reason):
        verify_webhook(SECRET, body, headers)


def test_the_tolerance_is_the_callers() -> None:
    late = signed(age=400)
    with pytest.raises(WebhookVerificationError):
        verify_webhook(SECRET, BODY, late)
    assert verify_webhook(SECRET, BODY, late, tolerance_seconds=600)["status"] == "succeeded"


def test_a_signature_among_several_is_enough() -> None:
    """During a secret rotation the sender may sign with the old and the new secret."""
    headers = signed()
    old = signed(secret=new_webhook_secret())["webhook-signature"]
    headers["webhook-signature"] = f"{old} {headers['webhook-signature']}"
    assert verify_webhook(SECRET, BODY, headers)["kind"] == "demo"


@pytest.mark.parametrize(
    "bad",
    ["", "whsec_", "whsec_not base64!", "plain words", "whsec_c2hvcnQ=", SECRET[6:]],
    ids=["empty", "prefix-only", "not-base64", "words", "too-short", "no-prefix"],
)
def test_unusable_secrets_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="whsec_"):
        check_webhook_secret(bad)


def test_a_new_secret_is_usable() -> None:
    secret = new_webhook_secret()
    assert check_webhook_secret(secret) == secret
    assert secret != new_webhook_secret()


def guide_receiver() -> Any:
    """The CallbackReceiver class from the guide's Python block, run as the guide shows it."""
    blocks = re.findall(r"^```python\n(.*?)^```", GUIDE.read_text(), re.MULTILINE | re.DOTALL)
    assert len(blocks) == 1, "the guide shows one receiver"
    namespace: dict[str, Any] = {}
    exec(compile(blocks[0], str(GUIDE), "exec"), namespace)  # noqa: S102 (our own guide)
    return namespace["CallbackReceiver"]


def test_the_guides_receiver_handles_a_delivery_once() -> None:
    receiver = guide_receiver()(SECRET)
    headers = signed()
    assert receiver.receive(BODY, headers) == 204
    assert receiver.receive(BODY, signed()) == 204, "a retry: same webhook-id, new timestamp"
    assert receiver.finished == [json.loads(BODY)], "handled once"


def test_the_guides_receiver_rejects_a_bad_signature_and_a_replay() -> None:
    receiver = guide_receiver()(SECRET)
    assert receiver.receive(BODY, signed(secret=new_webhook_secret())) == 401
    assert receiver.receive(BODY.replace(b"abc", b"abd"), signed()) == 401
    assert receiver.receive(BODY, signed(age=3600)) == 401, "a captured request, replayed"
    assert receiver.finished == []
