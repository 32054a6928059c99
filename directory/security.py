"""Security headers that Litestar does not add by itself (CSP, HSTS, framing, sniffing)."""

from __future__ import annotations

# Pages run no inline script (data blocks such as ``type="application/json"`` are not run);
# Swagger UI at /schema needs inline scripts and styles, and gets them there only.
_POLICY = (
    "default-src 'self'; img-src 'self' data:{images}; style-src 'self'{styles}; script-src 'self'{scripts}; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
API_DOCS_PATH = "/schema"
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "geolocation=(self), camera=(), microphone=()",
}
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    """The security headers of every response, built once as raw pairs.

    ``image_origins`` are the other sites pages may show images from (the map's tile server).
    Raw header pairs: Litestar's header wrapper costs more than a search itself.
    """

    def __init__(self, image_origins: tuple[str, ...] = ()) -> None:
        images = "".join(f" {origin}" for origin in image_origins)
        pages = _POLICY.format(images=images, styles="", scripts="")
        docs = _POLICY.format(images=images, styles=" 'unsafe-inline'", scripts=" 'unsafe-inline'")
        common = [(name.lower().encode(), value.encode()) for name, value in HEADERS.items()]
        self._pages = [*common, (b"content-security-policy", pages.encode())]
        self._docs = [*common, (b"content-security-policy", docs.encode())]
        self._hsts = (b"strict-transport-security", HSTS.encode())

    def for_response(self, path: str, https: bool) -> list[tuple[bytes, bytes]]:
        """The headers of a response to ``path`` (HSTS only over HTTPS)."""
        headers = self._docs if path.startswith(API_DOCS_PATH) else self._pages
        return [*headers, self._hsts] if https else headers
