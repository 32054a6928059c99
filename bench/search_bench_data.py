"""Fill the benchmark database (DATABASE_URL) with N demo providers: ``search_bench_data.py N [--badges]``.

With ``--badges``, one provider in ten holds "Channel Expert certifié", awarded as staff do.
"""

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search_bench import records

from directory import providers
from directory.platform.services import prepare_database
from directory.settings import Settings
from geo import Gazetteer

BADGE = "channel-expert-certifie"


async def main(size: int, badges: bool) -> None:
    await prepare_database(Settings.from_env())
    created = (await providers.save_records(records(size, Gazetteer.default()))).created
    if badges:
        from plugins.badges import awards

        for slug in created[::10]:
            await awards.award(slug, BADGE, actor="bench")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), "--badges" in sys.argv[2:]))
