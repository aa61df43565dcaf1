"""The application's error hierarchy: a stable code and an HTTP status for each failure.

Domain code raises these; the HTTP layer turns any of them into the single error body.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class AppError(Exception):
    code = "error"
    status = 400

    def __init__(
        self,
        message: str,
        fields: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or []
        self.headers = headers or {}


class MalformedJson(AppError):
    code = "malformed_json"
    status = 400


class Unauthorized(AppError):
    code = "unauthorized"
    status = 401


class CredentialForbidden(AppError):
    code = "forbidden"
    status = 403


class NotFound(AppError):
    code = "not_found"
    status = 404


class BodyTooLarge(AppError):
    code = "body_too_large"
    status = 413


class UnsupportedMediaType(AppError):
    code = "unsupported_media_type"
    status = 415


class ValidationFailed(AppError):
    code = "validation_error"
    status = 422

    @classmethod
    def on(cls, field: str, message: str) -> ValidationFailed:
        return cls(f"{field}: {message}", [FieldError(field, message)])


class UnknownListing(ValidationFailed):
    code = "unknown_listing"


class UnknownUser(ValidationFailed):
    code = "unknown_user"


class NoAgentAvailable(ValidationFailed):
    code = "no_agent_available"


class InternalError(AppError):
    code = "internal_error"
    status = 500


class Conflict(AppError):
    code = "conflict"
    status = 409


class InvalidInput(AppError):
    """A CLI or operator input that does not make sense (unknown agency, duplicate name...)."""

    code = "invalid_input"
    status = 422
