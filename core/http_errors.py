"""Refusals made before GraphQL runs, shaped like GraphQL errors.

A client reads one shape whatever refused it: ``{"errors": [{"message": ...,
"extensions": {"code": ...}}]}``, with the HTTP status saying what kind of
refusal it is.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse


def refusal(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return JSONResponse(body, status_code=status, headers=headers)
