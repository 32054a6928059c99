"""The TPE's request form: its choices, and turning what was typed into a checked request or French errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from directory.plugin_api import catalogue, validation
from geo import Gazetteer, Place, resolve

BUDGETS = {
    "moins-1000": "Moins de 1 000 €",
    "1000-3000": "De 1 000 à 3 000 €",
    "3000-10000": "De 3 000 à 10 000 €",
    "plus-10000": "Plus de 10 000 €",
    "ne-sait-pas": "Je ne sais pas encore",
}
STARTS = {
    "urgent": "Dès que possible",
    "1-mois": "Dans le mois",
    "3-mois": "Dans les trois mois",
    "plus-tard": "Plus tard",
}
LIMITS = {"description": 3000, "company_name": 200, "contact_name": 200, "details": 2000}
MIN_DESCRIPTION = 20


@dataclass(frozen=True)
class LeadRequest:
    """A checked request: what, where (a commune and a point), for whom, how to reach them."""

    services: tuple[str, ...]
    place: Place
    lat: float
    lon: float
    budget: str
    start: str
    company_size: str
    sector: str
    description: str
    company_name: str
    contact_name: str
    contact_email: str
    contact_phone: str


class FormErrors(ValueError):
    """Fields to correct: ``errors`` maps each field to its French message; ``suggestions`` are places."""

    def __init__(self, errors: dict[str, str], suggestions: tuple[Place, ...] = ()) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors
        self.suggestions = suggestions


def _choice(value: str, allowed: Mapping[str, str], required: bool = False) -> str:
    if not value and not required:
        return ""
    if value not in allowed:
        raise validation.InvalidValue("Choisissez une des propositions.")
    return value


def _text(value: str, limit: int, multiline: bool = False, minimum: int = 0, label: str = "") -> str:
    text = validation.plain_text(value.strip(), multiline=multiline)
    if len(text) > limit:
        raise validation.InvalidValue(f"{limit} caractères au plus.")
    if len(text) < minimum:
        raise validation.InvalidValue(label or f"{minimum} caractères au moins.")
    return text


def place_of(text: str, gazetteer: Gazetteer) -> tuple[Place, float, float]:
    """The commune and point ``text`` names (a postal code, a name, "lat,lon"), or ``FormErrors``."""
    found = resolve(gazetteer, text)
    if not found.found or not found.places:
        raise FormErrors({"near": "Lieu introuvable : indiquez un code postal ou une commune."}, found.suggestions)
    if found.ambiguous and found.kind != "postal_code":
        names = ", ".join(place.label for place in found.places[:6])
        raise FormErrors({"near": f"Plusieurs communes portent ce nom : précisez ({names})."}, found.places[:6])
    return found.places[0], found.lat, found.lon


def clean(form: Mapping[str, str], services: list[str], gazetteer: Gazetteer) -> LeadRequest:
    """Check a submitted form; raise ``FormErrors`` naming every field to correct."""
    errors: dict[str, str] = {}
    values: dict[str, object] = {}

    def take(name: str, check) -> None:  # noqa: ANN001 - a checker
        try:
            values[name] = check(form.get(name) or "")
        except validation.InvalidValue as error:
            errors[name] = str(error)

    unknown = [slug for slug in services if slug not in catalogue.SERVICE_SLUGS]
    if not services or unknown or len(services) > 10:
        errors["services"] = "Choisissez au moins un service (dix au plus)."
    take("budget", lambda v: _choice(v, BUDGETS))
    take("start", lambda v: _choice(v, STARTS))
    take("company_size", lambda v: _choice(v, catalogue.TEAM_SIZES))
    take("sector", lambda v: _choice(v, catalogue.SECTORS))
    take("description", lambda v: _text(v, LIMITS["description"], multiline=True, minimum=MIN_DESCRIPTION,
                                         label="Décrivez votre besoin en quelques phrases (20 caractères au moins)."))
    take("company_name", lambda v: _text(v, LIMITS["company_name"]))
    take("contact_name", lambda v: _text(v, LIMITS["contact_name"], minimum=2, label="Indiquez votre nom."))
    take("contact_email", lambda v: validation.email(v) or _missing("Indiquez votre adresse e-mail."))
    take("contact_phone", validation.phone)
    if not form.get("consent"):
        errors["consent"] = "Cochez la case pour accepter que votre demande soit transmise."
    suggestions: tuple[Place, ...] = ()
    place = None
    try:
        place, lat, lon = place_of((form.get("near") or "")[:200], gazetteer)
    except FormErrors as error:
        errors.update(error.errors)
        suggestions = error.suggestions
    if errors:
        raise FormErrors(errors, suggestions)
    return LeadRequest(services=tuple(dict.fromkeys(services)), place=place, lat=lat, lon=lon, **values)


def _missing(message: str) -> str:
    raise validation.InvalidValue(message)
