"""Open Badges 3.0 credentials: building them, signing and checking their proof, status lists
(``verification`` puts the checks together).

Pure functions over JSON documents, with no database and no network, so that the site, the
``badges verify`` command and a test all check a credential the same way.

- A credential is a W3C Verifiable Credential 2.0 of type ``OpenBadgeCredential``, signed by
  a Data Integrity proof with the ``eddsa-jcs-2022`` cryptosuite: the Ed25519 signature covers
  SHA-256 of the JCS-canonical proof options followed by SHA-256 of the JCS-canonical
  credential without its proof. JCS (RFC 8785) needs no JSON-LD processing, so nothing is
  fetched to check a proof. ``tests/plugins/badges`` checks this against the specification's vectors.
- Keys are Ed25519 ``Multikey``: multibase base58-btc (``z…``) of a multicodec prefix
  (``0xed01`` public, ``0x8026`` secret) and the 32 key bytes.
- Revocation and suspension are Bitstring Status Lists: a credential names an index in a
  list of each purpose (``credentialStatus``, one entry per purpose); a list is a signed
  credential whose ``encodedList`` is the GZIP-compressed bitstring in multibase base64url
  (``u…``), the first index being the most significant bit of the first byte. Revocation is
  for ever; suspension may be lifted. Credentials issued before suspension existed name only
  a revocation list, and are checked against it alone.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import base58
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CREDENTIAL_CONTEXTS = [VC_CONTEXT, OB_CONTEXT]
CID_CONTEXT = "https://www.w3.org/ns/cid/v1"
CRYPTOSUITE = "eddsa-jcs-2022"
PUBLIC_PREFIX = b"\xed\x01"
SECRET_PREFIX = b"\x80\x26"
# The smallest list the specification allows (16 KiB), so that one index says nothing of its holder.
STATUS_LIST_BITS = 131_072
REVOCATION, SUSPENSION = "revocation", "suspension"
PURPOSES = (REVOCATION, SUSPENSION)  # checked in this order: a revoked credential is said revoked
PARIS = ZoneInfo("Europe/Paris")


class CredentialError(ValueError):
    """A key or a document that cannot be read as what it claims to be."""


# Keys ----------------------------------------------------------------------------------------

def public_multibase(key: Ed25519PublicKey) -> str:
    return "z" + base58.b58encode(PUBLIC_PREFIX + key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def secret_multibase(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return "z" + base58.b58encode(SECRET_PREFIX + raw).decode()


def _multikey_bytes(text: str, prefix: bytes) -> bytes:
    if not isinstance(text, str) or not text.startswith("z"):
        raise CredentialError("une clé Multikey commence par « z » (base58-btc)")
    try:
        decoded = base58.b58decode(text[1:])
    except ValueError:
        raise CredentialError("une clé Multikey doit être en base58-btc") from None
    if len(decoded) != 34 or not decoded.startswith(prefix):
        raise CredentialError("ce n'est pas une clé Ed25519 au format Multikey")
    return decoded[2:]


def public_key(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_multikey_bytes(text, PUBLIC_PREFIX))


def secret_key(text: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_multikey_bytes(text.strip(), SECRET_PREFIX))


# Proofs --------------------------------------------------------------------------------------

def _hash_data(document: dict[str, Any], options: dict[str, Any]) -> bytes:
    return hashlib.sha256(rfc8785.dumps(options)).digest() + hashlib.sha256(rfc8785.dumps(document)).digest()


def sign(document: dict[str, Any], key: Ed25519PrivateKey, verification_method: str, created: datetime) -> dict[str, Any]:
    """``document`` with an ``eddsa-jcs-2022`` proof by ``key``, named ``verification_method``."""
    unsecured = {name: value for name, value in document.items() if name != "proof"}
    options: dict[str, Any] = {
        "type": "DataIntegrityProof", "cryptosuite": CRYPTOSUITE, "created": iso(created),
        "verificationMethod": verification_method, "proofPurpose": "assertionMethod",
    }
    if "@context" in unsecured:
        options["@context"] = unsecured["@context"]
    signature = key.sign(_hash_data(unsecured, options))
    return {**unsecured, "proof": {**options, "proofValue": "z" + base58.b58encode(signature).decode()}}


def proof_failure(document: Any, resolve: Callable[[str], Ed25519PublicKey | None]) -> str | None:
    """Why ``document``'s proof does not hold, in French; None when it does.

    :param resolve: the public key a verification method names, or None when it is unknown.
    """
    if not isinstance(document, dict):
        return "Ce n'est pas une attestation : un objet JSON est attendu."
    proof = document.get("proof")
    if not isinstance(proof, dict):
        return "L'attestation n'est pas signée : elle n'a pas de preuve (« proof »)."
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != CRYPTOSUITE:
        return f"La preuve n'est pas du type attendu (DataIntegrityProof, {CRYPTOSUITE})."
    if proof.get("proofPurpose") != "assertionMethod":
        return "La preuve n'a pas été faite pour attester (proofPurpose « assertionMethod » attendu)."
    unsecured = {name: value for name, value in document.items() if name != "proof"}
    options = {name: value for name, value in proof.items() if name != "proofValue"}
    if "@context" in options and options["@context"] != unsecured.get("@context"):
        return "Le contexte de la preuve ne correspond pas à celui de l'attestation."
    method = proof.get("verificationMethod")
    key = resolve(method) if isinstance(method, str) else None
    if key is None:
        return "L'attestation est signée par une clé que ce réseau n'a pas publiée."
    value = proof.get("proofValue")
    try:
        signature = base58.b58decode(value[1:]) if isinstance(value, str) and value.startswith("z") else b""
        key.verify(signature, _hash_data(unsecured, options))
    except (InvalidSignature, ValueError):
        return "La signature ne correspond pas : l'attestation a été modifiée après sa signature, ou signée par une autre clé."
    return None


# Dates ---------------------------------------------------------------------------------------

def iso(moment: datetime) -> str:
    """A moment as credentials write it: UTC, to the second, with ``Z``."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_moment(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)  # "Z" included, since Python 3.11
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def french_date(moment: datetime) -> str:
    return moment.astimezone(PARIS).strftime("%d/%m/%Y")


def date_failure(document: dict[str, Any], now: datetime) -> str | None:
    """Why ``document`` is not valid at ``now`` (not yet, or no longer), in French; None when it is."""
    valid_from = parse_moment(document.get("validFrom"))
    if valid_from is None:
        return "La date de début de validité (« validFrom ») manque ou est illisible."
    if now < valid_from:
        return f"L'attestation ne sera valable qu'à partir du {french_date(valid_from)}."
    if "validUntil" in document:
        valid_until = parse_moment(document["validUntil"])
        if valid_until is None:
            return "La date de fin de validité (« validUntil ») est illisible."
        if now >= valid_until:
            return f"L'attestation a expiré le {french_date(valid_until)}."
    return None


# Documents -----------------------------------------------------------------------------------

def open_badge_credential(*, credential_id: str, issuer: dict[str, Any], achievement: dict[str, Any],
                          subject_id: str, subject_name: str, valid_from: datetime, valid_until: datetime | None,
                          evidence: list[str], status: dict[str, Any] | list[dict[str, Any]]) -> dict[str, Any]:
    """An unsigned ``OpenBadgeCredential``: ``achievement`` awarded by ``issuer`` to a subject.

    :param status: its ``credentialStatus``: one ``status_entry``, or one per purpose.
    """
    credential: dict[str, Any] = {
        "@context": list(CREDENTIAL_CONTEXTS),
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer,
        "validFrom": iso(valid_from),
        "name": achievement["name"],
        "credentialSubject": {
            "id": subject_id, "type": ["AchievementSubject"], "name": subject_name, "achievement": achievement,
        },
        "credentialStatus": status,
    }
    if valid_until is not None:
        credential["validUntil"] = iso(valid_until)
    if evidence:
        credential["evidence"] = [{"id": url, "type": ["Evidence"]} for url in evidence]
    return credential


def shape_failure(document: dict[str, Any]) -> str | None:
    """Why ``document`` is not an Open Badges 3.0 credential (its required contexts, types and fields)."""
    context = document.get("@context")
    if not isinstance(context, list) or context[:1] != [VC_CONTEXT] or OB_CONTEXT not in context:
        return "Les contextes attendus (Verifiable Credentials 2.0 puis Open Badges 3.0) manquent."
    types = document.get("type")
    if not isinstance(types, list) or not {"VerifiableCredential", "OpenBadgeCredential"} <= set(types):
        return "Ce n'est pas un badge : le type « OpenBadgeCredential » manque."
    for field in ("id", "issuer", "validFrom", "name", "credentialSubject"):
        if field not in document:
            return f"Le champ obligatoire « {field} » manque."
    issuer, subject = document["issuer"], document["credentialSubject"]
    if not isinstance(issuer, dict) or not isinstance(issuer.get("id"), str) or "Profile" not in issuer.get("type", ()):
        return "L'émetteur doit être un profil (« Profile ») avec un identifiant."
    if not isinstance(subject, dict) or "AchievementSubject" not in subject.get("type", ()):
        return "Le titulaire doit être un « AchievementSubject »."
    achievement = subject.get("achievement")
    if not isinstance(achievement, dict) or "Achievement" not in achievement.get("type", ()) \
            or not all(isinstance(achievement.get(field), (str, dict)) for field in ("id", "name", "description", "criteria")):
        return "Le badge décrit (« achievement ») doit avoir un identifiant, un nom, une description et des critères."
    return None


def issuer_of(document: dict[str, Any]) -> str | None:
    issuer = document.get("issuer")
    issuer = issuer.get("id") if isinstance(issuer, dict) else issuer
    return issuer if isinstance(issuer, str) else None


# Status lists --------------------------------------------------------------------------------

def encode_status_list(revoked: set[int], size: int = STATUS_LIST_BITS) -> str:
    """The ``encodedList`` of a list of ``size`` bits where the ``revoked`` indexes are set."""
    bits = bytearray(size // 8)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode().rstrip("=")


def decode_status_list(encoded: str) -> bytes:
    """The bitstring of an ``encodedList`` (accepting the multibase ``u`` or a bare base64url)."""
    text = encoded.removeprefix("u")
    try:
        bits = gzip.decompress(base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True))
    except (ValueError, OSError, EOFError):
        bits = b""
    if not bits:
        raise CredentialError("la liste de statuts est illisible")
    return bits


def bit_set(bits: bytes, index: int) -> bool:
    if not 0 <= index < len(bits) * 8:
        raise CredentialError(f"l'index {index} sort de la liste de statuts")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def status_entry(list_url: str, index: int, purpose: str = REVOCATION) -> dict[str, Any]:
    """A ``credentialStatus`` entry: where a credential's bit of ``purpose`` lives."""
    return {"id": f"{list_url}#{index}", "type": "BitstringStatusListEntry", "statusPurpose": purpose,
            "statusListIndex": str(index), "statusListCredential": list_url}


def status_list_credential(list_url: str, issuer: dict[str, Any], encoded: str, valid_from: datetime,
                           purpose: str = REVOCATION) -> dict[str, Any]:
    """An unsigned ``BitstringStatusListCredential`` publishing ``encoded`` for ``purpose``."""
    return {
        "@context": [VC_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer["id"],
        "validFrom": iso(valid_from),
        "credentialSubject": {"id": f"{list_url}#list", "type": "BitstringStatusList",
                              "statusPurpose": purpose, "encodedList": encoded},
    }


def status_references(document: dict[str, Any]) -> dict[str, tuple[str, int]]:
    """The (status list URL, index) a credential names for each purpose it uses (the first entry of each)."""
    status = document.get("credentialStatus")
    found: dict[str, tuple[str, int]] = {}
    for entry in status if isinstance(status, list) else [status]:
        if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry" \
                or entry.get("statusPurpose") not in PURPOSES or entry["statusPurpose"] in found:
            continue
        try:
            found[entry["statusPurpose"]] = str(entry["statusListCredential"]), int(entry["statusListIndex"])
        except (KeyError, ValueError, TypeError):
            continue
    return found
