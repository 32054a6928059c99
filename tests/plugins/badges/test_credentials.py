"""Open Badges credentials, proofs and status lists, checked with no database and no network."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from plugins.badges import credentials, verification

VECTORS = Path(__file__).parent / "vectors"
ISSUER = {"id": "https://annuaire.example.fr/badges/emetteur", "type": ["Profile"], "name": "Réseau Channel Expert",
          "url": "https://annuaire.example.fr"}
LIST_URL = "https://annuaire.example.fr/badges/statuts/1"
START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
ACHIEVEMENT = {"id": "https://annuaire.example.fr/badges/channel-expert-certifie", "type": ["Achievement"],
               "name": "Channel Expert certifié", "description": "Vérifié par le réseau.",
               "criteria": {"narrative": "Trois références vérifiées."}}


def _vector(name: str) -> dict:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def test_the_specifications_eddsa_jcs_2022_vector_verifies_and_signs_to_the_same_proof():
    signed, pair = _vector("eddsa-jcs-2022-signed.json"), _vector("key-pair.json")
    public = credentials.public_key(pair["publicKeyMultibase"])
    assert credentials.proof_failure(signed, lambda method: public) is None
    secret = credentials.secret_key(pair["privateKeyMultibase"])
    assert credentials.public_multibase(secret.public_key()) == pair["publicKeyMultibase"]
    again = credentials.sign(signed, secret, signed["proof"]["verificationMethod"],
                             datetime.fromisoformat("2023-02-24T23:36:38+00:00"))
    assert again["proof"] == signed["proof"]  # Ed25519 is deterministic: the same bytes were signed


class Network:
    """An issuer with keys, a status list, and a verifier reading what it published."""

    def __init__(self) -> None:
        self.keys = [Ed25519PrivateKey.generate()]
        self.revoked: set[int] = set()

    def method(self, key: Ed25519PrivateKey) -> str:
        return f"{ISSUER['id']}#{credentials.public_multibase(key.public_key())}"

    def issue(self, index: int = 5, valid_until: datetime | None = START + timedelta(days=365),
              key: Ed25519PrivateKey | None = None) -> dict:
        document = credentials.open_badge_credential(
            credential_id=f"https://annuaire.example.fr/badges/attestations/{index}", issuer=ISSUER,
            achievement=ACHIEVEMENT, subject_id="https://annuaire.example.fr/prestataires/alpha-web",
            subject_name="Alpha Web", valid_from=START, valid_until=valid_until,
            evidence=["https://annuaire.example.fr/preuves/1"], status=credentials.status_entry(LIST_URL, index))
        key = key or self.keys[-1]
        return credentials.sign(document, key, self.method(key), START)

    def status_list(self) -> dict:
        document = credentials.status_list_credential(LIST_URL, ISSUER, credentials.encode_status_list(self.revoked),
                                                      START)
        return credentials.sign(document, self.keys[-1], self.method(self.keys[-1]), START)

    def verifier(self) -> verification.Verifier:
        published = {credentials.public_multibase(key.public_key()): key.public_key() for key in self.keys}
        listed = self.status_list()
        return verification.Verifier(ISSUER["id"], published, lambda url: listed if url == LIST_URL else None)

    def verify(self, document, now: datetime = START + timedelta(days=1)) -> verification.Verdict:
        return self.verifier().verify(document, now)


@pytest.fixture
def network() -> Network:
    return Network()


def test_an_issued_credential_verifies_and_tells_its_facts(network):
    verdict = network.verify(network.issue())
    assert verdict.valid, verdict.reason
    assert (verdict.badge, verdict.holder, verdict.issuer) == ("Channel Expert certifié", "Alpha Web",
                                                             "Réseau Channel Expert")
    assert (verdict.valid_from, verdict.valid_until) == ("27/11/2026", "27/11/2027")


def _tampered(document: dict, change) -> dict:
    changed = copy.deepcopy(document)
    change(changed)
    return changed


@pytest.mark.parametrize("change", [
    lambda d: d["credentialSubject"].update(name="Alpha Wep"),  # one character of the holder's name
    lambda d: d["credentialSubject"]["achievement"].update(name="Channel Expert certifiée"),
    lambda d: d.update(validUntil="2030-11-27T09:00:00Z"),  # a later end
    lambda d: d.update(validFrom="2026-11-26T09:00:00Z"),
    lambda d: d["proof"].update(created="2026-11-27T09:00:01Z"),
    lambda d: d["proof"].update(proofValue=d["proof"]["proofValue"][:-2] + ("11" if not d["proof"]["proofValue"].endswith("11") else "22")),
    lambda d: d["credentialStatus"].update(statusListIndex="6"),  # another, unrevoked, bit
    lambda d: d.pop("evidence"),
], ids=["holder", "badge", "validUntil", "validFrom", "proof-created", "proof-value", "status-index", "evidence"])
def test_any_change_to_a_signed_credential_fails(network, change):
    verdict = network.verify(_tampered(network.issue(), change))
    assert not verdict.valid and "signature ne correspond pas" in verdict.reason


def test_a_credential_without_proof_or_not_json_object_is_explained(network):
    unsigned = _tampered(network.issue(), lambda d: d.pop("proof"))
    assert "pas signée" in network.verify(unsigned).reason
    assert "objet JSON" in network.verify(["not", "a", "credential"]).reason


def test_an_expired_credential_fails_with_that_reason(network):
    document = network.issue(valid_until=START + timedelta(days=30))
    assert network.verify(document, START + timedelta(days=29)).valid
    verdict = network.verify(document, START + timedelta(days=30))
    assert not verdict.valid and verdict.reason == "L'attestation a expiré le 27/12/2026."
    early = network.verify(document, START - timedelta(days=1))
    assert not early.valid and "qu'à partir du 27/11/2026" in early.reason


def test_a_revoked_credential_fails_once_the_status_list_says_so(network):
    document = network.issue(index=70_000)
    assert network.verify(document).valid
    network.revoked.add(70_000)
    verdict = network.verify(document)
    assert not verdict.valid and "révoquée" in verdict.reason
    assert network.verify(network.issue(index=70_001)).valid  # its neighbour is not


def test_a_status_list_not_signed_by_the_network_is_not_trusted(network):
    document = network.issue()
    forged = credentials.sign(credentials.status_list_credential(LIST_URL, ISSUER, credentials.encode_status_list(set()),
                                                                 START),
                              Ed25519PrivateKey.generate(), network.method(network.keys[-1]), START)
    published = {credentials.public_multibase(k.public_key()): k.public_key() for k in network.keys}
    verifier = verification.Verifier(ISSUER["id"], published, lambda url: forged)
    assert "liste de révocation" in verifier.verify(document, START + timedelta(days=1)).reason


def test_after_a_new_key_old_and_new_credentials_verify_and_another_keys_do_not(network):
    old = network.issue(index=1)
    network.keys.append(Ed25519PrivateKey.generate())
    new = network.issue(index=2)
    assert old["proof"]["verificationMethod"] != new["proof"]["verificationMethod"]
    assert network.verify(old).valid and network.verify(new).valid
    stranger = Ed25519PrivateKey.generate()
    foreign = network.issue(index=3, key=stranger)
    assert "clé que ce réseau n'a pas publiée" in network.verify(foreign).reason
    # Another key passed off as one of the network's: the signature gives it away.
    passed_off = credentials.sign({k: v for k, v in foreign.items() if k != "proof"}, stranger,
                                  network.method(network.keys[0]), START)
    assert "signature ne correspond pas" in network.verify(passed_off).reason


def test_a_credential_of_another_issuer_is_refused_even_if_well_signed(network):
    key = network.keys[-1]
    other = dict(ISSUER, id="https://autre.example/emetteur")
    document = credentials.open_badge_credential(
        credential_id="urn:uuid:1", issuer=other, achievement=ACHIEVEMENT, subject_id="urn:x", subject_name="X",
        valid_from=START, valid_until=None, evidence=[], status=credentials.status_entry(LIST_URL, 1))
    signed = credentials.sign(document, key, network.method(key), START)
    assert network.verify(signed).reason == "L'attestation n'a pas été émise par ce réseau."


def test_the_credential_has_the_open_badges_3_required_contexts_types_and_fields(network):
    document = network.issue()
    assert document["@context"] == ["https://www.w3.org/ns/credentials/v2",
                                    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credentials.shape_failure(document) is None
    subject = document["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"] and subject["achievement"]["type"] == ["Achievement"]
    assert document["proof"]["cryptosuite"] == "eddsa-jcs-2022" and document["proof"]["proofValue"].startswith("z")
    assert document["credentialStatus"]["type"] == "BitstringStatusListEntry"
    for field in ("@context", "type", "issuer", "validFrom", "name", "credentialSubject", "id"):
        broken = {k: v for k, v in document.items() if k != field}
        assert credentials.shape_failure(broken), field
    no_criteria = _tampered(document, lambda d: d["credentialSubject"]["achievement"].pop("criteria"))
    assert "critères" in credentials.shape_failure(no_criteria)


def test_status_lists_set_the_most_significant_bit_first_and_are_at_least_16_kib(network):
    encoded = credentials.encode_status_list({0, 9, 131_071})
    assert encoded.startswith("u")
    bits = credentials.decode_status_list(encoded)
    assert len(bits) == 16_384 and bits[0] == 0b1000_0000 and bits[1] == 0b0100_0000 and bits[-1] == 1
    assert [credentials.bit_set(bits, i) for i in (0, 1, 9, 131_071)] == [True, False, True, True]
    with pytest.raises(credentials.CredentialError):
        credentials.bit_set(bits, 131_072)
    with pytest.raises(credentials.CredentialError):
        credentials.decode_status_list("u!!!")


def test_keys_refuse_what_is_not_an_ed25519_multikey():
    for text in ("", "6Mk", "zzzz", "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"):
        with pytest.raises(credentials.CredentialError):
            credentials.secret_key(text)
