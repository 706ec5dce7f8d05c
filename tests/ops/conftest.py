"""Fixtures of the operations tests: a private Redis, and Celery pointed at it."""

from tests.ops.private_redis import broker, private_redis

__all__ = ["broker", "private_redis"]
