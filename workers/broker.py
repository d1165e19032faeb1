"""The Redis transport, made to survive Redis going away while a tick is unacknowledged.

With kombu 5.7, a channel whose connection is gone has no connection details left: acking
a message on it (a late ack of a sweep that was running when Redis went away) or putting
its unacknowledged messages back when it closes raises AttributeError ("'NoneType' object
has no attribute 'client'" / "'hostname'"). That is not one of the transport's connection
errors, so the consumer reports an unrecoverable error and the worker stops consuming
(tests/workers caught it: a Redis restart stopped enforcement until the worker was
restarted by hand). Raised as a connection error instead, it is what kombu and Celery
already handle: the ack is logged as lost, the consumer reconnects. A lost ack or restore
costs nothing here: a tick carries no data and expires after one sweep interval.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import TRANSPORT_ALIASES, redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> Any:
        if self.connection is None or self.connection.client is None:
            raise RedisConnectionError("the connection to the broker is closed")
        return super()._connparams(asynchronous=asynchronous)


class Transport(redis.Transport):
    Channel = Channel


def install() -> None:
    """Use :class:`Transport` for redis:// and rediss:// URLs in this process.

    Through kombu's table of transports, not ``broker_transport``: an explicit transport
    would hide the URL's scheme from kombu, and a rediss:// URL would lose its TLS.
    """
    for scheme in ("redis", "rediss"):
        TRANSPORT_ALIASES[scheme] = f"{__name__}:Transport"
