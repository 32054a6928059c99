"""Passwords: Argon2id hashes with OWASP's parameters, and a policy that refuses weak ones.

OWASP's password storage cheat sheet asks for Argon2id with at least 19 MiB of memory, two
iterations and one degree of parallelism; ``verify`` is argon2-cffi's (constant time), and a
hash made with older parameters is replaced at the next sign-in (``needs_rehash``). Strength
is judged by zxcvbn (dictionaries, keyboard patterns, names, dates), not a hand-typed list,
with the account's own e-mail counted as a known word.
"""

from __future__ import annotations

from functools import cache

import argon2
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 256  # hashing a megabyte of text is a denial of service, not a password
MIN_SCORE = 3  # zxcvbn's "safely unguessable: moderate protection from offline slow-hash attacks"
HASHER = argon2.PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=argon2.Type.ID)


class WeakPassword(ValueError):
    """A password the policy refuses, with the reason in French."""


def check(password: str, known_words: tuple[str, ...] = ()) -> None:
    """Refuse a password that is too short, too long or too easy to guess."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Le mot de passe doit compter au moins {MIN_LENGTH} caractères.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Le mot de passe ne peut pas dépasser {MAX_LENGTH} caractères.")
    lowered = password.lower()
    for word in known_words:  # an e-mail address: its whole user part is as guessable as the address
        user = word.lower().split("@")[0]
        if len(user) >= 4 and user in lowered:
            raise WeakPassword("Le mot de passe ne doit pas reprendre votre adresse e-mail.")
    words = [part for word in known_words for part in word.lower().replace("@", " ").replace(".", " ").split()]
    if zxcvbn(password, user_inputs=words)["score"] < MIN_SCORE:
        raise WeakPassword("Ce mot de passe est trop facile à deviner : évitez les mots courants, les suites de "
                           "clavier, les dates et votre adresse ; une phrase de quatre ou cinq mots convient.")


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches; never raises for a wrong or malformed one."""
    try:
        return HASHER.verify(password_hash, password)
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return HASHER.check_needs_rehash(password_hash)


@cache
def decoy_hash() -> str:
    """Verified when the account does not exist, so that an unknown address takes as long to
    refuse as a wrong password (the same message, the same time). Made on first use: hashing
    costs tens of milliseconds that commands which never sign anyone in should not pay."""
    return HASHER.hash("channel-expert decoy password")
