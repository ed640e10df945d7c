"""The HTTP server: app factory, lifespan, middlewares and routes."""

from .app import build_middleware, create_app

__all__ = ["build_middleware", "create_app"]
