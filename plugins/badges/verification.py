"""Verifying a credential of one issuer: its proof against the issuer's published keys, its
shape and dates, then its status lists (revocation, suspension), with a French reason for
every failure.

Pure as ``credentials``: the caller hands the keys and a way to read a status list (the site
reads its own; ``badges verify`` reads saved files), so every verification says the same.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from plugins.badges.credentials import (
    PURPOSES,
    REVOCATION,
    STATUS_LIST_BITS,
    SUSPENSION,
    CredentialError,
    bit_set,
    date_failure,
    decode_status_list,
    french_date,
    issuer_of,
    parse_moment,
    proof_failure,
    shape_failure,
    status_references,
)

# What a verification says of a set bit, or of a list it cannot trust, by purpose.
STATUS_SET = {REVOCATION: "L'attestation a été révoquée par le réseau.",
              SUSPENSION: "L'attestation est suspendue : la fiche de son titulaire n'est plus publiée dans "
                          "l'annuaire. Elle redevient valable si la fiche est rétablie."}
STATUS_UNTRUSTED = {REVOCATION: "La liste de révocation de l'attestation est introuvable ou n'est pas signée par ce réseau.",
                    SUSPENSION: "La liste des suspensions de l'attestation est introuvable ou n'est pas signée par ce réseau."}


class Verdict(msgspec.Struct, frozen=True, kw_only=True):
    """What a verification found: ``valid``, else the French ``reason`` of the first failure, and
    ``status`` (``revocation`` or ``suspension``) when a status list said so; the credential's
    facts when it could be read, to show beside the answer."""

    valid: bool
    reason: str = ""
    status: str = ""
    badge: str = ""
    holder: str = ""
    issuer: str = ""
    valid_from: str = ""
    valid_until: str = ""


class Verifier:
    """Checks credentials of one issuer against its published keys and status lists.

    :param issuer_id: the issuer's id; its keys are ``<issuer_id>#<Multikey>``.
    :param keys: the issuer's public keys, by ``Multikey``.
    :param status_list: the signed status list credential at a URL, or None when unknown.
    :param explain: a more precise French reason for a set bit ``(purpose, list URL, index)``,
        or None for the general one (the issuer knows why; a saved list does not say).
    """

    def __init__(self, issuer_id: str, keys: dict[str, Ed25519PublicKey],
                 status_list: Callable[[str], dict[str, Any] | None],
                 explain: Callable[[str, str, int], str | None] = lambda purpose, url, index: None) -> None:
        self.issuer_id, self.keys, self.status_list, self.explain = issuer_id, keys, status_list, explain
        self._bits: dict[str, tuple[str, bytes]] = {}  # decoded lists by URL, with the proof value they had

    def _key(self, method: str) -> Ed25519PublicKey | None:
        issuer, _, multikey = method.partition("#")
        return self.keys.get(multikey) if issuer == self.issuer_id else None

    def verify(self, document: Any, now: datetime) -> Verdict:
        failure = proof_failure(document, self._key)
        if failure is None and issuer_of(document) != self.issuer_id:
            failure = "L'attestation n'a pas été émise par ce réseau."
        facts = _facts(document) if isinstance(document, dict) else {}
        for check in (lambda: failure, lambda: shape_failure(document), lambda: date_failure(document, now)):
            reason = check()
            if reason:
                return Verdict(valid=False, reason=reason, **facts)
        return self.status_verdict(document, now, facts)

    def bit(self, list_url: str, index: int, purpose: str, now: datetime) -> bool | None:
        """Whether bit ``index`` of the ``purpose`` list at ``list_url`` is set; None when the list cannot
        be trusted (unsigned, another issuer's, out of date, of another purpose, too short)."""
        listed = self.status_list(list_url)
        if not isinstance(listed, dict) or not isinstance(listed.get("proof"), dict):
            return None
        proof_value = listed["proof"].get("proofValue", "")
        known = self._bits.get(list_url)
        if known is None or known[0] != proof_value:
            subject = listed.get("credentialSubject")
            purposes = subject.get("statusPurpose") if isinstance(subject, dict) else None
            if proof_failure(listed, self._key) or issuer_of(listed) != self.issuer_id or date_failure(listed, now) \
                    or listed.get("id") != list_url or purpose not in (purposes if isinstance(purposes, list) else [purposes]):
                return None
            try:
                bits = decode_status_list(subject["encodedList"])
            except (CredentialError, KeyError, TypeError):
                return None
            if len(bits) * 8 < STATUS_LIST_BITS:  # too short to hide anyone among its neighbours
                return None
            self._bits[list_url] = known = (proof_value, bits)
        try:
            return bit_set(known[1], index)
        except CredentialError:
            return None

    def status_verdict(self, document: dict[str, Any], now: datetime, facts: dict[str, str]) -> Verdict:
        """The verdict of the status lists a credential names: it must name a revocation list; a
        suspension list is read when it names one (credentials issued before suspension do not)."""
        references = status_references(document)
        if REVOCATION not in references:
            return Verdict(valid=False, reason="L'attestation ne dit pas où vérifier sa révocation (« credentialStatus »).",
                           **facts)
        for purpose in PURPOSES:
            if purpose not in references:
                continue
            url, index = references[purpose]
            found = self.bit(url, index, purpose, now)
            if found is None:
                return Verdict(valid=False, reason=STATUS_UNTRUSTED[purpose], **facts)
            if found:
                return Verdict(valid=False, reason=self.explain(purpose, url, index) or STATUS_SET[purpose],
                               status=purpose, **facts)
        return Verdict(valid=True, **facts)


def _facts(document: dict[str, Any]) -> dict[str, str]:
    subject = document.get("credentialSubject")
    subject = subject if isinstance(subject, dict) else {}
    achievement = subject.get("achievement") if isinstance(subject.get("achievement"), dict) else {}
    issuer = document.get("issuer") if isinstance(document.get("issuer"), dict) else {}
    dates = {name: parse_moment(document.get(field)) for name, field in
             (("valid_from", "validFrom"), ("valid_until", "validUntil"))}
    return {"badge": str(achievement.get("name", ""))[:200], "holder": str(subject.get("name", ""))[:200],
            "issuer": str(issuer.get("name", ""))[:200],
            **{name: french_date(moment) if moment else "" for name, moment in dates.items()}}
