"""The legal notice, privacy policy and accessibility statement say what the site really is."""

from __future__ import annotations

import html
import logging
import re
from dataclasses import replace

import msgspec
import pytest

from directory.app import create_app
from directory.platform.plugin_settings import load_one
from directory.plugin_api import hookimpl
from directory.plugin_manager import get_plugin_manager
from directory.testing import serve
from tests.directory.legal.conftest import LEGAL, legal_settings


def _text(answer) -> str:
    """The page as a reader gets it: entities decoded, tags dropped, one space between words."""
    return " ".join(re.sub(r"<[^>]+>", "", html.unescape(answer.text)).split())


async def test_the_legal_notice_names_the_publisher_its_director_and_the_host(site):
    page = _text(await site.get("/mentions-legales"))
    for value in LEGAL.values():
        assert value in page
    assert "Directeur ou directrice de la publication" in page and "à renseigner" not in page


async def test_an_unset_legal_notice_says_what_is_still_to_fill_in(settings, plugin_manager):
    async with serve(create_app(replace(settings, worker_in_app=False), plugin_manager)) as client:
        page = _text(await client.get("/mentions-legales"))
    assert page.count("à renseigner") == 6 and "Immatriculation" not in page


@pytest.fixture
def warnings(caplog):
    """What the legal pages' logger warns of (the app's logging configuration replaces root's handlers)."""
    logger = logging.getLogger("directory.routes.legal")
    logger.addHandler(caplog.handler)
    with caplog.at_level(logging.WARNING, logger=logger.name):
        yield caplog
    logger.removeHandler(caplog.handler)


async def test_a_site_served_over_https_warns_at_start_up_of_an_unset_legal_notice(settings, plugin_manager,
                                                                                      warnings):
    unset = replace(settings, worker_in_app=False, public_url="https://annuaire.example.fr", host_phone="")
    async with serve(create_app(unset, plugin_manager)):
        pass
    assert "Mentions légales incomplètes" in warnings.text
    assert "CHANNEL_EXPERT_PUBLISHER_NAME" in warnings.text and "CHANNEL_EXPERT_HOST_PHONE" in warnings.text


async def test_a_complete_legal_notice_starts_without_a_warning(settings, plugin_manager, warnings):
    complete = legal_settings(settings, public_url="https://annuaire.example.fr")
    async with serve(create_app(complete, plugin_manager)):
        pass
    assert "Mentions légales" not in warnings.text


@pytest.mark.channel_expert_plugins("plugins.leads")
async def test_the_privacy_policy_shows_the_retention_periods_configured(settings, plugin_manager,
                                                                          monkeypatch):
    leads = plugin_manager.plugin_settings["plugins.leads"]
    monkeypatch.setattr(leads, "retention_days", 400)
    configured = legal_settings(settings, contact_retention_days=90)
    async with serve(create_app(configured, plugin_manager)) as client:
        page = _text(await client.get("/confidentialite"))
    assert "anonymisée 400 jours après le dernier échange" in page
    assert "90 jours après l'envoi" in page
    assert "fin après 8 heures sans activité et 7 jours au plus" in page
    assert "effacée avec ses comptes, son historique et ses messages 30 jours" in page
    assert "CNIL" in page and "Commission nationale de l'informatique et des libertés" in page
    assert "ce_session" in page and "ce_csrf" in page and "aucun bandeau" in page


async def test_the_privacy_policy_names_only_what_runs(settings):
    """Without the leads plugin, no word of quote requests; with online geocoders, who receives addresses."""
    configured = legal_settings(settings, contact_email="equipe@channel-expert.fr", geocoders=("ban",),
                                disabled_plugins=("plugins.leads", "plugins.insights", "plugins.reviews"))
    async with serve(create_app(configured, get_plugin_manager(configured))) as client:
        page = _text(await client.get("/confidentialite"))
    assert "Demandes de devis" not in page and "Statistiques de visite" not in page
    assert "avis" not in page.lower()
    assert "Base Adresse Nationale" in page and "Nominatim" not in page
    assert "equipe@channel-expert.fr" in page and LEGAL["host_name"] in page


class Archives:
    """A plugin that keeps personal data for a configured time: the privacy policy lists it."""

    @hookimpl
    def plugin_settings(self):
        return ArchiveSettings


class ArchiveSettings(msgspec.Struct):
    retention_days: int = 730


async def test_the_privacy_policy_names_the_retention_of_plugins_that_describe_nothing(apps, settings,
                                                                                        plugin_manager):
    plugin_manager.register(Archives(), name="archives")
    load_one(plugin_manager, "archives", {})
    async with serve(apps.app(legal_settings(settings), plugin_manager)) as client:
        page = _text(await client.get("/confidentialite"))
    assert "Données du module « archives »" in page and "730 jours" in page
    assert "Données du module « leads »" not in page  # the leads plugin describes its processing itself


class Newsletter:
    """A plugin that describes its processing for the privacy policy."""

    @hookimpl
    def privacy_sections(self, register):
        register("Lettre d'information", purpose="vous écrire chaque mois.",
                 legal_basis="votre consentement.", retention="jusqu'à votre désinscription.",
                 recipients="le routeur de courriels du réseau.",
                 rights="Lettre : le lien de chaque envoi vous désinscrit.", order=10)


class Vague:
    """A plugin that forgets to say on what legal basis it processes data."""

    @hookimpl
    def privacy_sections(self, register):
        register("Sondages", purpose="vous interroger.", legal_basis="", retention="un an.")


async def test_each_plugin_describes_its_processing_with_its_purpose_basis_retention_and_recipients(apps, 
        settings, plugin_manager):
    plugin_manager.register(Newsletter(), name="newsletter")
    plugin_manager.register(Vague(), name="vague")
    async with serve(apps.app(legal_settings(settings), plugin_manager)) as client:
        page = _text(await client.get("/confidentialite"))
    assert ("Lettre d'information Finalité : vous écrire chaque mois. Base légale : votre consentement. "
            "Destinataires : le routeur de courriels du réseau. "
            "Durée : jusqu'à votre désinscription.") in page
    assert "Lettre d'information : le routeur de courriels du réseau." in page
    assert "Lettre : le lien de chaque envoi vous désinscrit." in page
    assert "Sondages" not in page and "privacy_sections" in plugin_manager.faults.recent()["vague"]["hooks"]


async def test_the_built_in_plugins_describe_their_processing_with_the_periods_configured(apps, 
        settings, plugin_manager, monkeypatch):
    monkeypatch.setattr(plugin_manager.plugin_settings["plugins.reviews"], "first_ask_days", 12)
    async with serve(apps.app(legal_settings(settings), plugin_manager)) as client:
        page = _text(await client.get("/confidentialite"))
    assert "Demandes de devis Finalité : transmettre la demande" in page
    assert "Demandes de devis : les prestataires à qui la demande est proposée" in page
    assert "votre page de suivi (lien reçu par e-mail) permet de la supprimer aussitôt" in page
    assert "Suites des demandes et avis vérifiés Finalité : demander 12 puis 30 jours après" in page
    assert ("par prestataire et par jour : aucun cookie, aucune adresse IP, aucun identifiant de visiteur"
            in page)


async def test_the_accessibility_statement_is_honest_about_its_state(site):
    page = _text(await site.get("/accessibilite"))
    assert "non conforme" in page and "axe-core" in page and "390 pixels" in page
    assert "Sans JavaScript" in page
    assert "Aucun test n'est fait avec un lecteur d'écran" in page and "Défenseur des droits" in page


class Charter:
    @hookimpl
    def footer_links(self, register):
        register("Charte des avis", "/avis/charte", 50)


async def test_every_page_footer_links_to_the_legal_pages_and_those_plugins_add(apps, settings, plugin_manager):
    plugin_manager.register(Charter(), name="charter")
    async with serve(apps.app(legal_settings(settings), plugin_manager)) as client:
        for path in ("/", "/mentions-legales", "/contact", "/compte/connexion", "/page-inconnue"):
            page = (await client.get(path, headers={"accept": "text/html"})).text
            footer = page.split('class="site-footer"')[1]
            links = [part.split('"')[0] for part in footer.split('href="')[1:]]
            assert links == ["/mentions-legales", "/confidentialite", "/accessibilite", "/contact",
                             "/avis/charte", "/schema"], path
