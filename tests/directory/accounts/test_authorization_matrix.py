"""Every route about an object, called by everyone: anonymous, a member of A, a member of B, staff.

Each call is made on freshly seeded data, with the exact status expected; after each refused
call every table a write could touch is compared with its state before: nothing moved. The
cases share one app (``shared_app``): starting one per case was most of the matrix's time.
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from litestar.routes import HTTPRoute
from PIL import Image

from directory.accounts import api_tokens, links
from directory.accounts.guards import declared
from directory.platform import clock
from directory.tables import (
    Account,
    AccountToken,
    ApiToken,
    ContactMessage,
    Logo,
    MailMessage,
    Membership,
    PendingChange,
    ProfileChange,
    Provider,
    ProviderService,
    Report,
)
from directory.testing import add_account, csrf_token, sign_in
from plugins.badges import awards
from plugins.badges.tables import BadgeAward, BadgeClass
from plugins.insights.tables import NetworkCount, ProviderCount
from plugins.leads.tables import Lead, LeadPreferences, LeadStep, Offer, RoutingRun
from plugins.needs.tables import NeedPhrasing, UnheardSearch
from plugins.reviews.tables import Engagement, Review, ReviewReport
from tests.conftest import SharedApp, shared_app
from tests.directory.accounts.test_profiles import form_of

ANONYMOUS, MEMBER_A, MEMBER_B, STAFF = "anonyme", "membre de A", "membre de B", "équipe"
WHO = {MEMBER_A: "a@alpha.fr", MEMBER_B: "b@beta.fr", STAFF: "equipe@example.fr"}
WATCHED = (Provider, ProviderService, Account, Membership, ApiToken, AccountToken, PendingChange, ProfileChange, Logo,
           Report, MailMessage, Lead, Offer, LeadStep, LeadPreferences, RoutingRun, BadgeClass, BadgeAward, NeedPhrasing,
           UnheardSearch, ContactMessage, Engagement, Review, ReviewReport, ProviderCount, NetworkCount)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "blue").save(buffer, "PNG")
    return buffer.getvalue()


# (method, path, body, {who: status}); {a}: A's slug, {member}: a colleague's membership in A,
# {token}: A's API token id, {change}: A's waiting identity change, {report}: a report about A,
# {lead} and {offer}: a TPE's request and its offer to A; {award}: a badge awarded to A; {message}: a
# message sent through the contact page.
EDIT = "form"  # the edit form as its page fills it, with a new description
ROUTES: list[tuple[str, str, Any, dict[str, int]]] = [
    ("GET", "/compte/prestataires/{a}", None, {MEMBER_A: 200, MEMBER_B: 403, STAFF: 200}),
    ("POST", "/compte/prestataires/{a}", EDIT, {MEMBER_A: 200, MEMBER_B: 403, STAFF: 200}),
    ("POST", "/compte/prestataires/{a}/logo", "logo", {MEMBER_A: 200, MEMBER_B: 403, STAFF: 200}),
    ("POST", "/compte/prestataires/{a}/logo/supprimer", {}, {MEMBER_A: 200, MEMBER_B: 403, STAFF: 200}),
    ("GET", "/compte/prestataires/{a}/membres", None, {MEMBER_A: 200, MEMBER_B: 403, STAFF: 200}),
    ("POST", "/compte/prestataires/{a}/membres", {"email": "nouveau@alpha.fr"},
     {MEMBER_A: 200, MEMBER_B: 403, STAFF: 200}),
    ("POST", "/compte/prestataires/{a}/membres/{member}/retirer", {}, {MEMBER_A: 303, MEMBER_B: 403, STAFF: 303}),
    ("POST", "/compte/prestataires/{a}/invitations/{invitation}/annuler", {},
     {MEMBER_A: 303, MEMBER_B: 403, STAFF: 303}),
    ("GET", "/compte/prestataires/{a}/historique", None, {MEMBER_A: 200, MEMBER_B: 403, STAFF: 200}),
    ("GET", "/compte/prestataires/{a}/export", None, {MEMBER_A: 200, MEMBER_B: 403, STAFF: 200}),
    ("GET", "/compte/prestataires/{a}/quitter", None, {MEMBER_A: 200, MEMBER_B: 403, STAFF: 200}),
    ("POST", "/compte/prestataires/{a}/quitter", {"confirm": "oui"}, {MEMBER_A: 303, MEMBER_B: 403, STAFF: 303}),
    ("POST", "/compte/jetons/{token}/revoquer", {}, {MEMBER_A: 303, MEMBER_B: 404, STAFF: 404}),
    ("GET", "/equipe", None, {MEMBER_A: 403, MEMBER_B: 403, STAFF: 200}),
    ("POST", "/equipe/modifications/{change}", {"decision": "valider"}, {MEMBER_A: 403, MEMBER_B: 403, STAFF: 303}),
    ("GET", "/equipe/prestataires/{a}", None, {MEMBER_A: 403, MEMBER_B: 403, STAFF: 200}),
    ("POST", "/equipe/prestataires/{a}/invitation", {"email": "contact@alpha.fr"},
     {MEMBER_A: 403, MEMBER_B: 403, STAFF: 200}),
    ("POST", "/equipe/prestataires/{a}/suspendre", {"reason": "Radiée"}, {MEMBER_A: 403, MEMBER_B: 403, STAFF: 303}),
    ("POST", "/equipe/signalements/{report}/traite", {}, {MEMBER_A: 403, MEMBER_B: 403, STAFF: 303}),
    ("POST", "/equipe/messages/{message}/traite", {}, {MEMBER_A: 403, MEMBER_B: 403, STAFF: 303}),
    ("POST", "/equipe/messages/{message}/effacer", {"confirm": "oui"}, {MEMBER_A: 403, MEMBER_B: 403, STAFF: 303}),
    ("PATCH", "/api/providers/{a}", {"description": "Modifié par l'API"}, {MEMBER_A: 200, MEMBER_B: 403, STAFF: 200}),
    ("POST", "/compte/demandes/{offer}", {"decision": "refuser"}, {MEMBER_A: 303, MEMBER_B: 403, STAFF: 303}),
    ("POST", "/compte/demandes/preferences/{a}", {"paused": "oui"}, {MEMBER_A: 303, MEMBER_B: 403, STAFF: 303}),
    ("GET", "/equipe/demandes/{lead}", None, {MEMBER_A: 403, MEMBER_B: 403, STAFF: 200}),
    ("POST", "/equipe/demandes/{lead}", {"km": "50"}, {MEMBER_A: 403, MEMBER_B: 403, STAFF: 303}),
    ("GET", "/compte/prestataires/{a}/badges", None, {MEMBER_A: 200, MEMBER_B: 403, STAFF: 200}),
    ("GET", "/compte/prestataires/{a}/badges/attestations.json", None, {MEMBER_A: 200, MEMBER_B: 403, STAFF: 200}),
    ("POST", "/equipe/badges/attributions/{award}/renouveler", {"expires": ""},
     {MEMBER_A: 403, MEMBER_B: 403, STAFF: 303}),
    ("POST", "/equipe/badges/attributions/{award}/revoquer", {"reason": "Charte non respectée"},
     {MEMBER_A: 403, MEMBER_B: 403, STAFF: 303}),
    ("POST", "/equipe/besoins/formulations/{phrasing}/retirer", {}, {MEMBER_A: 403, MEMBER_B: 403, STAFF: 303}),
    ("POST", "/equipe/besoins/recherches/{unheard}/ecarter", {}, {MEMBER_A: 403, MEMBER_B: 403, STAFF: 303}),
    ("POST", "/compte/avis/{review}/reponse", {"text": "Merci."}, {MEMBER_A: 303, MEMBER_B: 403, STAFF: 403}),
    ("POST", "/equipe/avis/{review}", {"decision": "publier"}, {MEMBER_A: 403, MEMBER_B: 403, STAFF: 303}),
    ("GET", "/compte/prestataires/{a}/statistiques", None, {MEMBER_A: 200, MEMBER_B: 403, STAFF: 200}),
    ("GET", "/compte/prestataires/{a}/statistiques/donnees.csv", None, {MEMBER_A: 200, MEMBER_B: 403, STAFF: 200}),
    ("POST", "/compte/prestataires/{a}/statistiques/resume", {"recevoir": "oui"},  # a member's own mail
     {MEMBER_A: 303, MEMBER_B: 403, STAFF: 403}),
    ("GET", "/equipe/reseau/donnees/gini", None, {MEMBER_A: 403, MEMBER_B: 403, STAFF: 200}),
    ("GET", "/equipe/suites/prestataires.csv", None, {MEMBER_A: 403, MEMBER_B: 403, STAFF: 200}),
    ("POST", "/api/badges/verify", {"type": ["VerifiableCredential"]},  # public, and writes nothing
     {ANONYMOUS: 200, MEMBER_A: 200, MEMBER_B: 200, STAFF: 200}),
]
CASES = [(method, path, body, who, statuses.get(who, 401))
         for method, path, body, statuses in ROUTES for who in (ANONYMOUS, MEMBER_A, MEMBER_B, STAFF)]


@pytest.fixture(scope="module")
async def matrix_app(migrated, tmp_path_factory, request) -> AsyncIterator[SharedApp]:
    """The site of ``tests/directory/accounts/conftest.py``, started once for the module."""
    async with shared_app(migrated, tmp_path_factory, request, secret_key="k" * 40,
                          public_url="http://annuaire.example.fr") as shared:
        yield shared


@pytest.fixture
async def site(matrix_app: SharedApp, settings, manual_clock):
    """The shared app's client, on the database ``settings`` has just emptied, with no cookie."""
    return matrix_app.rejoin()


async def _snapshot() -> dict[str, list[dict[str, Any]]]:
    return {table._meta.tablename: await table.select().order_by(table.id) for table in WATCHED}


@pytest.fixture
async def objects(site, two) -> dict[str, Any]:
    """A's objects that routes name: a colleague's membership, an API token, an identity change, a report."""
    a, _ = two
    provider_a = (await Provider.select(Provider.id).where(Provider.slug == a).first())["id"]
    colleague = await add_account("collegue@alpha.fr", provider=a, role="member")
    member = (await Membership.select(Membership.id).where(Membership.account == colleague).first())["id"]
    account_a = (await Account.select(Account.id).where(Account.email == "a@alpha.fr").first())["id"]
    await api_tokens.create(account_a, "CRM")
    token = (await ApiToken.select(ApiToken.id).first())["id"]
    [change] = await PendingChange.insert(PendingChange(
        provider=provider_a, account=account_a, actor="a@alpha.fr", channel="web",
        changes='{"trade_name": "Alpha Digital"}', created_at=clock.now())).returning(PendingChange.id)
    [report] = await Report.insert(Report(provider=provider_a, message="Le téléphone a changé.",
                                          created_at=clock.now())).returning(Report.id)
    [message] = await ContactMessage.insert(ContactMessage(
        name="Anne", email="anne@example.fr", subject="Ma demande", message="Où en est ma demande ?",
        created_at=clock.now())).returning(ContactMessage.id)
    now = clock.now()
    await Lead.delete(force=True)
    [lead] = await Lead.insert(Lead(
        follow_hash="f" * 64, idempotency_key="matrice", services=["e-commerce"], postal_code="33000",
        commune="Bordeaux", insee_code="33063", departement="33", latitude=44.84, longitude=-0.58,
        description="Une boutique en ligne.", contact_name="Anne", contact_email="anne@example.fr", created_at=now,
        last_contact_at=now)).returning(Lead.id)
    [offer] = await Offer.insert(Offer(lead=lead["id"], provider=provider_a, offered_at=now, deadline_at=now,
                                       answer_hash="a" * 64)).returning(Offer.id)
    await BadgeAward.delete(force=True)
    award = await awards.award(a, "channel-expert-certifie", actor="matrice")
    await links.issue(links.INVITE, "invite@alpha.fr", timedelta(days=7), provider_a, sent_by=account_a)
    invitation_id = (await AccountToken.select(AccountToken.id).where(
        AccountToken.email == "invite@alpha.fr").first())["id"]
    for table in (NeedPhrasing, UnheardSearch):
        await table.delete(force=True)
    [phrasing] = await NeedPhrasing.insert(NeedPhrasing(service="e-commerce", text="gâteaux de mariage",
                                                        created_at=now)).returning(NeedPhrasing.id)
    [unheard] = await UnheardSearch.insert(UnheardSearch(key="nothing:zinguerie", outcome="nothing", text="zinguerie",
                                                         times=2, last_seen=now)).returning(UnheardSearch.id)
    [engagement] = await Engagement.insert(Engagement(lead_id=lead["id"], provider=provider_a, accepted_at=now,
                                                      contact_email="anne@example.fr")).returning(Engagement.id)
    [review] = await Review.insert(Review(
        engagement=engagement["id"], provider=provider_a, state="published", rating=4, quality=4, deadlines=4,
        price=4, support=4, text="Très bon travail, livré à temps.", worked_on=now.date(), created_at=now,
        edited_at=now, published_at=now)).returning(Review.id)
    return {"a": a, "member": member, "review": review["id"], "token": token, "change": change["id"], "report": report["id"],
            "lead": lead["id"], "offer": offer["id"], "award": award, "invitation": invitation_id,
            "phrasing": phrasing["id"], "unheard": unheard["id"], "message": message["id"]}


async def _call(site, who: str, method: str, path: str, body: Any) -> int:
    headers = {}
    if method == "PATCH":
        if who != ANONYMOUS:
            account = (await Account.select(Account.id).where(Account.email == WHO[who]).first())["id"]
            headers["authorization"] = f"Bearer {await api_tokens.create(account, 'matrice')}"
        return (await site.patch(path, json=body, headers=headers)).status_code
    if who != ANONYMOUS:
        await sign_in(site, WHO[who])
    if method == "GET":
        return (await site.get(path)).status_code
    if path.startswith("/api/"):
        return (await site.post(path, json=body)).status_code
    token = await csrf_token(site, "/compte/connexion" if who == ANONYMOUS else "/compte")
    if body == EDIT:
        fields = await form_of(site, path.rsplit("/", 1)[-1]) if (await site.get(path)).status_code == 200 else {}
        body = {**fields, "description": "Modifié par le formulaire", "action": "publier"}
    if body == "logo":
        return (await site.post(path, data={"_csrf_token": token},
                                files={"logo": ("logo.png", _png(), "image/png")})).status_code
    return (await site.post(path, data={**body, "_csrf_token": token})).status_code


@pytest.mark.parametrize("method, path, body, who, status", CASES,
                         ids=[f"{method} {path} par {who}" for method, path, _, who, _ in CASES])
async def test_each_object_route_answers_each_caller_exactly(site, objects, method, path, body, who, status):
    url = path.format(**objects)
    before = await _snapshot()
    answered = await _call(site, who, method, url, body)
    assert answered == status
    if status >= 400:
        after = await _snapshot()
        if method == "PATCH" and who != ANONYMOUS:  # the caller's own new token is the one change
            after["api_token"] = [row for row in after["api_token"] if row["name"] != "matrice"]
        assert after == before


def test_the_matrix_covers_every_route_that_names_an_object(app):
    """A new guarded route about an object (it has a path parameter), or a new API write, joins the matrix."""
    named = {(method, re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path))
             for route in app.routes if isinstance(route, HTTPRoute)
             for handler in route.route_handlers for method in handler.http_methods
             if method not in ("HEAD", "OPTIONS") and (
                 declared(handler) in ("account", "staff") and "{" in route.path
                 or route.path.startswith("/api/") and method != "GET")}
    uncovered = {(method, path) for method, path in named
                 if not any(method == tried and re.fullmatch(re.sub(r"\{\w+\}", "[^/]+", path), example)
                            for tried, example, _, _ in ROUTES)}
    assert uncovered == set()
