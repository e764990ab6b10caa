"""Every error the API answers is JSON ``{"code": …, "message": …}``: ``code`` is stable
(clients branch on it), ``message`` is for people (it may change).

=========  =====================  ==============================================
status     code                   raised as
=========  =====================  ==============================================
401        ``unauthorised``       no, an unknown or a revoked bearer token
403        ``forbidden``          PermissionDeniedError (the role may not)
404        ``not_found``          NotFoundError (also another department's ticket)
409        ``conflict``           ConflictError (the ticket's state forbids it)
422        ``validation``         a request that does not fit the schema (with
                                  ``errors``: where and what), InvalidInputError
503        ``unavailable``        TransientError (try again later)
500        ``internal``           any other PlaintError (the message says only
                                  that: the log has the class, never the text)
=========  =====================  ==============================================
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from plaint.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    PlaintError,
    TransientError,
)

__all__ = [
    "ERROR_CODES",
    "ErrorOut",
    "FieldError",
    "ValidationErrorOut",
    "error_responses",
    "install_error_handlers",
]

logger = logging.getLogger(__name__)

ERROR_CODES = {
    400: "bad_request", 401: "unauthorised", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 422: "validation", 500: "internal",
    503: "unavailable",
}  # fmt: skip
# A service error a request can cause -> the status it is answered with (first match).
_STATUS: tuple[tuple[type[PlaintError], int], ...] = (
    (NotFoundError, 404),
    (PermissionDeniedError, 403),
    (ConflictError, 409),
    (InvalidInputError, 422),
    (TransientError, 503),
)
_DESCRIPTIONS = {
    401: "no bearer token, or an unknown or revoked one",
    403: "the caller's role may not do this",
    404: "no such ticket, or one of a department the caller may not see",
    409: "the ticket's state does not allow this action",
    422: "the request does not fit the schema, or names an unknown code",
}


class ErrorOut(BaseModel):
    """An error: a stable ``code`` and a message for people."""

    code: str = Field(description="stable: " + ", ".join(sorted(set(ERROR_CODES.values()))))
    message: str


class FieldError(BaseModel):
    """One value that did not fit: where (``["body", "text"]``) and why."""

    loc: list[str | int]
    msg: str


class ValidationErrorOut(ErrorOut):
    """A request that did not fit: ``errors`` says where and why (empty for an error
    found by the service, e.g. an unknown code)."""

    errors: list[FieldError] = Field(default_factory=list)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` entries of ``statuses``, for a route or a router."""
    return {
        status: {
            "model": ValidationErrorOut if status == 422 else ErrorOut,
            "description": _DESCRIPTIONS.get(status, ERROR_CODES.get(status, "error")),
        }
        for status in statuses
    }


def _body(status: int, message: str, **extra: Any) -> dict[str, Any]:
    return {"code": ERROR_CODES.get(status, "error"), "message": message, **extra}


def _plaint_error(request: Request, exc: Exception) -> JSONResponse:
    status = next((s for kind, s in _STATUS if isinstance(exc, kind)), 500)
    if status == 500:
        logger.error("%s %s failed: %s", request.method, request.url.path, type(exc).__name__)
        return JSONResponse(_body(500, "an internal error; the server log says which"), 500)
    extra: dict[str, Any] = {"errors": []} if status == 422 else {}
    return JSONResponse(_body(status, str(exc), **extra), status_code=status)


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return JSONResponse(_body(exc.status_code, str(exc.detail)), status_code=exc.status_code,
                        headers=exc.headers)  # fmt: skip


def _loc(part: Any) -> str | int:
    return part if isinstance(part, int) else str(part)


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": [_loc(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
              for e in exc.errors()]  # fmt: skip
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    message = f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return JSONResponse(_body(422, message, errors=errors), status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every PlaintError, HTTPException and request validation error of ``app``
    with the JSON above (replacing FastAPI's ``{"detail": …}``)."""
    handlers: dict[type[Exception], Callable[[Request, Exception], JSONResponse]] = {
        PlaintError: _plaint_error,
        HTTPException: _http_error,
        RequestValidationError: _validation_error,
    }
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)
