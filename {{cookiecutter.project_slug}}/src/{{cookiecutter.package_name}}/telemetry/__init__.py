"""Tracing with OpenTelemetry: the provider, and spans where no instrumentation exists."""
