"""The review form: what a TPE may send, checked field by field with French messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

CRITERIA = {"quality": "Qualité du travail", "deadlines": "Respect des délais", "price": "Prix",
            "support": "Accompagnement"}
RATED = ("rating", *CRITERIA)
TEXT_MIN, TEXT_MAX = 20, 4000
EARLIEST = timedelta(days=90)  # the work may have started a little before the request was accepted


class FormErrors(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class ReviewInput:
    rating: int
    quality: int
    deadlines: int
    price: int
    support: int
    text: str
    worked_on: date


def _mark(raw: str) -> int | None:
    return int(raw) if raw in ("1", "2", "3", "4", "5") else None


def clean(values: dict[str, str], accepted_at: datetime, today: date) -> ReviewInput:
    """The review ``values`` describe, or ``FormErrors`` naming each faulty field."""
    errors: dict[str, str] = {}
    marks = {name: _mark(values.get(name, "")) for name in RATED}
    for name, mark in marks.items():
        if mark is None:
            errors[name] = "Choisissez une note de 1 à 5."
    text = values.get("text", "").replace("\r\n", "\n").strip()
    if "\x00" in text:
        errors["text"] = "Le texte contient un caractère invalide."
    elif not TEXT_MIN <= len(text) <= TEXT_MAX:
        errors["text"] = f"Votre avis fait entre {TEXT_MIN} et {TEXT_MAX} caractères."
    worked_on = None
    try:
        worked_on = date.fromisoformat(values.get("worked_on", "").strip())
    except ValueError:
        errors["worked_on"] = "Donnez la date des travaux (jour, mois, année)."
    if worked_on and not (accepted_at.date() - EARLIEST) <= worked_on <= today:
        errors["worked_on"] = "La date des travaux se situe entre votre demande et aujourd'hui."
    if errors:
        raise FormErrors(errors)
    return ReviewInput(text=text, worked_on=worked_on, **marks)  # type: ignore[arg-type] - all checked above
