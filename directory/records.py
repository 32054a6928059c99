"""A provider record as people write it (CSV row, form, JSON) and its validation.

``clean_record`` turns loose text into a ``ProviderRecord`` or reports every bad field at
once, in French, so one pass over a file or a form tells the person all that is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import msgspec
from rapidfuzz.distance import Levenshtein

from directory import catalogue, validation
from directory.validation import InvalidValue
from geo import Address, Gazetteer, Geocoder, Place
from geo.names import normalize

# The CSV columns, in order; lists are separated by ";".
COLUMNS = (
    "slug", "kind", "legal_name", "trade_name", "siret", "description", "website", "email", "phone",
    "street", "postal_code", "commune", "insee_code", "latitude", "longitude", "service_radius_km",
    "service_departements", "on_site", "remote", "services", "sectors", "team_size", "languages",
    "year_founded", "logo_url", "state",
)
REQUIRED = ("kind", "legal_name", "siret", "postal_code")
MULTILINE = frozenset({"description"})
LIST_SEPARATOR = ";"
MAX_RADIUS_KM = 1000
TYPOS_IN_COMMUNE = 2


class ProviderRecord(msgspec.Struct, kw_only=True):
    """A validated provider, ready to be written; place fields come from the gazetteer.

    An empty slug means "make one from the trade name and the commune" when saving.
    """

    slug: str
    kind: str
    legal_name: str
    trade_name: str
    siret: str
    description: str = ""
    website: str = ""
    email: str = ""
    phone: str = ""
    street: str = ""
    postal_code: str
    commune: str
    insee_code: str
    departement: str
    region: str
    latitude: float
    longitude: float
    service_radius_km: int | None = None
    service_departements: list[str] = []
    on_site: bool = True
    remote: bool = False
    services: list[str] = []
    sectors: list[str] = []
    team_size: str = ""
    languages: list[str] = []
    year_founded: int | None = None
    logo_url: str = ""
    state: str = catalogue.PUBLISHED


class RecordError(ValueError):
    """A record has invalid fields: ``errors`` maps each field to its French message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


def slugify(text: str) -> str:
    """A URL-safe, accent-free slug."""
    return "-".join(normalize(text).replace("&", " ").split())[:100].strip("-")


def _split(value: str) -> list[str]:
    return [item.strip() for item in (value or "").split(LIST_SEPARATOR) if item.strip()]


def _choices(value: str, allowed, label: str) -> list[str]:
    items = _split(value)
    unknown = [item for item in items if item not in allowed]
    if unknown:
        raise InvalidValue(f"{label} inconnu(s) : {', '.join(unknown)}.")
    return list(dict.fromkeys(items))


def _flag(value: str, default: bool) -> bool:
    lowered = (value or "").strip().lower()
    if not lowered:
        return default
    if lowered in ("1", "true", "oui", "yes", "vrai", "o"):
        return True
    if lowered in ("0", "false", "non", "no", "faux", "n"):
        return False
    raise InvalidValue("Valeur attendue : oui ou non.")


def _optional_int(value: str, low: int, high: int, message: str) -> int | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        raise InvalidValue(message) from None
    if not low <= number <= high:
        raise InvalidValue(message)
    return number


def _coordinate(value: str, low: float, high: float) -> float | None:
    text = (value or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise InvalidValue("Coordonnée invalide.") from None
    if not low <= number <= high:
        raise InvalidValue("Coordonnée hors limites.")
    return number


def resolve_place(postal_code: str, commune: str, insee_code: str, gazetteer: Gazetteer) -> Place:
    """Find the commune a record names, by INSEE code or by postal code and name."""
    if insee_code:
        place = gazetteer.commune(validation.insee_code(insee_code))
        if place is None:
            raise InvalidValue("Code commune INSEE inconnu.")
        if postal_code not in place.postal_codes:
            raise InvalidValue(f"Le code postal {postal_code} ne correspond pas à {place.name}.")
        return place
    candidates = gazetteer.postal_code(postal_code)
    if not candidates:
        raise InvalidValue(f"Code postal {postal_code} inconnu.")
    if not commune.strip():
        if len(candidates) == 1:
            return candidates[0]
        names = ", ".join(place.name for place in candidates[:8])
        raise InvalidValue(f"Plusieurs communes ont le code postal {postal_code} : précisez la commune ({names}).")
    named = [place for place in candidates if _names(place, commune, gazetteer)]
    if len(named) == 1:
        return named[0]
    names = ", ".join(place.name for place in candidates[:8])
    raise InvalidValue(f"La commune « {commune.strip()[:60]} » n'a pas le code postal {postal_code} ({names}).")


def _names(place: Place, commune: str, gazetteer: Gazetteer) -> bool:
    """Whether ``commune`` names ``place``: its name or a former one, with a slip of a letter or two.

    "Paris", "Lyon" and "Marseille" name each of their arrondissements.
    """
    for named in gazetteer.named(commune):
        if named.insee_code == place.insee_code:
            return True
        if named.kind == "city" and place.kind == "arrondissement" and place.name.startswith(named.name):
            return True
    wanted, name = normalize(commune), normalize(place.name)
    return len(name) >= 5 and Levenshtein.distance(wanted, name, score_cutoff=TYPOS_IN_COMMUNE) <= TYPOS_IN_COMMUNE


def clean_record(row: Mapping[str, str], gazetteer: Gazetteer, geocoder: Geocoder | None = None) -> ProviderRecord:
    """Validate a loose mapping of text fields; raise ``RecordError`` listing every bad field.

    Coordinates given in the row win; otherwise ``geocoder`` places the street address,
    and without one the record takes its commune's point.
    """
    errors: dict[str, str] = {}
    values: dict[str, object] = {}

    for field, value in row.items():
        try:
            validation.plain_text(value or "", multiline=field in MULTILINE)
        except InvalidValue as error:
            errors[field] = str(error)

    def take(field: str, check) -> None:
        if field in errors:
            return
        try:
            values[field] = check((row.get(field) or "").strip())
        except InvalidValue as error:
            errors[field] = str(error)

    for field in REQUIRED:
        if not (row.get(field) or "").strip():
            errors.setdefault(field, "Champ obligatoire.")

    take("kind", _one_of(catalogue.KINDS, "Type inconnu : reseller ou web_agency."))
    take("legal_name", lambda v: _length(v, 200))
    take("trade_name", lambda v: _length(v, 200))
    take("siret", lambda v: validation.siret(v) if v else "")
    take("description", lambda v: _length(v, 5000))
    take("website", validation.website)
    take("email", validation.email)
    take("phone", validation.phone)
    take("street", lambda v: _length(v, 200))
    take("postal_code", lambda v: validation.postal_code(v) if v else "")
    take("latitude", lambda v: _coordinate(v, -90, 90))
    take("longitude", lambda v: _coordinate(v, -180, 180))
    take("service_radius_km", lambda v: _optional_int(v, 1, MAX_RADIUS_KM, f"Rayon entre 1 et {MAX_RADIUS_KM} km."))
    take("service_departements", lambda v: _choices(v, gazetteer.departements(), "Département(s)"))
    take("on_site", lambda v: _flag(v, True))
    take("remote", lambda v: _flag(v, False))
    take("services", lambda v: _choices(v, catalogue.SERVICE_SLUGS, "Service(s)"))
    take("sectors", lambda v: _choices(v, catalogue.SECTORS, "Secteur(s)"))
    take("team_size", _one_of(catalogue.TEAM_SIZES, "Taille d'équipe inconnue."))
    take("languages", lambda v: _choices(v, catalogue.LANGUAGES, "Langue(s)") or ["fr"])
    take("year_founded", lambda v: _optional_int(v, 1900, date.today().year, "Année de création invalide."))
    take("logo_url", validation.website)
    take("state", _one_of(catalogue.STATES, "État inconnu.", default=catalogue.PUBLISHED))
    take("slug", lambda v: _slug(v) if v else "")

    place = None
    if not errors.keys() & {"postal_code", "commune", "insee_code"} and values.get("postal_code"):
        try:
            place = resolve_place(values["postal_code"], row.get("commune") or "", row.get("insee_code") or "",
                                  gazetteer)
        except InvalidValue as error:
            errors["commune" if (row.get("commune") or "").strip() else "postal_code"] = str(error)
    if errors:
        raise RecordError(errors)

    assert place is not None  # postal_code is required, so a place was found or an error recorded
    trade_name = values["trade_name"] or values["legal_name"]
    lat, lon = values["latitude"], values["longitude"]
    if lat is None or lon is None:
        located = geocoder.locate(Address(values["street"], values["postal_code"], place.name)) if geocoder else None
        lat, lon = (located.lat, located.lon) if located else (place.lat, place.lon)
    return ProviderRecord(
        **{k: v for k, v in values.items() if k not in ("latitude", "longitude", "slug", "trade_name")},
        slug=values["slug"],
        trade_name=trade_name,
        commune=place.name,
        insee_code=place.insee_code,
        departement=place.departement,
        region=place.region,
        latitude=lat,
        longitude=lon,
    )


def _one_of(allowed, message: str, default: str = ""):
    """A checker that accepts an empty value (as ``default``) or one of ``allowed``."""

    def check(value: str) -> str:
        if not value:
            return default
        if value not in allowed:
            raise InvalidValue(message)
        return value

    return check


def _length(value: str, limit: int) -> str:
    if len(value) > limit:
        raise InvalidValue(f"{limit} caractères au plus.")
    return value


def _slug(value: str) -> str:
    if slugify(value) != value:
        raise InvalidValue("Identifiant invalide : lettres minuscules, chiffres et tirets.")
    return value


def record_to_row(record: ProviderRecord) -> dict[str, str]:
    """The CSV row of a record: the inverse of ``clean_record``."""
    row = {}
    for column in COLUMNS:
        value = getattr(record, column)
        if isinstance(value, list):
            row[column] = LIST_SEPARATOR.join(value)
        elif isinstance(value, bool):
            row[column] = "oui" if value else "non"
        elif value is None:
            row[column] = ""
        else:
            row[column] = str(value)
    return row
