"""Every backend runs the same contract suite; Meilisearch only when a server is configured."""

import os
import uuid

import pytest

from search import create_backend

MEILISEARCH_URL = os.environ.get("MEILISEARCH_URL")


def _backends():
    yield pytest.param("embedded", id="embedded")
    yield pytest.param("meilisearch", id="meilisearch", marks=pytest.mark.skipif(
        not MEILISEARCH_URL,
        reason="MEILISEARCH_URL is not set: start one with `docker compose up -d meilisearch` to run this suite",
    ))


@pytest.fixture(params=list(_backends()))
async def backend(request):
    if request.param == "meilisearch":
        engine = create_backend("meilisearch", url=MEILISEARCH_URL, api_key=os.environ.get("MEILISEARCH_API_KEY", ""),
                                index=f"contract_{uuid.uuid4().hex[:8]}")
    else:
        engine = create_backend("embedded")
    yield engine
    if request.param == "meilisearch":
        client = engine._client
        client.delete_index(engine._uid)
    await engine.close()
