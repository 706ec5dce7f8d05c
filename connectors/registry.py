"""Platform key → connector class, imported lazily so a broken module fails only its platform."""

from __future__ import annotations

from functools import cache
from importlib import import_module

from connectors.base import Connector

CONNECTORS: dict[str, str] = {
    "facebook": "connectors.platforms.facebook.FacebookConnector",
    "instagram": "connectors.platforms.instagram.InstagramConnector",
    "linkedin": "connectors.platforms.linkedin.LinkedInConnector",
    "x": "connectors.platforms.x.XConnector",
    "youtube": "connectors.platforms.youtube.YouTubeConnector",
    "tiktok": "connectors.platforms.tiktok.TikTokConnector",
}


@cache
def connector_class(key: str) -> type[Connector]:
    try:
        dotted = CONNECTORS[key]
    except KeyError:
        raise KeyError(f"No connector for platform {key!r}.") from None
    module_name, _, class_name = dotted.rpartition(".")
    cls = getattr(import_module(module_name), class_name)
    if not (isinstance(cls, type) and issubclass(cls, Connector)) or cls.key != key:
        raise TypeError(f"{dotted} is not the Connector for {key!r}.")
    return cls
