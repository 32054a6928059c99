"""A site whose legal notice is filled in, with staff, and a helper to send the contact form."""

from __future__ import annotations

import re
from dataclasses import replace

import httpx
import pytest

from directory.testing import add_account, serve

LEGAL = {"publisher_name": "Association Channel Expert",
         "publisher_address": "12 rue des Remparts, 33000 Bordeaux",
         "publisher_registration": "RNA W332000000", "publication_director": "Claire Fontaine",
         "host_name": "Hébergeur Exemple SAS", "host_address": "2 rue Kellermann, 59100 Roubaix",
         "host_phone": "01 02 03 04 05"}
MESSAGE = {"name": "Anne Le Goff", "email": "anne@ty-anne.fr", "subject": "Ma fiche",
           "message": "Bonjour, comment modifier l'adresse de ma fiche ?", "consent": "oui"}


def legal_settings(settings, **overrides):
    """The test settings with a complete legal notice and a secret, changed by ``overrides``."""
    return replace(settings, secret_key="k" * 40, worker_in_app=False, **{**LEGAL, **overrides})


@pytest.fixture
async def site(apps, settings, plugin_manager, manual_clock):
    await add_account("equipe@example.fr", staff=True)
    async with serve(apps.app(legal_settings(settings), plugin_manager)) as client:
        yield client


async def send_message(client: httpx.AsyncClient, clock, **fields) -> httpx.Response:
    """Open the contact form, wait as a person would, and send it with ``MESSAGE`` changed by ``fields``."""
    form = (await client.get("/contact")).text
    clock.advance(seconds=30)
    data = {"_csrf_token": re.search(r'name="_csrf_token" value="([^"]+)"', form)[1],
            "formulaire": re.search(r'name="formulaire" value="([^"]+)"', form)[1], **MESSAGE, **fields}
    return await client.post("/contact", data={name: value for name, value in data.items()
                                               if value is not None})
