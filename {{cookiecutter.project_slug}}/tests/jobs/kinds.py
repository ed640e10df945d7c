"""Job kinds for the tests (imported by the service through jobs.modules, worker too)."""

import asyncio

from pydantic import BaseModel

from {{ cookiecutter.package_name }}.jobs.registry import JobContext, job
from {{ cookiecutter.package_name }}.jobs.runner import JobFailed


class Echo(BaseModel):
    text: str


class Sleep(BaseModel):
    seconds: float


class Fail(BaseModel):
    code: str
    message: str


@job("test-echo")
async def echo(payload: Echo, ctx: JobContext) -> Echo:
    return payload


@job("test-sleep")
async def sleep(payload: Sleep, ctx: JobContext) -> dict[str, float | int]:
    await ctx.progress(0.1)
    await asyncio.sleep(payload.seconds)
    return {"slept": payload.seconds, "attempt": ctx.attempt}


@job("test-fail")
async def fail(payload: Fail, ctx: JobContext) -> None:
    raise JobFailed(payload.code, payload.message)


@job("test-crash")
async def crash(payload: Echo, ctx: JobContext) -> None:
    raise RuntimeError(payload.text)  # the text must not reach the job's record
