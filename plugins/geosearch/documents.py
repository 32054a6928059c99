"""What the search index knows of a provider, and how it is configured."""

from __future__ import annotations

from typing import Any

from directory.plugin_api import Provider, catalogue, service_area
from search import REACH_FIELD, IndexSettings
from search.text import STOP_WORDS_FR

# Mutual synonyms of the trade: either wording finds the other.
SYNONYM_GROUPS = (
    ("site web", "site internet"),
    ("informatique", "it", "info"),
    ("cybersecurite", "securite informatique", "cyber"),
    ("referencement", "seo"),
    ("e commerce", "ecommerce", "boutique en ligne", "vente en ligne"),
    ("reseaux sociaux", "community management"),
    ("depannage", "reparation", "maintenance"),
    ("telephonie", "standard telephonique"),
    ("logo", "identite visuelle", "charte graphique"),
    ("application", "appli", "app"),
)
SYNONYMS = {
    word: tuple(other for other in group if other != word) for group in SYNONYM_GROUPS for word in group
}

INDEX_SETTINGS = IndexSettings(
    searchable=("trade_name", "service_labels", "commune", "sector_labels", "description", "legal_name"),
    filterable=("kind", "services", "languages", "on_site", "remote", "departement", "region",
                "service_departements", REACH_FIELD),
    facets=("kind", "services", "languages", "on_site", "remote"),
    sortable=("completeness",),
    synonyms=SYNONYMS,
    custom_ranking=(("completeness", True),),
    stop_words=STOP_WORDS_FR,
)

# What makes a profile useful to a TPE, and how much: the custom ranking's score out of 100.
COMPLETENESS = (
    ("description", 25, lambda p: len(p.description) >= 80),
    ("services", 20, lambda p: len(p.services) >= 2),
    ("phone", 10, lambda p: bool(p.phone)),
    ("email", 10, lambda p: bool(p.email)),
    ("website", 10, lambda p: bool(p.website)),
    ("street", 5, lambda p: bool(p.address.street)),
    ("sectors", 5, lambda p: bool(p.sectors)),
    ("logo", 10, lambda p: bool(p.logo_url)),
    ("year_founded", 5, lambda p: p.year_founded is not None),
)


def completeness(provider: Provider) -> int:
    """A 0–100 score of how complete a profile is, to rank equally relevant providers."""
    return sum(points for _, points, present in COMPLETENESS if present(provider))


def base_document(provider: Provider, document: dict[str, Any]) -> None:
    """Fill the fields the search plugin itself needs (other plugins add theirs)."""
    document.update(
        kind=provider.kind,
        trade_name=provider.trade_name,
        legal_name=provider.legal_name,
        commune=provider.address.commune,
        postal_code=provider.address.postal_code,
        departement=provider.address.departement,
        region=provider.address.region,
        services=[service.slug for service in provider.services],
        service_labels=[service.label for service in provider.services],
        sector_labels=[catalogue.SECTORS.get(sector, sector) for sector in provider.sectors],
        description=provider.description,
        languages=list(provider.languages),
        on_site=provider.service_area.on_site,
        remote=provider.service_area.remote,
        completeness=completeness(provider),
        url=provider.url,
    )
    if provider.latitude is not None and provider.longitude is not None:
        document["_geo"] = {"lat": provider.latitude, "lng": provider.longitude}
    area = service_area(provider)
    if area.on_site:
        document["service_departements"] = area.covered_departements()
        if area.reach_km():
            document[REACH_FIELD] = area.reach_km()
