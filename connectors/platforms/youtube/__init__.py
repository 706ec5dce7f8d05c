"""YouTube: the Data API v3 for channels and videos, the Analytics API v2 for daily metrics.

``connector`` holds the ``Connector`` and its metric mapping, ``google`` how Google's hosts are
reached and how its errors are read, ``parsing`` how its answers become rows.
"""

from connectors.platforms.youtube.connector import YouTubeConnector

__all__ = ["YouTubeConnector"]
