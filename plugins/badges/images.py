"""A badge's image, drawn from its name and colour: an SVG the site generates, never one uploaded.

An uploaded SVG can carry scripts; a generated one holds only escaped text. Its size matches the
snippet providers paste on their own sites (160 × 48).
"""

from __future__ import annotations

import textwrap

from markupsafe import escape


def svg(name: str, color: str) -> bytes:
    lines = textwrap.wrap(name, 17)[:3] or [""]
    size = 11 if len(lines) < 3 else 9.5  # the text has 104 px beside the tick
    first = 24 - (len(lines) - 1) * (size + 1) / 2  # the lines' middle on the badge's
    text = "".join(f'<text x="50" y="{first + (size + 1) * number + size / 3:.1f}">{escape(line)}</text>'
                   for number, line in enumerate(lines))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="48" viewBox="0 0 160 48" role="img" '
        f'aria-label="{escape(name)}">'
        f'<rect width="160" height="48" rx="8" fill="{escape(color)}"/>'
        '<circle cx="26" cy="24" r="15" fill="#fff" fill-opacity=".95"/>'
        f'<path d="M19 24.5l5 5 9-11" fill="none" stroke="{escape(color)}" stroke-width="3.5" '
        'stroke-linecap="round" stroke-linejoin="round"/>'
        f'<g fill="#fff" font-family="system-ui, sans-serif" font-size="{size}" font-weight="600">'
        f"{text}</g></svg>"
    ).encode()
