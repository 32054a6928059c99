"""Unexpected errors: a generic 500 with a request id, logged once with its traceback."""

import logging

from litestar import get

from directory.plugin_api import PUBLIC, hookimpl
from directory.testing import serve


@get("/api/broken", include_in_schema=False, opt=PUBLIC)
async def broken() -> str:
    raise ZeroDivisionError("secret internals")


class BrokenPlugin:
    @hookimpl
    def register_routes(self, register):
        register(broken)


class ListHandler(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


async def test_an_unexpected_error_is_a_generic_500_logged_once_with_its_request_id(apps, settings, plugin_manager):
    plugin_manager.register(BrokenPlugin(), name="broken")
    captured = ListHandler()
    async with serve(apps.app(settings, plugin_manager)) as client:
        # Litestar configures logging at start-up: listen on the root logger after that.
        logging.getLogger().addHandler(captured)
        try:
            response = await client.get("/api/broken")
        finally:
            logging.getLogger().removeHandler(captured)
    assert response.status_code == 500
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "secret internals" not in response.text
    request_id = problem["request_id"]
    assert request_id in problem["detail"] and response.headers["x-request-id"] == request_id
    logged = [r for r in captured.records if r.levelno >= logging.ERROR]
    assert len(logged) == 1
    assert request_id in logged[0].getMessage() and logged[0].exc_info[0] is ZeroDivisionError


async def test_unknown_api_path_is_a_404_problem(client):
    response = await client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_wrong_method_is_a_405_problem(client):
    response = await client.post("/api/providers", json={})
    assert response.status_code == 405
    assert response.json()["status"] == 405
