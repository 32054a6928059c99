"""The app as ``channel-expert serve`` runs it, plus ``/api/bench-bare``: a bare JSON endpoint to compare with."""

import sys
from pathlib import Path

import uvicorn
from litestar import get

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from directory.plugin_api import PUBLIC, hookimpl  # noqa: E402
from directory.app import create_app  # noqa: E402
from directory.plugin_manager import get_plugin_manager  # noqa: E402
from directory.settings import Settings  # noqa: E402


@get("/api/bench-bare", include_in_schema=False, opt=PUBLIC)
async def bare() -> dict[str, str]:
    return {"status": "ok"}


class BarePlugin:
    @hookimpl
    def register_routes(self, register):
        register(bare)


if __name__ == "__main__":
    settings = Settings.from_env()
    manager = get_plugin_manager(settings)
    manager.register(BarePlugin(), name="bench-bare")
    uvicorn.run(create_app(settings, manager), host="127.0.0.1", port=8765, log_level="warning", access_log=False)
