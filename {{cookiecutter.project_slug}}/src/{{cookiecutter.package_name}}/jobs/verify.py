"""Receiving job callbacks: check a delivery's Standard Webhooks signature before trusting it.

A delivery carries three headers (https://www.standardwebhooks.com/):

    webhook-id          the same for every attempt of one job (`job_<id>`): dedupe on it
    webhook-timestamp   Unix seconds when this attempt was signed
    webhook-signature   "v1,<base64 HMAC-SHA256 of id.timestamp.body>", space-separated list

`verify_webhook` refuses a wrong signature (another secret, or a body changed on the way)
and a timestamp outside the tolerance (a captured request replayed later). Pass the body
bytes exactly as received: re-serialised JSON no longer matches the signature.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr
from standardwebhooks import Webhook, WebhookVerificationError

# The Standard Webhooks default: a signed request is good for five minutes either way.
DEFAULT_TOLERANCE_SECONDS = 300
SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)


def new_webhook_secret() -> str:
    """A fresh secret in the `whsec_<base64>` form both sides are configured with."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def check_webhook_secret(secret: str) -> str:
    """`secret` if it is a usable key, else ValueError saying the form (a settings validator).

    Standard Webhooks keys are `whsec_` and 24 to 64 random bytes in base64.
    """
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except ValueError:  # binascii.Error
        key = b""
    if not secret.startswith(SECRET_PREFIX) or not 24 <= len(key) <= 64:
        raise ValueError(
            "a webhook secret is whsec_ and 24 to 64 bytes in base64"
            " (new_webhook_secret() makes one)"
        )
    return secret


def verify_webhook(
    secret: str | SecretStr,
    body: bytes,
    headers: Mapping[str, str],
    *,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
) -> Any:
    """The delivered JSON, once signature and timestamp check out.

    Raises `WebhookVerificationError` for a missing header, a timestamp more than
    `tolerance_seconds` old or ahead, a signature that does not match, or a body that is
    not JSON. Header names are matched case-insensitively (any Mapping works: aiohttp's,
    Starlette's or a dict).
    """
    # The library checks a fixed five-minute window; the tolerance here is the caller's.
    lowered = {name.lower(): value for name, value in headers.items()}
    message_id = lowered.get("webhook-id")
    stamp = lowered.get("webhook-timestamp")
    signatures = lowered.get("webhook-signature")
    if not (message_id and stamp and signatures):
        raise WebhookVerificationError(
            "missing webhook-id, webhook-timestamp or webhook-signature header"
        )
    try:
        sent = int(stamp)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not Unix seconds") from None
    age = time.time() - sent
    if age > tolerance_seconds:
        raise WebhookVerificationError(
            f"webhook-timestamp is {age:.0f}s old (tolerance {tolerance_seconds:.0f}s): "
            "a replayed request"
        )
    if -age > tolerance_seconds:
        raise WebhookVerificationError("webhook-timestamp is in the future")
    plain = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    expected = Webhook(plain).sign(message_id, datetime.fromtimestamp(sent, UTC), body)
    wanted = expected.encode()
    if not any(hmac.compare_digest(wanted, given.encode()) for given in signatures.split()):
        raise WebhookVerificationError("no matching signature")
    try:
        return json.loads(body)
    except ValueError:
        raise WebhookVerificationError("the body is not JSON") from None


__all__ = [
    "DEFAULT_TOLERANCE_SECONDS",
    "WebhookVerificationError",
    "check_webhook_secret",
    "new_webhook_secret",
    "verify_webhook",
]
