"""``GET /metrics``: the Prometheus figures, for operators on the machine or holding the token.

The figures say how busy the site is and what waits in its queues: not secrets, but not for
everyone either. A client is local when the socket it connects from is a loopback address and
the request came through no proxy: the address a trusted proxy forwards is never asked (a
header is whatever the client writes), and a proxy on the same machine, which connects from
loopback for every visitor, gives itself away by the forwarding headers it adds. Anyone else
needs ``CHANNEL_EXPERT_METRICS_TOKEN`` as a bearer token, compared in constant time; without a
token configured, the endpoint does not exist for them (404).

``channel-expert worker`` serves the same route on a port of its own (``worker_app``), since
a worker answers no HTTP otherwise and Prometheus should see it alive.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
from collections.abc import Iterator

import uvicorn
from litestar import Litestar, Request, Response, get
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.types import Scope

from directory.accounts.guards import PUBLIC
from directory.platform.metrics import Metrics
from directory.problems import http_exception_handler
from directory.settings import Settings

FORWARDING_HEADERS = frozenset({b"forwarded", b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host",
                                b"x-real-ip"})
# The text format every Prometheus reads (prometheus_client's output fits it); Litestar adds the charset.
MEDIA_TYPE = "text/plain; version=0.0.4"


def is_local(scope: Scope) -> bool:
    """Whether the request comes from this machine, straight: a loopback socket and no proxy's headers.

    Refusing every request that carries a forwarding header is also what keeps the address the
    socket's: uvicorn's proxy middleware rewrites the client only from ``X-Forwarded-For``.
    """
    peer = scope.get("client")
    if not peer or any(name in FORWARDING_HEADERS for name, _ in scope["headers"]):
        return False
    try:
        return ipaddress.ip_address(peer[0]).is_loopback
    except ValueError:  # a name, or a Unix socket's path
        return False


def refusal(scope: Scope, authorization: str, token: str) -> HTTPException | None:
    """Why the figures are refused to this request, if they are: 404 without a token configured,
    401 without a bearer token, 403 with a wrong one."""
    if is_local(scope):
        return None
    if not token:
        return HTTPException(status_code=404)
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return HTTPException(status_code=401, detail="Jeton requis : « Authorization: Bearer … ».",
                             headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        return HTTPException(status_code=403, detail="Ce jeton n'ouvre pas les mesures.")
    return None


@get("/metrics", opt=PUBLIC, include_in_schema=False)
async def metrics_page(request: Request) -> Response[bytes]:
    """The figures in Prometheus' text format, to local operators and to holders of the token."""
    settings: Settings = request.app.state.settings
    refused = refusal(request.scope, request.headers.get("authorization", ""), settings.metrics_token)
    if refused is not None:
        raise refused
    metrics: Metrics = request.app.state.metrics
    return Response(await metrics.exposition(), media_type=MEDIA_TYPE,
                    headers={"Cache-Control": "no-store"})


def worker_app(settings: Settings, metrics: Metrics) -> Litestar:
    """The worker's own HTTP face: ``/metrics`` and nothing else."""
    return Litestar(route_handlers=[metrics_page], exception_handlers={HTTPException: http_exception_handler},
                    state=State({"settings": settings, "metrics": metrics}), openapi_config=None)


class _Listener(uvicorn.Server):
    """uvicorn, minus its signal handlers: the worker handles SIGINT and SIGTERM itself and
    stops this listener with its jobs."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def worker_listener(settings: Settings, metrics: Metrics) -> uvicorn.Server:
    """The listener ``channel-expert worker`` serves its figures on (``serve()`` runs it, ``should_exit``
    stops it)."""
    config = uvicorn.Config(worker_app(settings, metrics), host=settings.worker_metrics_host,
                            port=settings.worker_metrics_port, lifespan="off", access_log=False,
                            log_config=None, proxy_headers=False)
    return _Listener(config)
