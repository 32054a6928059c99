"""Security headers that Litestar does not add by itself (CSP, HSTS, framing, sniffing)."""

from __future__ import annotations

# Pages run no inline script (data blocks such as ``type="application/json"`` are not run);
# Swagger UI at /schema needs inline scripts and styles, and gets them there only.
_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'{styles}; script-src 'self'{scripts}; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
CONTENT_SECURITY_POLICY = _POLICY.format(styles="", scripts="")
API_DOCS_CONTENT_SECURITY_POLICY = _POLICY.format(styles=" 'unsafe-inline'", scripts=" 'unsafe-inline'")
API_DOCS_PATH = "/schema"
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "geolocation=(self), camera=(), microphone=()",
}
HSTS = "max-age=31536000; includeSubDomains"

# Raw header pairs: Litestar's header wrapper costs more than a search itself.
_RAW = [(name.lower().encode(), value.encode()) for name, value in HEADERS.items()]
_RAW_CSP = (b"content-security-policy", CONTENT_SECURITY_POLICY.encode())
_RAW_DOCS_CSP = (b"content-security-policy", API_DOCS_CONTENT_SECURITY_POLICY.encode())
_RAW_HSTS = (b"strict-transport-security", HSTS.encode())


def security_headers(path: str, https: bool) -> list[tuple[bytes, bytes]]:
    """The security headers of a response to ``path`` (HSTS only over HTTPS)."""
    headers = [*_RAW, _RAW_DOCS_CSP if path.startswith(API_DOCS_PATH) else _RAW_CSP]
    if https:
        headers.append(_RAW_HSTS)
    return headers
