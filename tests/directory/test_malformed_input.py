"""Hostile bodies and query strings: a 400 (or 413) that says why, never a 500, on both engines.

JSON nested a thousand deep makes decoders raise ``RecursionError``, invalid UTF-8 a
``UnicodeDecodeError``, and PostgreSQL refuses a NUL in any text a query carries; the edge of
the app refuses them all before a route (or a rate limit, or the database) sees them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from directory.accounts import api_tokens
from directory.tables import Account, StoreEntry
from directory.testing import STRONG, add_account, add_providers, csrf_token, provider_row, sign_in
from tests.conftest import SharedApp, shared_app

DEEP = b"[" * 1000 + b"]" * 1000
DEEP_OBJECT = b'{"description": ' + DEEP + b"}"
BAD_UTF8 = b'{"description": "caf\xe9"}'
NUL_IN_STRING = b'{"description": "a\\u0000b"}'
JSON_CASES = {"deep": DEEP_OBJECT, "deep-list": DEEP, "invalid-utf8": BAD_UTF8, "nul": NUL_IN_STRING}
SITE = "http://annuaire.example.fr"


@pytest.fixture(scope="module")
async def shared(migrated, tmp_path_factory, request) -> AsyncIterator[SharedApp]:
    """One app for the module: what these tests send is refused before any state is touched."""
    async with shared_app(migrated, tmp_path_factory, request, secret_key="k" * 40, public_url=SITE) as app:
        yield app


@pytest.fixture
async def site(shared: SharedApp, settings, manual_clock):
    """The shared app's client, on the database ``settings`` has just emptied, with no cookie."""
    return shared.rejoin()


@pytest.fixture
async def owner(site):
    """A published provider, the bearer token of its owner, and a staff account."""
    [slug] = await add_providers(provider_row(trade_name="Alpha Web", email="contact@alpha.fr"))
    account = await add_account("a@alpha.fr", provider=slug)
    await add_account("equipe@example.fr", staff=True)
    return slug, await api_tokens.create(account, "CRM")


def _is_problem(response, status=400):
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == status and problem["detail"] and problem["request_id"]
    return problem


def _is_french_page(response, status=400):
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert "Demande incorrecte" in response.text and "Traceback" not in response.text
    return response.text


@pytest.mark.parametrize("body", JSON_CASES.values(), ids=JSON_CASES.keys())
async def test_a_malformed_json_body_is_a_400_problem_on_the_badge_verification_api(site, body):
    response = await site.post("/api/badges/verify", content=body, headers={"content-type": "application/json"})
    _is_problem(response)


@pytest.mark.parametrize("body", JSON_CASES.values(), ids=JSON_CASES.keys())
async def test_a_malformed_json_body_is_a_400_problem_and_changes_no_profile(site, owner, body):
    slug, token = owner
    response = await site.patch(f"/api/providers/{slug}", content=body, headers={
        "content-type": "application/json", "authorization": f"Bearer {token}"})
    _is_problem(response)
    profile = (await site.get(f"/api/providers/{slug}")).json()
    assert profile["description"] == provider_row()["description"]


async def test_json_sent_under_another_content_type_is_checked_all_the_same(site):
    """The API decodes a body as JSON whatever its declared type: so does the check."""
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"content-type": content_type} if content_type else {}
        _is_problem(await site.post("/api/badges/verify", content=DEEP, headers=headers))


async def test_the_french_reason_says_what_is_wrong(site):
    deep = _is_problem(await site.post("/api/badges/verify", content=DEEP))
    encoding = _is_problem(await site.post("/api/badges/verify", content=BAD_UTF8))
    nul = _is_problem(await site.post("/api/badges/verify", content=NUL_IN_STRING))
    assert "imbriqu" in deep["detail"] and "UTF-8" in encoding["detail"] and "nul" in nul["detail"]


async def test_well_formed_json_still_reaches_the_route(site, owner):
    slug, token = owner
    nested = b'{"a": ' + b"[" * 30 + b"]" * 30 + b', "b": "\\\\u0000 is text, not a NUL"}'
    verdict = await site.post("/api/badges/verify", content=nested)
    assert verdict.status_code == 200 and verdict.json()["valid"] is False
    edited = await site.patch(f"/api/providers/{slug}", json={"description": "Crêperie, café – 😀"},
                              headers={"authorization": f"Bearer {token}"})
    assert edited.status_code == 200, edited.text


def _pasted(credential: bytes, token: str) -> bytes:
    from urllib.parse import quote_from_bytes

    return b"credential=" + quote_from_bytes(credential).encode() + b"&_csrf_token=" + token.encode()


@pytest.mark.parametrize(("credential", "reason"), [
    (DEEP, "trop profondément imbriqué"), (b'"\\ud800"', "un objet JSON est attendu"),
    (b'{"id": "a\\u0000b"}', "caractère nul")], ids=["deep", "surrogate", "nul"])
async def test_a_hostile_credential_pasted_or_uploaded_gets_a_french_verdict(site, credential, reason):
    token = await csrf_token(site, "/badges/verifier")
    pasted = await site.post("/badges/verifier", content=_pasted(credential, token),
                             headers={"content-type": "application/x-www-form-urlencoded", "accept": "text/html"})
    uploaded = await site.post("/badges/verifier", data={"_csrf_token": token},
                               files={"file": ("badge.json", credential, "application/json")},
                               headers={"accept": "text/html"})
    for response in (pasted, uploaded):
        assert response.status_code == 422, response.text[:300]
        assert "Ce badge n'est pas valable" in response.text and reason in response.text.replace("&#39;", "'")


async def test_invalid_utf8_pasted_in_the_verification_form_is_a_french_400(site):
    token = await csrf_token(site, "/badges/verifier")
    response = await site.post("/badges/verifier", content=b"credential=%7B%22a%22%3A%22%FF%22%7D&_csrf_token="
                               + token.encode(), headers={"content-type": "application/x-www-form-urlencoded",
                                                          "accept": "text/html"})
    assert "UTF-8" in _is_french_page(response)


QUERIES = ["/devis?prestataire=a%00b", f"/badges/verifier?attestation={SITE}/badges/attestations/x%00",
           "/recherche?q=web%00", "/api/search?q=a%00b", "/api/providers?postal_code=33%00", "/?kind=a%00"]


@pytest.mark.parametrize("path", QUERIES)
async def test_a_nul_in_a_query_string_is_a_400(site, path):
    page = await site.get(path, headers={"accept": "text/html"})
    api = await site.get(path)
    if path.startswith("/api"):
        _is_problem(page)
    else:
        assert "caractère nul" in _is_french_page(page)
    _is_problem(api)


async def test_a_nul_in_a_staff_search_is_a_400(site, owner):
    await sign_in(site, "equipe@example.fr")
    response = await site.get("/equipe/prestataires?q=Alpha%00", headers={"accept": "text/html"})
    _is_french_page(response)
    assert (await site.get("/equipe/prestataires?q=Alpha")).status_code == 200


# Ids are PostgreSQL integers: 2**31 is past every one; SQLite's drivers stop at 2**63.
PAST_ANY_ID = [str(2**31), str(2**63), "9" * 30]
NUMBERED = {"equipe@example.fr": ["/equipe/besoins/formulations/{n}/retirer", "/equipe/signalements/{n}/traite",
                                  "/equipe/demandes/{n}", "/equipe/badges/attributions/{n}/revoquer"],
            "a@alpha.fr": ["/compte/jetons/{n}/revoquer", "/compte/demandes/{n}"]}


@pytest.mark.parametrize("number", PAST_ANY_ID)
async def test_a_number_past_any_id_in_a_path_names_no_page(site, owner, number):
    for email, paths in NUMBERED.items():
        site.cookies.clear()
        await sign_in(site, email)
        token = await csrf_token(site, "/compte")
        for path in paths:
            response = await site.post(path.format(n=number), data={"_csrf_token": token},
                                       headers={"accept": "text/html"})
            assert response.status_code == 404, (path, response.text[:300])
            assert "Cette adresse ne correspond à aucune page." in response.text
        shown = await site.get(paths[-1].format(n=number))
        assert shown.status_code == 404 and shown.json()["status"] == 404
    assert (await site.post(f"/compte/jetons/{2**31 - 1}/revoquer", data={"_csrf_token": token})).status_code != 500


FORMS = {
    "/compte/connexion": {"email": "a@alpha.fr\x00", "password": STRONG},
    "/compte/mot-de-passe-oublie": {"email": "a\x00@alpha.fr"},
    "/devis": {"near": "29000", "description": "Une boutique\x00", "contact_email": "anne@ty-anne.fr"},
}


@pytest.mark.parametrize("path", FORMS)
@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
async def test_a_nul_in_a_form_field_is_a_french_400(site, owner, path, encoding):
    fields = {**FORMS[path], "_csrf_token": await csrf_token(site, path)}
    if encoding == "urlencoded":
        response = await site.post(path, data=fields, headers={"accept": "text/html"})
    else:
        response = await site.post(path, files={name: (None, value) for name, value in fields.items()},
                                   headers={"accept": "text/html"})
    assert "caractère nul" in _is_french_page(response)


async def test_invalid_utf8_in_a_form_is_a_french_400(site, owner):
    token = await csrf_token(site, "/compte/connexion")
    response = await site.post("/compte/connexion", content=f"email=a%FF&password=x&_csrf_token={token}".encode(),
                               headers={"content-type": "application/x-www-form-urlencoded", "accept": "text/html"})
    assert "UTF-8" in _is_french_page(response)


async def test_an_uploaded_file_may_hold_any_byte(site, owner):
    """Only text fields are checked: a logo is binary, NUL bytes and all."""
    await sign_in(site, "a@alpha.fr")
    slug, _ = owner
    path = f"/compte/prestataires/{slug}/logo"
    token = await csrf_token(site, f"/compte/prestataires/{slug}")
    response = await site.post(path, data={"_csrf_token": token},
                               files={"logo": ("logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "image/png")},
                               headers={"accept": "text/html"})
    assert response.status_code == 400 and "pas une image PNG, JPEG ou WebP" in response.text.replace("&#39;", "'")


@pytest.mark.parametrize("size", [1_200_000, 3_000_000], ids=["over the route's limit", "over every route's"])
async def test_a_body_over_the_size_limit_is_a_413_problem(site, size):
    response = await site.post("/api/badges/verify", content=b"[" + b"1," * (size // 2) + b"1]")
    _is_problem(response, 413)


async def test_refused_requests_do_no_work_and_count_against_no_one(site, owner):
    """Refused before any route runs: no password is checked, no counter is written, and the
    owner can still sign in after a flood of them (more than the per-client limit)."""
    for _ in range(25):
        token = await csrf_token(site, "/compte/connexion")
        refused = await site.post("/compte/connexion", data={"email": "a@alpha.fr\x00", "password": "guess",
                                                              "_csrf_token": token})
        assert refused.status_code == 400
    assert await StoreEntry.count() == 0
    assert await Account.count().where(Account.email == "a@alpha.fr") == 1
    await sign_in(site, "a@alpha.fr")


@pytest.mark.parametrize("path", ["/recherche?q=caf%E9", "/api/search?q=caf%E9", "/devis?prestataire=%FF%FE"])
async def test_a_query_string_in_another_encoding_is_read_not_refused(site, path):
    """Old links and crawlers still send Latin-1: Litestar reads it with replacement characters."""
    assert (await site.get(path)).status_code == 200
