"""The demo network: 500 resellers and 2,500 web agencies, the same on every run and machine.

Everything comes from one seeded ``random.Random``; the places come from the gazetteer,
weighted by population, with at least one provider in every région (overseas included).
No two firms share a trade name within a département, a street address, a web address or a
SIRET: a draw already taken is drawn again.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

import msgspec

from directory import catalogue
from directory.records import ProviderRecord
from directory.validation import InvalidValue, luhn_key, phone
from geo import Gazetteer, Place, of_name
from geo.names import fold

SEED = 20261126
MAX_DRAWS = 1000
T = TypeVar("T")
RESELLERS = 500
WEB_AGENCIES = 2500

SURNAMES = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau", "Laurent",
    "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier", "Girard",
    "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Lefevre", "Faure", "Andre",
    "Mercier", "Blanc", "Guerin", "Boyer", "Garnier", "Chevalier", "Francois", "Legrand", "Gauthier", "Garcia",
    "Perrin", "Robin", "Clement", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson",
    "Le Gall", "Le Goff", "Kerjean", "Etcheverry", "Pujol", "Santoni", "Payet", "Hoarau", "Jean-Baptiste", "Nativel",
)
RESELLER_NAMES = (
    "{surname} Informatique", "Micro {place}", "{place} Bureautique", "Info Services {place}",
    "{surname} Systèmes", "Net & Poste {place}", "Atelier Informatique {surname}", "{place} Micro Services",
    "Réseaux {surname}", "{surname} Télécom & Informatique", "Proxi Info {place}", "Bureau Connecté {place}",
)
AGENCY_WORDS = (
    "Pixel", "Boussole", "Colibri", "Lumen", "Azur", "Sillage", "Canopée", "Écume", "Mistral", "Galet",
    "Hibiscus", "Lavande", "Granit", "Pollen", "Cerf-Volant", "Origami", "Tilleul", "Marée", "Volubilis", "Ardoise",
    "Comète", "Phare", "Alizé", "Ginkgo", "Basalte", "Cobalt", "Quartz", "Saule", "Vanille", "Zénith",
    "Embruns", "Olivier", "Hirondelle", "Aquarelle", "Boréal", "Campanule", "Étincelle", "Fougère", "Iris", "Myrtille",
    "Nacre", "Opale", "Passerelle", "Rivage", "Séquoia", "Tournesol", "Ubac", "Vigie", "Estran", "Cairn",
)
AGENCY_NAMES = (
    "Agence {word}", "{word} Digital", "Studio {word}", "{word} Web", "Les Ateliers {word}", "{word} & Co",
    "{word} Création", "Agence {word} {place}", "{surname} Web Design", "{word} Communication",
)
LEGAL_FORMS = ("SARL", "SAS", "SASU", "EURL", "SARL", "SAS")
STREETS = (
    "rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "boulevard Gambetta", "rue du Général de Gaulle",
    "rue Pasteur", "place de la Mairie", "rue des Écoles", "avenue de la Gare", "rue du Commerce",
    "zone artisanale des Prés", "rue de la Liberté", "chemin des Vignes", "rue Nationale", "allée des Tilleuls",
)
# The start of a région's numbers and how many digits follow; the overseas collectivities
# with a country code of their own are dialled in international form.
PHONE_PLAN_BY_REGION = {
    "11": ("01", 8), "24": ("02", 8), "28": ("02", 8), "52": ("02", 8), "53": ("02", 8), "27": ("03", 8),
    "32": ("03", 8), "44": ("03", 8), "84": ("04", 8), "93": ("04", 8), "94": ("04", 8), "75": ("05", 8),
    "76": ("05", 8), "01": ("0590", 6), "02": ("0596", 6), "03": ("0594", 6), "04": ("0262", 6),
    "06": ("0269", 6), "975": ("+508 41", 4), "977": ("0590 27", 4), "978": ("0590 87", 4),
    "986": ("+681 72", 4), "987": ("+689 40", 6), "988": ("+687 2", 5),
}
SECTOR_SLUGS = tuple(catalogue.SECTORS)
REGIONAL_LANGUAGES = {"53": "br", "76": "oc", "94": "co", "04": "rcf", "01": "gcf"}


def _services_for(kind: str) -> tuple[list[str], list[str]]:
    typical = [s.slug for s in catalogue.SERVICES if s.kind == kind]
    shared = [s.slug for s in catalogue.SERVICES if s.kind == "both"]
    return typical, shared


def _siret(rng: random.Random) -> str:
    """A SIRET whose SIREN and SIRET both pass the Luhn check."""
    body = str(rng.randint(30_000_000, 99_999_999))
    return luhn_key(luhn_key(body) + "000" + str(rng.randint(1, 9)))


def _claim(candidates: Iterable[T], taken: set[T]) -> T:
    """The first candidate nobody has yet, now taken: two firms never share a name in a
    département, a SIRET, a street address or a web address."""
    for candidate in itertools.islice(candidates, MAX_DRAWS):
        if candidate not in taken:
            taken.add(candidate)
            return candidate
    raise RuntimeError(f"no free value in {MAX_DRAWS} draws: the demo's word lists are too short")


def _draws(draw: Callable[[], T]) -> Iterator[T]:
    """``draw()`` again and again (each call advances the seeded generator)."""
    while True:
        yield draw()


@dataclass
class _Taken:
    """What the records drawn so far already hold."""

    sirets: set[str] = field(default_factory=set)
    names: set[tuple[str, str]] = field(default_factory=set)  # (département, trade name)
    addresses: set[tuple[str, str, str]] = field(default_factory=set)  # (street, postal code, commune)
    domains: set[str] = field(default_factory=set)


def _phone(rng: random.Random, region: str) -> str:
    """A number of the région's prefix in a range actually allocated (as the import checks)."""
    prefix, length = PHONE_PLAN_BY_REGION.get(region, ("09", 8))
    while True:
        digits = prefix + "".join(str(rng.randint(0, 9)) for _ in range(length))
        try:
            return phone(digits)
        except InvalidValue:
            continue




def _description(rng: random.Random, kind: str, name: str, place: Place, of_departement: str, services: list[str],
                 sectors: list[str]) -> str:
    offered = ", ".join(_lower_first(catalogue.SERVICE_LABELS[s]) for s in services[:3])
    clients = ", ".join(_lower_first(catalogue.SECTORS[s]) for s in sectors[:3])
    if kind == catalogue.RESELLER:
        opening = rng.choice((
            f"{name} équipe et dépanne les TPE {of_name(place.name)} et des environs.",
            f"Revendeur informatique installé à {place.name}, {name} accompagne artisans et commerçants au quotidien.",
            f"Depuis {place.name}, {name} installe, sécurise et entretient le parc informatique des petites entreprises.",
        ))
    else:
        opening = rng.choice((
            f"{name} conçoit des sites web clairs et efficaces pour les petites entreprises {of_departement}.",
            f"Agence web basée à {place.name}, {name} aide les TPE à se faire connaître en ligne.",
            f"{name} met le numérique à la portée des indépendants : un site, une présence en ligne, des clients.",
        ))
    return f"{opening} Nos spécialités : {offered}. Nos clients : {clients}."


def _lower_first(label: str) -> str:
    return label[:1].lower() + label[1:]


def _place_sequence(rng: random.Random, gazetteer: Gazetteer, count: int) -> list[Place]:
    """``count`` inhabited places weighted by population, the first ones covering every région."""
    # The arrondissements stand for their cities; nobody runs a business where nobody lives.
    places = [p for p in gazetteer.places() if p.kind != "city" and p.population]
    by_region: dict[str, list[Place]] = {}
    for place in places:
        by_region.setdefault(place.region, []).append(place)
    chosen = []
    for region in sorted(by_region):
        candidates = by_region[region]
        weights = [p.population for p in candidates]
        chosen.append(rng.choices(candidates, weights=weights)[0])
    weights = [p.population for p in places]
    chosen.extend(rng.choices(places, weights=weights, k=count - len(chosen)))
    return chosen


def _trade_name(rng: random.Random, kind: str, place: str) -> str:
    surname = rng.choice(SURNAMES)
    if kind == catalogue.RESELLER:
        return rng.choice(RESELLER_NAMES).format(surname=surname, place=place)
    return rng.choice(AGENCY_NAMES).format(word=rng.choice(AGENCY_WORDS), surname=surname, place=place)


def _domain(trade_name: str, place: str, departement: str) -> Iterator[str]:
    """The web addresses a firm would try, its bare name first, then with its town, its département."""
    def label(text: str) -> str:
        return "".join(c for c in fold(text) if c.isalnum())[:30]
    base = label(trade_name) or "contact"
    yield base
    yield f"{base}-{label(place)}"
    for n in itertools.count(1):
        yield f"{base}-{departement.lower()}" + (f"-{n}" if n > 1 else "")


def _record(rng: random.Random, kind: str, place: Place, gazetteer: Gazetteer, taken: _Taken) -> ProviderRecord:
    short_place = place.name.split(" ")[0] if " Arrondissement" in place.name else place.name
    _, trade_name = _claim(_draws(lambda: (place.departement, _trade_name(rng, kind, short_place))), taken.names)
    typical, shared = _services_for(kind)
    services = sorted(rng.sample(typical, rng.randint(2, min(6, len(typical)))) + rng.sample(shared, rng.randint(0, 2)),
                      key=[s.slug for s in catalogue.SERVICES].index)
    sectors = rng.sample(SECTOR_SLUGS, rng.randint(1, 4))
    departements = [place.departement]
    if rng.random() < 0.35:
        neighbours = sorted(code for code, (_, region) in gazetteer.departements().items()
                            if region == place.region and code != place.departement)
        departements += rng.sample(neighbours, min(len(neighbours), rng.randint(1, 2)))
    languages = ["fr"]
    if rng.random() < 0.3:
        languages.append("en")
    if place.region in REGIONAL_LANGUAGES and rng.random() < 0.3:
        languages.append(REGIONAL_LANGUAGES[place.region])
    domain = _claim(_domain(trade_name, short_place, place.departement), taken.domains)
    postal_code = place.postal_codes[0] if place.postal_codes else ""
    street, _, _ = _claim(_draws(lambda: (f"{rng.randint(1, 120)} {rng.choice(STREETS)}", postal_code, place.name)),
                          taken.addresses)
    on_site = kind == catalogue.RESELLER or rng.random() < 0.5
    return ProviderRecord(
        slug="",
        kind=kind,
        legal_name=f"{trade_name.upper()} {rng.choice(LEGAL_FORMS)}",
        trade_name=trade_name,
        siret=_claim(_draws(lambda: _siret(rng)), taken.sirets),
        description=_description(rng, kind, trade_name, place, gazetteer.of_departement(place.departement), services,
                                 sectors),
        website=f"https://www.{domain}.fr",
        email=f"contact@{domain}.fr",
        phone=_phone(rng, place.region),
        street=street,
        postal_code=postal_code,
        commune=place.name,
        insee_code=place.insee_code,
        departement=place.departement,
        region=place.region,
        latitude=place.lat,
        longitude=place.lon,
        # Only providers that come on site have a radius around their office.
        service_radius_km=rng.choice((10, 15, 20, 30, 40, 50, 80)) if on_site and rng.random() < 0.7 else None,
        service_departements=departements,
        on_site=on_site,
        remote=kind == catalogue.WEB_AGENCY or rng.random() < 0.6,
        services=services,
        sectors=sectors,
        team_size=rng.choice(tuple(catalogue.TEAM_SIZES)[:5]),
        languages=languages,
        year_founded=rng.randint(1985, 2024),
        logo_url="",
        state=catalogue.PUBLISHED,
    )


def demo_records(gazetteer: Gazetteer, seed: int = SEED) -> list[ProviderRecord]:
    """The demo network, resellers first; the same list for the same seed, everywhere."""
    rng = random.Random(seed)
    total = RESELLERS + WEB_AGENCIES
    kinds = [catalogue.RESELLER] * RESELLERS + [catalogue.WEB_AGENCY] * WEB_AGENCIES
    places = _place_sequence(rng, gazetteer, total)
    order = list(range(total))
    rng.shuffle(order)  # spread the région-covering places over both kinds
    taken = _Taken()
    return [_record(rng, kinds[i], places[order[i]], gazetteer, taken) for i in range(total)]


def checksum(records: list[ProviderRecord]) -> str:
    """A short fingerprint of a list of records, to check two runs gave the same network."""
    return hashlib.sha256(msgspec.json.encode(records)).hexdigest()[:16]


def iter_kinds(records: list[ProviderRecord]) -> Iterator[tuple[str, int]]:
    for kind in catalogue.KINDS:
        yield kind, sum(1 for r in records if r.kind == kind)
