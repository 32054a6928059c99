"""Fill the benchmark database (DATABASE_URL) with N demo providers: ``search_bench_data.py N``."""

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from directory import providers  # noqa: E402
from directory.platform.services import prepare_database  # noqa: E402
from directory.settings import Settings  # noqa: E402
from geo import Gazetteer  # noqa: E402

from search_bench import records  # noqa: E402


async def main(size: int) -> None:
    await prepare_database(Settings.from_env())
    await providers.save_records(records(size, Gazetteer.default()))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
