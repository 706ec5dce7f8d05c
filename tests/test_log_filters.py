"""Share-link tokens are blanked out of log records before they are written."""

from __future__ import annotations

import logging

from config.log_filters import RedactShareTokens


def test_a_share_token_in_a_logged_path_is_redacted() -> None:
    token = "gEiPmFqGZtHJrbP7BHayDE7IQpUKbqcSTzX1r9c4_NI"
    path = f"/s/{token}/file/"
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", (path,), None
    )
    assert RedactShareTokens().filter(record)
    assert record.getMessage() == "Not Found: /s/[token]/file/"
    assert token not in record.getMessage()


def test_other_records_are_left_alone() -> None:
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", ("/w/demo/s/",), None
    )
    RedactShareTokens().filter(record)
    assert record.getMessage() == "Not Found: /w/demo/s/" and record.args == ("/w/demo/s/",)
