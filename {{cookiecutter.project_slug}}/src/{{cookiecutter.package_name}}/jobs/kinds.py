"""The service's job kinds: import every module with @job handlers here.

`digest` is a small real example: it hashes a text and reports its progress. Delete it
once the service has kinds of its own (and its test, tests/jobs/test_kinds.py).
"""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, Field

{% if cookiecutter.with_example_api and cookiecutter.with_server and cookiecutter.with_http_client and cookiecutter.with_files -%}
# POST /api/v1/objects/import with `Prefer: respond-async` runs as this module's kind.
from ..api import import_job  # noqa: F401 - registers "import_object"
{% endif -%}
from .registry import JobContext, job

# Hashed this many characters at a time, with a progress report (and a yield) between.
DIGEST_CHUNK = 64 * 1024


class DigestInput(BaseModel):
    text: str = Field(max_length=1024 * 1024)


class DigestResult(BaseModel):
    sha256: str
    characters: int


@job("digest")
async def digest(payload: DigestInput, ctx: JobContext) -> DigestResult:
    """sha256 of the text's UTF-8 bytes. Idempotent: a second run gives the same result."""
    hasher = hashlib.sha256()
    text = payload.text
    for start in range(0, len(text), DIGEST_CHUNK):
        hasher.update(text[start : start + DIGEST_CHUNK].encode())
        # Also gives the loop to other work between chunks.
        await ctx.progress((start + DIGEST_CHUNK) / len(text))
    return DigestResult(sha256=hasher.hexdigest(), characters=len(text))


__all__ = ["DigestInput", "DigestResult", "digest"]
