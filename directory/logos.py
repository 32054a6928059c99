"""Providers' logos: checked by their content, re-encoded, stored in the database, served as images.

An upload is trusted for nothing: its format is what Pillow recognises in its bytes (PNG,
JPEG or WebP; SVG, which can carry scripts, is not an image Pillow opens), its size and
pixel count are bounded before decoding (a small file can unpack to gigabytes), and what is
kept is a new WebP image drawn from the decoded pixels, with no metadata (EXIF, GPS, ICC,
comments), under a generated name. The bytes sent back are only ever that re-encoded image.
"""

from __future__ import annotations

import asyncio
import io
import secrets

from PIL import Image, ImageOps, UnidentifiedImageError

from directory import events, history
from directory.database import write_transaction
from directory.history import Actor
from directory.platform import clock
from directory.tables import Logo, Provider

MAX_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 25_000_000  # 5000 × 5000 before decoding
MAX_SIDE = 512  # the stored image fits in a square this size
FORMATS = frozenset({"PNG", "JPEG", "WEBP"})
MEDIA_TYPE = "image/webp"
PATH = "/logos"


class LogoError(ValueError):
    """An upload that is not an acceptable logo; ``str()`` says why, in French."""


class _TooManyPixels(Exception):
    """The image's header announces more pixels than ``MAX_PIXELS``: it is not decoded."""


def reencode(data: bytes) -> bytes:
    """The logo ``data`` holds, as a new WebP image at most ``MAX_SIDE`` pixels wide and high."""
    if len(data) > MAX_BYTES:
        raise LogoError(f"Le logo pèse plus de {MAX_BYTES // (1024 * 1024)} Mo.")
    if not data:
        raise LogoError("Choisissez un fichier image.")
    try:
        with Image.open(io.BytesIO(data), formats=sorted(FORMATS)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise _TooManyPixels
            image.load()
            drawn = ImageOps.exif_transpose(image)
            drawn = drawn.convert("RGBA" if drawn.mode in ("RGBA", "LA", "PA") or "transparency" in drawn.info
                                  else "RGB")
    except (_TooManyPixels, Image.DecompressionBombError):
        raise LogoError(f"L'image a trop de pixels ({MAX_PIXELS // 1_000_000} millions au plus).") from None
    except UnidentifiedImageError:
        raise LogoError("Ce fichier n'est pas une image PNG, JPEG ou WebP.") from None
    except (OSError, SyntaxError, ValueError):
        raise LogoError("Cette image est illisible ou incomplète.") from None
    drawn.thumbnail((MAX_SIDE, MAX_SIDE))
    output = io.BytesIO()
    drawn.save(output, "WEBP", quality=88, method=4)
    return output.getvalue()


async def prepare(data: bytes) -> bytes:
    """``reencode`` off the event loop: the image to store, or a ``LogoError`` saying why not."""
    return await asyncio.to_thread(reencode, data)


async def replace(provider_id: int, slug: str, image: bytes, actor: Actor) -> str:
    """Store ``image`` (from ``prepare``) as a provider's new logo (the old one goes); returns its address."""
    name = f"{secrets.token_urlsafe(18)}.webp"
    return await _set(provider_id, slug, actor, Logo(name=name, provider=provider_id, media_type=MEDIA_TYPE,
                                                     content=image, created_at=clock.now()))


async def remove(provider_id: int, slug: str, actor: Actor) -> None:
    """Take the provider's logo down."""
    await _set(provider_id, slug, actor, None)


async def _set(provider_id: int, slug: str, actor: Actor, logo: Logo | None) -> str:
    url = f"{PATH}/{logo.name}" if logo else ""
    async with write_transaction(Provider._meta.db):
        previous = await Provider.select(Provider.logo_url).where(Provider.id == provider_id).first()
        await Logo.delete().where(Logo.provider == provider_id)
        if logo is not None:
            await Logo.insert(logo)
        await Provider.update({Provider.logo_url: url, Provider.updated_at: clock.now()}).where(
            Provider.id == provider_id)
        await history.record(provider_id, actor, {"logo_url": (previous["logo_url"], url)})
        await events.record(events.PROVIDER_SAVED, [slug], {"created": False}, actor.label)
    return url


async def content(name: str) -> bytes | None:
    """The stored image called ``name``, or None."""
    found = await Logo.select(Logo.content).where(Logo.name == name).first()
    return bytes(found["content"]) if found else None
