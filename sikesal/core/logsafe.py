"""Keep private-link secrets out of log files.

A reporter's private page is /pelapor/<secret>/ and its attachments carry ?k=<secret>; whoever reads an
access log line could act as that reporter. Partner keys may travel as ?api_key=. These are masked in the
gunicorn access log (sikesal.core.gunicorn_logger) and in the application's own log records.

Django decodes the path and the query's names before it routes them, so `/%70elapor/<secret>/` and
`?api%5Fkey=` reach the same views as their plain spellings: the patterns match every character either
plain or percent-encoded, in any case. They are matched on the text as it is (not on a decoded copy), so
what is masked is exactly the secret and the rest of the line stays as the client sent it.
"""

import logging
import re

MASK = "***"


def _spelled_any_way(literal):
    """A pattern for `literal` with each character plain or percent-encoded (compiled case-insensitive)."""
    return "".join(f"(?:{re.escape(ch)}|%{ord(ch):02x})" for ch in literal)


_SLASH = _spelled_any_way("/")
_SECRET_PATH = re.compile(f"({_SLASH}{_spelled_any_way('pelapor')}{_SLASH})[^/?#\\s\"']+", re.IGNORECASE)
_SECRET_QUERY = re.compile(
    f"((?:[?&;]|%3f|%26|^)(?:{_spelled_any_way('k')}|{_spelled_any_way('api_key')})=)[^&#\\s\"']*",
    re.IGNORECASE,
)
# Most access-log atoms (status, size, time, user agent, most headers) hold none of these: one C-level
# search lets them through without running the patterns above.
_MAYBE = re.compile(r"[=%]|pelapor", re.IGNORECASE)


def mask(text):
    if not isinstance(text, str) or not text or not _MAYBE.search(text):
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
