"""Error reports (Sentry): unhandled server errors and failed jobs, scrubbed, once each.

Inert until `sentry.dsn` is set: without one nothing here runs and `sentry_sdk` is never
imported. With one, the `ErrorReportingFeature` opens the reporting client first and closes
it last (flushing what is queued), so every other feature's errors are reported.

- One path to an event: the ERROR log records (`logger.exception` in the 500 middleware and
  in the job runner) through Sentry's logging integration. The framework integrations the SDK
  would switch on by itself are off, so nothing reports the same error a second time.
- Every event is scrubbed on its way out (`scrub.py`): credentials in headers, cookies and
  query strings, and the value of every secret in the loaded settings, wherever they appear.
- The SDK's client is process-global: each open (one per app, tests make several) installs
  a client of its own and its close removes it again.
"""
