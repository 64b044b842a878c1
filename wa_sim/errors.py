"""Graph API errors in the platform's JSON shape: `{"error": {"message", "type", "code", ...}}`."""

from __future__ import annotations

import hashlib
import itertools

_trace = itertools.count(1)


class GraphError(Exception):
    def __init__(self, status: int, message: str, code: int, kind: str = "OAuthException", **extra) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.kind = kind
        self.extra = extra

    def body(self) -> dict:
        trace = hashlib.sha256(str(next(_trace)).encode()).hexdigest()[:23]
        return {
            "error": {"message": self.message, "type": self.kind, "code": self.code, **self.extra, "fbtrace_id": trace}
        }


def invalid_parameter(details: str) -> GraphError:
    return GraphError(
        400, "(#100) Invalid parameter", 100, error_data={"messaging_product": "whatsapp", "details": details}
    )


def unknown_object(object_id: str, method: str) -> GraphError:
    return GraphError(
        400,
        f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, cannot be loaded due to"
        " missing permissions, or does not support this operation.",
        100,
        "GraphMethodException",
        error_subcode=33,
    )


class SimError(Exception):
    """A bad `/__sim/*` request: answered `{"error": message}`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
