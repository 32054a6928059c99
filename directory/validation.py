"""Checks and normalisation of French business identifiers and contact details.

Each function returns the cleaned value or raises ``InvalidValue`` with a French message,
so the API, the web forms and the CSV import report the same thing in the same words.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Many of La Poste's establishments fail the Luhn check: INSEE documents that their digits add up to a multiple of 5.
LA_POSTE_SIREN = "356000000"

# France and its overseas départements: +33, +262 (La Réunion, Mayotte), +590, +594, +596.
_INTERNATIONAL_PHONE = re.compile(r"^(?:\+|00)(?:33|262|590|594|596)(\d{9})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_POSTAL_CODE = re.compile(r"^(?:0[1-9]|[1-8]\d|9[0-8])\d{3}$")
_INSEE_CODE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")


class InvalidValue(ValueError):
    """A value a person typed is not acceptable; ``str()`` is the French message."""


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def siret(value: str) -> str:
    """A SIRET: 14 digits (spaces allowed) that pass the Luhn check, or La Poste's exception."""
    digits = re.sub(r"[\s.]", "", value or "")
    if not re.fullmatch(r"\d{14}", digits):
        raise InvalidValue("Le SIRET doit comporter 14 chiffres.")
    if luhn_ok(digits):
        return digits
    if digits.startswith(LA_POSTE_SIREN) and sum(int(c) for c in digits) % 5 == 0:
        return digits
    raise InvalidValue("Ce SIRET n'est pas valide (clé de contrôle incorrecte).")


def phone(value: str) -> str:
    """A French phone number, metropolitan or overseas, written ``01 23 45 67 89``; empty stays empty."""
    raw = re.sub(r"[\s.\-()/]", "", value or "")
    if not raw:
        return ""
    international = _INTERNATIONAL_PHONE.match(raw)
    if international:
        raw = "0" + international.group(1)
    if not re.fullmatch(r"0[1-9]\d{8}", raw):
        raise InvalidValue("Le numéro de téléphone doit comporter 10 chiffres et commencer par 0.")
    return " ".join(raw[i:i + 2] for i in range(0, 10, 2))


def email(value: str) -> str:
    """An e-mail address, lower-cased; empty stays empty."""
    cleaned = (value or "").strip()
    if not cleaned:
        return ""
    if len(cleaned) > 254 or not _EMAIL.match(cleaned):
        raise InvalidValue("L'adresse e-mail n'est pas valide.")
    return cleaned.lower()


def website(value: str) -> str:
    """A web address; ``https://`` is added when the scheme is missing; empty stays empty."""
    cleaned = (value or "").strip()
    if not cleaned:
        return ""
    if "://" not in cleaned:
        cleaned = "https://" + cleaned
    parts = urlsplit(cleaned)
    if parts.scheme not in ("http", "https") or "." not in parts.netloc or " " in cleaned:
        raise InvalidValue("L'adresse du site web n'est pas valide.")
    if len(cleaned) > 300:
        raise InvalidValue("L'adresse du site web est trop longue.")
    return cleaned


def postal_code(value: str) -> str:
    """A French postal code: five digits, metropolitan or overseas."""
    cleaned = (value or "").strip()
    if not _POSTAL_CODE.match(cleaned):
        raise InvalidValue("Le code postal doit comporter 5 chiffres.")
    return cleaned


def insee_code(value: str) -> str:
    """An INSEE commune code (five characters; 2A/2B for Corsica)."""
    cleaned = (value or "").strip().upper()
    if not _INSEE_CODE.match(cleaned):
        raise InvalidValue("Le code commune INSEE n'est pas valide.")
    return cleaned
