"""Today's published providers per département: those whose office is there, and those who come
on site there (by the rule search and routing share: a radius around the office, whole
départements named, or the office's département), written by the rollup job for the dashboard.

A provider with a radius serves every département where a commune lies within it, even in
part: a TPE at the edge of a neighbouring département finds it in search.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from directory.plugin_api import service_areas, write_transaction
from geo import Gazetteer, ServiceArea
from plugins.insights.tables import DepartementFigure


def _served(area: ServiceArea, gazetteer: Gazetteer, seen: dict[tuple, set[str]]) -> set[str]:
    key = (area.lat, area.lon, area.departement, area.radius_km, area.departements, area.on_site)
    if key not in seen:  # providers of one commune with one radius share their answer
        seen[key] = area.departements_served(gazetteer)
    return seen[key]


def count(areas: list[ServiceArea], gazetteer: Gazetteer) -> tuple[Counter[str], Counter[str]]:
    """Providers per département of office, and per département served."""
    seen: dict[tuple, set[str]] = {}
    offices = Counter(area.departement for area in areas)
    served = Counter(code for area in areas for code in _served(area, gazetteer, seen))
    return offices, served


async def refresh() -> None:
    """Count today's published providers per département again, and write the counts.

    The count walks every provider's area against the gazetteer: seconds of CPU at 100,000
    providers, in a thread, so that a worker running inside a web server (the default) keeps
    answering meanwhile."""
    offices, served = await asyncio.to_thread(count, await service_areas(), Gazetteer.default())
    async with write_transaction(DepartementFigure._meta.db):
        await DepartementFigure.delete(force=True)
        rows = [DepartementFigure(departement=code, offices=offices.get(code, 0), served=served.get(code, 0))
                for code in sorted(offices | served)]
        if rows:
            await DepartementFigure.insert(*rows)
