"""What the browser tests share: Debian's chromium, the app served for real, axe-core, screenshots."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import uvicorn

from plugins.geosearch.routes import MAP_ASSETS
from tests.conftest import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None,
                                    reason="Debian's chromium is not installed (apt-get install chromium)")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "var" / "test-artifacts"
needs_front_end = pytest.mark.skipif(not MAP_ASSETS.exists() or not AXE.exists(),
                                     reason="front-end packages not installed: python scripts/vendor_assets.py")


@asynccontextmanager
async def served(app) -> AsyncIterator[str]:  # noqa: ANN001 - a Litestar app
    """``app`` served by uvicorn on a free port of 127.0.0.1, in this event loop; yields its address."""
    port = free_port()
    instance = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(instance.serve())
    while not instance.started:
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        await task


async def screenshot(page, name: str) -> None:  # noqa: ANN001 - a Playwright page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


async def axe_serious(page) -> list[str]:  # noqa: ANN001 - a Playwright page (its context bypasses CSP)
    """The serious and critical accessibility violations axe-core finds on the page."""
    await page.add_script_tag(path=str(AXE))
    report = await page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in report["violations"] if v["impact"] in ("serious", "critical")]


async def sign_in_page(page, address: str, email: str) -> None:  # noqa: ANN001 - a Playwright page
    """Sign in through the form, as a person does (the test kit's password ``STRONG``)."""
    from directory.testing import STRONG

    await page.goto(f"{address}/compte/connexion")
    await page.get_by_label("Adresse e-mail").fill(email)
    await page.get_by_label("Mot de passe").fill(STRONG)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url(f"{address}/compte**", timeout=5000)
