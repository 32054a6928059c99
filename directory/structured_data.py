"""What search engines and link previews read of a provider's page: schema.org JSON-LD, OpenGraph.

A TPE often meets a provider through a search engine or a shared link before it meets the
directory: the page says who the provider is, where, and where it comes, in the vocabularies
those services read (schema.org's ``LocalBusiness``; OpenGraph for previews).
"""

from __future__ import annotations

from typing import Any

from directory import catalogue, schemas
from geo import Gazetteer


def local_business(provider: schemas.Provider, page_url: str, gazetteer: Gazetteer) -> dict[str, Any]:
    """The provider as a schema.org ``LocalBusiness``, with its address, point and area served."""
    address = provider.address
    business: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "LocalBusiness",
        "@id": page_url,
        "name": provider.trade_name,
        "legalName": provider.legal_name,
        "description": provider.description,
        "url": provider.website or page_url,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": address.street,
            "postalCode": address.postal_code,
            "addressLocality": address.commune,
            "addressRegion": address.region_name,
            "addressCountry": "FR",
        },
        "knowsLanguage": list(provider.languages),
        "makesOffer": [{"@type": "Offer", "itemOffered": {"@type": "Service", "name": service.label}}
                       for service in provider.services],
    }
    if provider.phone:
        business["telephone"] = provider.phone
    if provider.email:
        business["email"] = provider.email
    if provider.year_founded:
        business["foundingDate"] = str(provider.year_founded)
    if provider.logo_url:
        business["logo"] = provider.logo_url
    point = None
    if provider.latitude is not None and provider.longitude is not None:
        point = {"@type": "GeoCoordinates", "latitude": provider.latitude, "longitude": provider.longitude}
        business["geo"] = point
    business["areaServed"] = _area_served(provider, point, gazetteer)
    return {key: value for key, value in business.items() if value not in ("", [], None)}


def _area_served(provider: schemas.Provider, point: dict[str, Any] | None,
                 gazetteer: Gazetteer) -> list[dict[str, Any]]:
    area = provider.service_area
    if not area.on_site:
        return []
    served: list[dict[str, Any]] = []
    if area.radius_km and point:
        served.append({"@type": "GeoCircle", "geoMidpoint": point, "geoRadius": area.radius_km * 1000})
    names = gazetteer.departements()
    served += [{"@type": "AdministrativeArea", "name": names[code][0]} for code in area.departements if code in names]
    return served


def open_graph(provider: schemas.Provider, page_url: str) -> dict[str, str]:
    """OpenGraph properties for link previews (``og:`` names and their content)."""
    kind = catalogue.KINDS.get(provider.kind, "")
    properties = {
        "og:type": "website",
        "og:site_name": "Channel Expert",
        "og:locale": "fr_FR",
        "og:url": page_url,
        "og:title": f"{provider.trade_name} — {kind} à {provider.address.commune}",
        "og:description": provider.description[:300],
    }
    if provider.logo_url:
        properties["og:image"] = provider.logo_url
    return {key: value for key, value in properties.items() if value}
