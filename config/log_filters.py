"""Logging filters: share-link tokens never reach the logs.

A share link's token is a password in the address (``/s/<token>/``). Django logs the path of
every 4xx and 5xx response (``django.request``), so the console handler blanks the token out of
every record. gunicorn's access log goes through ``config/gunicorn.py``, which does the same.
"""

from __future__ import annotations

import logging
import re

SHARE_TOKEN = re.compile(r"/s/[A-Za-z0-9_-]{16,}")


class RedactShareTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/s/" in message:
            redacted = SHARE_TOKEN.sub("/s/[token]", message)
            if redacted != message:
                record.msg, record.args = redacted, ()
        return True
