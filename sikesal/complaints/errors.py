"""Errors the lifecycle raises: a machine code plus an Indonesian message for people."""


class LifecycleError(Exception):
    """A refused change. Nothing was written.

    `code` is stable for machines (API problem types); `message` is for people (translated);
    `fields` maps form field names to messages when the error is about input.
    """

    status = 400

    def __init__(self, code, message, fields=None):
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.fields = fields or {}

    def as_dict(self):
        return {
            "code": self.code,
            "detail": str(self.message),
            "fields": {name: [str(m) for m in msgs] for name, msgs in self.fields.items()},
        }


class InvalidInput(LifecycleError):
    status = 400


class NotAllowed(LifecycleError):
    status = 403


class InvalidTransition(LifecycleError):
    status = 409


class ConcurrentChange(LifecycleError):
    status = 409


class TooManyReports(LifecycleError):
    """A sender over its per-sender limit (complaints/senders.py): nothing filed, the caller may try later."""

    status = 429
