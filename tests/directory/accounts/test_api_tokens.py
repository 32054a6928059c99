"""Personal API tokens: created and revoked on the web, they let a member edit its profile through the API."""

from __future__ import annotations

import re

import pytest

from directory.tables import PendingChange, ProfileChange, Provider
from directory.testing import csrf_token, sign_in


async def _new_token(client, name="CRM") -> str:
    page = await client.post("/compte/jetons", data={"name": name, "_csrf_token": await csrf_token(
        client, "/compte/jetons")})
    assert page.status_code == 200 and "il ne sera plus jamais affiché" in page.text
    return re.search(r'id="nouveau-jeton" type="text" readonly value="(ce_[^"]+)"', page.text)[1]


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_a_member_edits_its_profile_with_a_token_and_the_history_says_api(site, two):
    a, _ = two
    await sign_in(site, "a@alpha.fr")
    token = await _new_token(site)
    assert token not in (await site.get("/compte/jetons")).text  # shown once
    me = await site.get("/api/me", headers=_bearer(token))
    assert me.json() == {"email": "a@alpha.fr", "providers": [a]}

    edited = await site.patch(f"/api/providers/{a}", headers=_bearer(token), json={
        "description": "Boutiques en ligne et référencement local.", "services": ["e-commerce", "referencement"],
        "remote": True, "legal_name": "Alpha Web SAS"})
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert sorted(body["live"]) == ["description", "remote", "services"]
    assert body["pending"] == {"legal_name": "Alpha Web SAS"}
    assert body["profile"]["description"] == "Boutiques en ligne et référencement local."
    assert body["profile"]["legal_name"] == "Pixel Gironde SARL"  # until staff approve
    assert [s["slug"] for s in body["profile"]["services"]] == ["e-commerce", "referencement"]
    channels = {row["channel"] for row in await ProfileChange.select().where(ProfileChange.field == "description")}
    assert channels == {"api"}
    assert await PendingChange.count() == 1


async def test_bad_values_come_back_as_problem_details_naming_each_field(site, two):
    a, _ = two
    await sign_in(site, "a@alpha.fr")
    token = await _new_token(site)
    refused = await site.patch(f"/api/providers/{a}", headers=_bearer(token),
                               json={"phone": "12", "services": ["inconnu"], "year_founded": 1800})
    assert refused.status_code == 400 and refused.headers["content-type"].startswith("application/problem+json")
    invalid = {item["name"]: item["message"] for item in refused.json()["invalid-params"]}
    assert set(invalid) == {"phone", "services", "year_founded"}
    assert "inconnu" in invalid["services"]


async def test_a_line_separator_in_a_name_is_a_problem_naming_the_field(site, two):
    a, _ = two
    await sign_in(site, "a@alpha.fr")
    token = await _new_token(site)
    refused = await site.patch(f"/api/providers/{a}", headers=_bearer(token),
                               json={"trade_name": "Alpha\u2028Web", "legal_name": "Alpha\u2029SAS"})
    assert refused.status_code == 400
    invalid = {item["name"]: item["message"] for item in refused.json()["invalid-params"]}
    assert invalid == {"trade_name": "Retour à la ligne interdit dans ce champ (U+2028) : écrivez-le sur une seule ligne.",
                       "legal_name": "Retour à la ligne interdit dans ce champ (U+2029) : écrivez-le sur une seule ligne."}
    assert await PendingChange.count() == 0


@pytest.mark.parametrize("website", ["agence[.fr", "https://[agence.fr", "http://]agence.fr"])
async def test_a_web_address_that_cannot_be_parsed_is_a_problem_naming_the_field(site, two, website):
    a, _ = two
    await sign_in(site, "a@alpha.fr")
    token = await _new_token(site)
    before = await Provider.select().where(Provider.slug == a).first()
    refused = await site.patch(f"/api/providers/{a}", headers=_bearer(token), json={"website": website})
    assert refused.status_code == 400, refused.text
    assert {item["name"]: item["message"] for item in refused.json()["invalid-params"]} == {
        "website": "L'adresse du site web n'est pas valide."}
    assert await Provider.select().where(Provider.slug == a).first() == before


@pytest.mark.parametrize("field, value", [
    ("state", "published"), ("slug", "autre"), ("owner", 1), ("members", ["x@y.fr"]), ("badges", ["certifie"]),
    ("logo_url", "https://ailleurs.example/logo.png"), ("latitude", 0.0), ("kind", "reseller"),
])
async def test_a_member_cannot_set_what_the_schema_does_not_offer(site, two, field, value):
    a, _ = two
    await sign_in(site, "a@alpha.fr")
    token = await _new_token(site)
    before = await Provider.select().where(Provider.slug == a).first()
    refused = await site.patch(f"/api/providers/{a}", headers=_bearer(token), json={field: value})
    assert refused.status_code == 400 and field in refused.text
    assert await Provider.select().where(Provider.slug == a).first() == before


async def test_a_token_cannot_edit_another_providers_profile(site, two):
    a, _ = two
    await sign_in(site, "b@beta.fr")
    token = await _new_token(site)
    before = await Provider.select().where(Provider.slug == a).first()
    refused = await site.patch(f"/api/providers/{a}", headers=_bearer(token), json={"description": "pris"})
    assert refused.status_code == 403
    assert await Provider.select().where(Provider.slug == a).first() == before


async def test_a_revoked_or_wrong_token_is_refused_and_the_session_cookie_never_counts(site, two):
    a, _ = two
    await sign_in(site, "a@alpha.fr")
    token = await _new_token(site)
    # Signed in on the site: the API still wants a token (a cross-site page cannot use the cookie).
    no_token = await site.patch(f"/api/providers/{a}", json={"description": "x" * 20})
    assert no_token.status_code == 401 and no_token.headers["www-authenticate"].startswith("Bearer")
    assert (await site.get("/api/me", headers=_bearer(token[:-2] + "xx"))).status_code == 401

    page = (await site.get("/compte/jetons")).text
    token_id = re.search(r'action="/compte/jetons/(\d+)/revoquer"', page)[1]
    revoked = await site.post(f"/compte/jetons/{token_id}/revoquer", data={"_csrf_token": await csrf_token(
        site, "/compte/jetons")})
    assert revoked.status_code == 303
    assert (await site.get("/api/me", headers=_bearer(token))).status_code == 401
    assert "Aucun jeton." in (await site.get("/compte/jetons")).text


async def test_one_cannot_revoke_someone_elses_token(site, two):
    await sign_in(site, "a@alpha.fr")
    token = await _new_token(site)
    token_id = re.search(r'action="/compte/jetons/(\d+)/revoquer"', (await site.get("/compte/jetons")).text)[1]
    await site.post("/compte/deconnexion", data={"_csrf_token": await csrf_token(site, "/compte")})
    await sign_in(site, "b@beta.fr")
    refused = await site.post(f"/compte/jetons/{token_id}/revoquer",
                              data={"_csrf_token": await csrf_token(site, "/compte/jetons")})
    assert refused.status_code == 404
    assert (await site.get("/api/me", headers=_bearer(token))).status_code == 200


async def test_the_openapi_document_describes_both_ways_to_authenticate(site):
    schema = (await site.get("/schema/openapi.json")).json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert schemes["session"]["in"] == "cookie" and schemes["session"]["name"] == "ce_session"
    assert schema["paths"]["/api/providers/{slug}"]["patch"]["security"] == [{"bearer": []}]
    assert "security" not in schema["paths"]["/api/providers/{slug}"]["get"]
