"""gunicorn settings shared by ``make demo``/``make run`` and the Docker image (``-c``).

The access log names each request's path and referrer; a share link's token is a password in
the address (``/s/<token>/``), and the pages it opens send it as the referrer of their static
files, so every field of an access-log line goes through the same redaction as Django's logs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from gunicorn.glogging import Logger

from config.log_filters import SHARE_TOKEN


class RedactingLogger(Logger):
    def atoms(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: dt.timedelta
    ) -> Any:
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: SHARE_TOKEN.sub("/s/[token]", value) if isinstance(value, str) else value
            for key, value in atoms.items()
        }


logger_class = RedactingLogger
