"""Passwords (Argon2id, strength) and the first staff account from the command line."""

from __future__ import annotations

import asyncio
import subprocess

import argon2
import pytest

from directory.accounts import passwords
from directory.tables import Account
from directory.testing import STRONG
from tests.conftest import COMMAND


def test_hashes_are_argon2id_with_owasp_parameters_and_verify_in_constant_time():
    hashed = passwords.hash_password(STRONG)
    parameters = argon2.extract_parameters(hashed)
    assert (parameters.type, parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (
        argon2.Type.ID, 19 * 1024, 2, 1)
    assert passwords.verify(hashed, STRONG) and not passwords.verify(hashed, STRONG + "!")
    assert not passwords.verify("not a hash", STRONG)
    assert not passwords.needs_rehash(hashed)
    older = argon2.PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(STRONG)
    assert passwords.needs_rehash(older)


@pytest.mark.parametrize("password, reason", [
    ("court", "au moins 12 caractères"),
    ("motdepasse123", "trop facile"),
    ("azertyuiop1234", "trop facile"),
    ("ada.lovelace@example.fr", "reprendre votre adresse"),
    ("Ada.Lovelace-2026!", "reprendre votre adresse"),
    ("x" * 300, "dépasser 256"),
])
def test_weak_passwords_are_refused_in_french(password, reason):
    with pytest.raises(passwords.WeakPassword, match=reason):
        passwords.check(password, known_words=("ada.lovelace@example.fr",))


def test_a_strong_password_passes():
    passwords.check(STRONG, known_words=("ada.lovelace@example.fr",))


def _staff(email: str):
    return asyncio.run(Account.select(Account.email, Account.is_staff, Account.password_hash).where(
        Account.email == email).first().run())


@pytest.fixture
async def no_accounts(settings):
    await Account.delete(force=True)


def test_staff_add_creates_the_first_staff_account(no_accounts, environment):
    added = subprocess.run([*COMMAND, "staff", "add", "Ada.Lovelace@Example.fr"], env=environment,
                           input=f"{STRONG}\n{STRONG}\n", capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    assert "Compte de l'équipe créé : ada.lovelace@example.fr." in added.stdout
    account = _staff("ada.lovelace@example.fr")
    assert account["is_staff"] and passwords.verify(account["password_hash"], STRONG)
    assert STRONG not in added.stdout + added.stderr

    again = subprocess.run([*COMMAND, "staff", "add", "ada.lovelace@example.fr", "--password", STRONG + " bis"],
                           env=environment, capture_output=True, text=True, timeout=60)
    assert "Compte de l'équipe mis à jour" in again.stdout
    assert passwords.verify(_staff("ada.lovelace@example.fr")["password_hash"], STRONG + " bis")


@pytest.mark.parametrize("email, password, message", [
    ("pas-une-adresse", STRONG, "L'adresse e-mail n'est pas valide."),
    ("bob@example.fr", "motdepasse123", "trop facile à deviner"),
])
def test_staff_add_refuses_bad_input_with_a_french_message(settings, environment, email, password, message):
    refused = subprocess.run([*COMMAND, "staff", "add", email, "--password", password], env=environment,
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and refused.stderr.startswith("Erreur : ") and message in refused.stderr
    assert "Traceback" not in refused.stderr
