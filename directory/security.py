"""Security headers that Litestar does not add by itself (CSP, HSTS, framing, sniffing)."""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

# Pages load nothing from other sites; Swagger UI at /schema needs inline scripts and styles.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "geolocation=(self), camera=(), microphone=()",
}
HSTS = "max-age=31536000; includeSubDomains"
_RAW = [(name.lower().encode(), value.encode()) for name, value in HEADERS.items()]
_RAW_HSTS = (b"strict-transport-security", HSTS.encode())


class SecurityHeadersMiddleware(ASGIMiddleware):
    """Add the security headers to every HTTP response (HSTS only over HTTPS)."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Raw header pairs: Litestar's header wrapper costs more than the search itself.
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                wanted = _RAW + [_RAW_HSTS] if https else _RAW
                headers += [(name, value) for name, value in wanted if name not in present]
                message["headers"] = headers
            await send(message)

        await next_app(scope, receive, send_with_headers)
