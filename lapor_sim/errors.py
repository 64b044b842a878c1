"""The one exception type that becomes a JSON error answer."""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status: int, message: str, errors: dict | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors

    def body(self) -> dict:
        out: dict = {"success": False, "message": self.message}
        if self.errors:
            out["errors"] = self.errors
        return out


def invalid(errors: dict[str, str]) -> ApiError:
    """A Laravel-style 422 validation error."""
    return ApiError(422, "The given data was invalid.", {k: [v] for k, v in sorted(errors.items())})
