"""Errors as RFC 9457 problem details for the API, as French pages for people.

Litestar's default error body is its own shape; every handler here answers
``application/problem+json`` instead, and an unexpected error is logged once with a
request id that the answer repeats, so a user's report leads straight to the traceback.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Template

from directory.schemas import InvalidField, Problem

PROBLEM_MEDIA_TYPE = "application/problem+json"
# Where the request id lives in the ASGI scope's state (``directory.edges`` sets it).
REQUEST_ID_KEY = "request_id"
logger = logging.getLogger("directory.errors")
# What people read when a handler gave no detail of its own.
FRENCH_DETAILS = {
    400: "La demande est incorrecte.",
    404: "Cette adresse ne correspond à aucune page.",
    405: "Cette action n'est pas possible à cette adresse.",
    413: "La demande est trop volumineuse.",
    415: "Ce type de contenu n'est pas accepté.",
    429: "Trop de demandes : réessayez dans un instant.",
    503: "Le service est momentanément indisponible. Réessayez dans un instant.",
}
# Why the edge refuses a request before any route reads it (``directory.request_checks``).
REFUSALS = {
    "nul": "La demande contient un caractère nul (\\0), qu'aucun champ ne peut contenir : retirez-le et recommencez.",
    "utf8": "La demande n'est pas du texte UTF-8 valide : enregistrez-la en UTF-8 et recommencez.",
    "depth": "Ce JSON est trop profondément imbriqué pour être lu ({levels} niveaux au plus).",
}
# Litestar's own English details that reach people.
FRENCH_MESSAGES = {
    "CSRF token verification failed":
        "Ce formulaire a expiré ou ne vient pas de ce site : rechargez la page et recommencez.",
}


def request_id(scope: Any) -> str:
    """The id of the request ``scope`` belongs to (the one its response and log lines carry)."""
    return scope.get("state", {}).get(REQUEST_ID_KEY, "")


class ProblemError(HTTPException):
    """An error the API reports with its own detail and, optionally, invalid fields."""

    def __init__(self, status_code: int, detail: str, invalid: list[InvalidField] | None = None) -> None:
        super().__init__(status_code=status_code, detail=detail)
        self.invalid = invalid or []


def wants_html(path: str, accept: str) -> bool:
    """Whether an error on ``path`` is answered as a French page rather than problem details."""
    return not path.startswith(("/api", "/schema", "/health", "/metrics")) and "text/html" in accept


def _answer(request: Request, problem: Problem, headers: dict[str, str] | None = None) -> Response[Any]:
    if wants_html(request.url.path, request.headers.get("accept", "")):
        return Template(
            template_name="error.html", context={"problem": problem}, status_code=problem.status, headers=headers
        )
    return Response(content=problem, status_code=problem.status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _invalid_fields(exc: HTTPException) -> list[InvalidField]:
    if isinstance(exc, ProblemError):
        return exc.invalid
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        return [
            InvalidField(
                str(item.get("key", "")),
                str(getattr(item.get("source"), "value", item.get("source", ""))),
                str(item.get("message", "")),
            )
            for item in exc.extra
            if isinstance(item, dict)
        ]
    return []


def http_exception_handler(request: Request, exc: HTTPException) -> Response[Any]:
    """Turn any ``HTTPException`` (404, 405, validation…) into problem details."""
    status = exc.status_code
    invalid = _invalid_fields(exc)
    detail = FRENCH_MESSAGES.get(exc.detail, exc.detail)
    if detail == HTTPStatus(status).phrase:  # Litestar's English default
        detail = FRENCH_DETAILS.get(status, f"La demande n'a pas pu aboutir (erreur {status}).")
    if isinstance(exc, ValidationException):
        names = ", ".join(sorted({field.name for field in invalid if field.name})) or "requête"
        detail = f"Paramètre invalide : {names}."
    problem = Problem(
        type="about:blank",
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=request.url.path,
        invalid_params=invalid,
        request_id=request_id(request.scope),
    )
    return _answer(request, problem, headers=exc.headers)


def internal_error_handler(request: Request, exc: Exception) -> Response[Any]:
    """Log an unexpected error once, with its traceback, and answer a 500 that carries its request id."""
    rid = request_id(request.scope)
    logger.error("unhandled error, request id %s, %s %s", rid, request.method,
                 request.app.state.redaction.path(request.url.path), exc_info=exc)
    problem = Problem(
        type="about:blank",
        title=HTTPStatus.INTERNAL_SERVER_ERROR.phrase,
        status=500,
        detail=f"Une erreur inattendue s'est produite. Référence : {rid}.",
        instance=request.url.path,
        request_id=rid,
    )
    return _answer(request, problem)


EXCEPTION_HANDLERS = {HTTPException: http_exception_handler, Exception: internal_error_handler}


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries saying that these statuses answer with problem details."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=HTTPStatus(status).description or HTTPStatus(status).phrase,
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
        )
        for status in statuses
    }
