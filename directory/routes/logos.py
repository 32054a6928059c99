"""``/logos/{name}``: providers' logos, as re-encoded WebP images (see ``directory.logos``)."""

from __future__ import annotations

from litestar import get
from litestar.params import FromPath
from litestar.response import Response

from directory import logos
from directory.accounts.guards import PUBLIC
from directory.problems import ProblemError

# A logo's name changes with its content, so browsers and proxies may keep it for good.
CACHE = "public, max-age=31536000, immutable"


@get(f"{logos.PATH}/{{name:str}}", include_in_schema=False, opt=PUBLIC)
async def logo(name: FromPath[str]) -> Response:
    content = await logos.content(name) if len(name) <= 60 else None
    if content is None:
        raise ProblemError(404, "Ce logo n'existe pas.")
    return Response(content, media_type=logos.MEDIA_TYPE, headers={
        "Cache-Control": CACHE, "Content-Disposition": "inline", "X-Content-Type-Options": "nosniff"})
