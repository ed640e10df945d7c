"""Signed callbacks for finished jobs, on when `jobs.webhook_secret` is set."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import Feature
from .http_client import HTTP_TRACE_CONFIGS
from .jobs import JOB_CALLBACKS, JobsFeature

if TYPE_CHECKING:
    from contextlib import AsyncExitStack

    from ..resources import Resources


class JobCallbacksFeature(Feature):
    """Opens the guarded session callbacks go out through and publishes the callback hooks."""

    async def open(self, resources: Resources, stack: AsyncExitStack) -> None:
        jobs = JobsFeature.of(self).jobs
        if jobs.webhook_secret is None:
            return  # no secret, no callbacks: a job submitted with a callback_url is refused
        from ..jobs.callbacks import Callbacks, callback_policy, create_callback_session

        policy = callback_policy(
            allow_private=jobs.callback_allow_private_networks,
            networks=jobs.callback_allowed_networks,
        )
        trace_configs = resources.find(HTTP_TRACE_CONFIGS) or ()
        session = await stack.enter_async_context(
            create_callback_session(policy, trace_configs=trace_configs)
        )
        resources.provide(JOB_CALLBACKS, Callbacks(jobs, session, policy))


__all__ = ["JobCallbacksFeature"]
