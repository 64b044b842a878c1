"""Keep private-link secrets out of log files.

A reporter's private page is /pelapor/<secret>/ and its attachments carry ?k=<secret>; whoever reads an
access log line could act as that reporter. Partner keys may travel as ?api_key=. These are masked in the
gunicorn access log (sikesal.core.gunicorn_logger) and in the application's own log records.
"""

import logging
import re

MASK = "***"
_SECRET_PATH = re.compile(r"(/pelapor/)[^/?#\s\"']+")
_SECRET_QUERY = re.compile(r"((?:[?&;]|^)(?:k|api_key)=)[^&#\s\"']*", re.IGNORECASE)


def mask(text):
    if not isinstance(text, str) or not text:
        return text
    if "=" not in text and "/pelapor/" not in text:  # most access-log atoms: nothing to look for
        return text
    return _SECRET_QUERY.sub(r"\1" + MASK, _SECRET_PATH.sub(r"\1" + MASK, text))


class MaskSecretsFilter(logging.Filter):
    """A handler filter: the record's message with every secret masked (arguments folded in first)."""

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: leave it to the handler's own error reporting
            return True
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
