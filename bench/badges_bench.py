"""Badge credentials: issue and verify 1,000 Open Badges credentials in process, and status list lookups.

Run: ``.venv/bin/python bench/badges_bench.py``. Targets: verification at most 2 ms median per
credential (proof, shape, dates and revocation status), a status list lookup at most 0.1 ms.
The search side (a badge filter keeps /api/search at 1/3 of a bare endpoint at 3,000 providers)
is measured by ``bench/search_bench.py --sizes 3000 --badge-filter``.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from plugins.badges import credentials, verification

SEED = 11
COUNT = 1000
SITE = "https://annuaire.example.fr"
ISSUER = {"id": f"{SITE}/badges/emetteur", "type": ["Profile"], "name": "Réseau Channel Expert", "url": SITE}
LIST_URL = f"{SITE}/badges/statuts/1"
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _achievement(number: int) -> dict:
    return {"id": f"{SITE}/badges/badge-{number}", "type": ["Achievement"], "name": f"Badge {number}",
            "description": "Vérifié par le réseau.", "criteria": {"narrative": "Trois références vérifiées."}}


def main() -> None:
    rng = random.Random(SEED)
    key = Ed25519PrivateKey.generate()
    method = f"{ISSUER['id']}#{credentials.public_multibase(key.public_key())}"
    indexes = rng.sample(range(credentials.STATUS_LIST_BITS), COUNT)
    revoked = set(rng.sample(indexes, COUNT // 20))

    started = time.perf_counter()
    issued = []
    for number, index in enumerate(indexes):
        document = credentials.open_badge_credential(
            credential_id=f"{SITE}/badges/attestations/{number}", issuer=ISSUER, achievement=_achievement(number % 5),
            subject_id=f"{SITE}/prestataires/prestataire-{number}", subject_name=f"Prestataire {number}",
            valid_from=NOW - timedelta(days=rng.randrange(300)), valid_until=NOW + timedelta(days=rng.randrange(1, 700)),
            evidence=[f"{SITE}/preuves/{number}"], status=credentials.status_entry(LIST_URL, index))
        issued.append(credentials.sign(document, key, method, NOW))
    issue_s = time.perf_counter() - started

    listed = credentials.sign(credentials.status_list_credential(
        LIST_URL, ISSUER, credentials.encode_status_list(revoked), NOW), key, method, NOW)
    verifier = verification.Verifier(ISSUER["id"], {credentials.public_multibase(key.public_key()): key.public_key()},
                                    lambda url: listed if url == LIST_URL else None)
    verifier.verify(issued[0], NOW)  # the status list is checked and decoded once
    timings, valid = [], 0
    for document in issued:
        start = time.perf_counter()
        verdict = verifier.verify(document, NOW)
        timings.append(time.perf_counter() - start)
        valid += verdict.valid
    assert valid == COUNT - len(revoked), (valid, len(revoked))

    lookups = []
    for index in indexes:
        start = time.perf_counter()
        verifier.bit(LIST_URL, index, credentials.REVOCATION, NOW)
        lookups.append(time.perf_counter() - start)

    median_ms = statistics.median(timings) * 1000
    p99_ms = sorted(timings)[int(0.99 * COUNT)] * 1000
    lookup_ms = statistics.median(lookups) * 1000
    print(f"issued {COUNT} credentials in {issue_s * 1000:.0f} ms ({issue_s / COUNT * 1000:.2f} ms each)")
    print(f"verified {COUNT}: {valid} valid, {len(revoked)} revoked; median {median_ms:.3f} ms, p99 {p99_ms:.3f} ms "
          f"(target ≤ 2 ms median: ratio {2 / median_ms:.1f}× under)")
    print(f"status list lookup: median {lookup_ms * 1000:.1f} µs (target ≤ 0.1 ms: ratio {0.1 / lookup_ms:.0f}× under)")


if __name__ == "__main__":
    main()
