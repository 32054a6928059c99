"""Checks and normalisation of French business identifiers and contact details.

Each function returns the cleaned value or raises ``InvalidValue`` with a French message,
so the API, the web forms and the CSV import report the same thing in the same words.
Identifiers, phone numbers and e-mail addresses are checked by maintained libraries
(python-stdnum, phonenumbers, email-validator); the messages are ours.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

import email_validator
import phonenumbers
from stdnum import luhn
from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.fr import siret as stdnum_siret

# Where a French number may come from: France, then the overseas départements and
# collectivities, each with its own country code (+590, +262, +508, +687, +689, +681…).
PHONE_REGIONS = ("FR", "GP", "MQ", "GF", "RE", "YT", "BL", "MF", "PM", "WF", "PF", "NC")
# Numbers dialled from France with a leading 0 (France and the overseas départements);
# the collectivities' numbers are written in international form.
NATIONAL_PHONE_REGIONS = frozenset({"FR", "GP", "MQ", "GF", "RE", "YT", "BL", "MF"})
_POSTAL_CODE = re.compile(r"^(?:0[1-9]|[1-8]\d|9[0-8])\d{3}$")
_INSEE_CODE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
# Characters that change how text displays without being seen: bidirectional embeddings,
# overrides and isolates (the "Trojan Source" characters).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class InvalidValue(ValueError):
    """A value a person typed is not acceptable; ``str()`` is the French message."""


# Line and paragraph separators (U+2028, U+2029): invisible, and refused in mail headers, so a
# trade name holding one would break every message whose subject names it.
_SEPARATORS = frozenset({"Zl", "Zp"})


def plain_text(value: str, multiline: bool = False) -> str:
    """``value`` unchanged if it holds no control character (line breaks and tabs allowed when ``multiline``).

    A one-line field refuses every character that breaks a line: controls (``Cc``: CR, LF,
    NEL, vertical tab…) and the Unicode line and paragraph separators (``Zl``, ``Zp``).
    """
    allowed = "\n\t" if multiline else ""
    for char in value:
        category = unicodedata.category(char)
        if char in _BIDI_CONTROLS or (category == "Cc" and char not in allowed):
            raise InvalidValue(f"Caractère de contrôle interdit (U+{ord(char):04X}).")
        if category in _SEPARATORS and not multiline:
            raise InvalidValue(f"Retour à la ligne interdit dans ce champ (U+{ord(char):04X}) : "
                               "écrivez-le sur une seule ligne.")
    return value


def luhn_key(digits: str) -> str:
    """``digits`` followed by its Luhn check digit (SIREN and SIRET keys)."""
    return digits + luhn.calc_check_digit(digits)


def siret(value: str) -> str:
    """A SIRET: 14 digits (spaces allowed) with a valid key; python-stdnum knows La Poste's exception."""
    digits = re.sub(r"[\s.]", "", value or "")
    if not re.fullmatch(r"\d{14}", digits):
        raise InvalidValue("Le SIRET doit comporter 14 chiffres.")
    try:
        return stdnum_siret.validate(digits)
    except InvalidChecksum:
        raise InvalidValue("Ce SIRET n'est pas valide (clé de contrôle incorrecte).") from None
    except ValidationError:
        raise InvalidValue("Ce SIRET n'est pas valide.") from None


def phone(value: str) -> str:
    """A French phone number, of France or overseas; empty stays empty.

    Numbers dialled with a leading 0 are written ``05 56 00 00 00``; those of the overseas
    collectivities (Saint-Pierre-et-Miquelon, Wallis-et-Futuna, Polynesia, New Caledonia)
    in international form, ``+687 28.12.34``.
    """
    raw = (value or "").strip()
    if not raw:
        return ""
    number = _french_number(raw)
    region = phonenumbers.region_code_for_number(number) if number else None
    if number is None or region not in PHONE_REGIONS:
        raise InvalidValue("Ce numéro de téléphone n'est pas un numéro français valide (métropole ou outre-mer).")
    if region in NATIONAL_PHONE_REGIONS:
        digits = "0" + str(number.national_number)
        return " ".join(digits[i:i + 2] for i in range(0, len(digits), 2))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _french_number(raw: str) -> phonenumbers.PhoneNumber | None:
    """The valid number ``raw`` stands for, read as dialled from France or from each territory."""
    for region in PHONE_REGIONS:
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            return None
        if phonenumbers.is_valid_number(number):
            return number
    return None


def email(value: str) -> str:
    """An e-mail address, checked by email-validator (syntax only: no network) and lower-cased."""
    cleaned = (value or "").strip()
    if not cleaned:
        return ""
    try:
        checked = email_validator.validate_email(cleaned, check_deliverability=False)
    except email_validator.EmailNotValidError:
        raise InvalidValue("L'adresse e-mail n'est pas valide.") from None
    if len(checked.normalized) > 254:
        raise InvalidValue("L'adresse e-mail est trop longue.")
    return checked.normalized.lower()


def website(value: str) -> str:
    """A web address; ``https://`` is added when the scheme is missing; empty stays empty."""
    cleaned = (value or "").strip()
    if not cleaned:
        return ""
    if "://" not in cleaned:
        cleaned = "https://" + cleaned
    try:
        parts = urlsplit(cleaned)
    except ValueError:  # a lone "[" or "]" in the host reads as a broken IPv6 address
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or "." not in parts.netloc or " " in cleaned:
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
