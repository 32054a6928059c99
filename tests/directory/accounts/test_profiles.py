"""Members edit their profile on the web: preview, publish, identity held for staff, history, geocoding."""

from __future__ import annotations

import json

from directory import catalogue
from directory.tables import MailMessage, PendingChange, ProfileChange, Provider
from directory.testing import add_account, add_providers, csrf_token, provider_row, sign_in

EDIT = "/compte/prestataires/{}"


async def form_of(client, slug: str) -> dict[str, list[str] | str]:
    """The edit form's current values, as the browser would send them back."""
    from html.parser import HTMLParser

    fields: dict[str, list[str] | str] = {}

    class Reader(HTMLParser):
        select: str | None = None
        textarea: str | None = None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "form" and a.get("action") != EDIT.format(slug):
                self.outside = True
            if tag == "form" and a.get("action") == EDIT.format(slug):
                self.outside = False
            if getattr(self, "outside", True):
                return
            if tag == "input" and a.get("name") and a.get("type") not in ("file",):
                if a.get("type") == "checkbox":
                    if "checked" in a:
                        fields.setdefault(a["name"], []).append(a["value"])
                else:
                    fields[a["name"]] = a.get("value", "")
            elif tag == "select":
                self.select = a["name"]
                if "multiple" in a:
                    fields.setdefault(a["name"], [])
            elif tag == "option" and self.select and "selected" in a:
                if isinstance(fields.get(self.select), list):
                    fields[self.select].append(a["value"])
                else:
                    fields[self.select] = a["value"]
            elif tag == "textarea":
                self.textarea = a["name"]
                fields[a["name"]] = ""

        def handle_endtag(self, tag):
            if tag == "select":
                self.select = None
            if tag == "textarea":
                self.textarea = None

        def handle_data(self, data):
            if self.textarea:
                fields[self.textarea] += data

    Reader().feed((await client.get(EDIT.format(slug))).text)
    return fields


async def submit(client, slug: str, action: str = "publier", **changes):
    fields = await form_of(client, slug)
    fields.update(changes)
    fields["action"] = action
    return await client.post(EDIT.format(slug), data=fields)


async def test_a_member_edits_its_description_and_it_is_live_with_its_history(site, two):
    a, _ = two
    await sign_in(site, "a@alpha.fr")
    page = await site.get(EDIT.format(a))
    assert page.status_code == 200 and "Modifier la fiche" in page.text
    done = await submit(site, a, description="Sites rapides et boutiques en ligne pour les TPE de Gironde.")
    assert done.status_code == 200 and "Modifications publiées." in done.text
    public = (await site.get(f"/prestataires/{a}")).text
    assert "Sites rapides et boutiques en ligne" in public
    [row] = await ProfileChange.select().where(ProfileChange.field == "description")
    assert row["actor"] == "a@alpha.fr" and row["channel"] == "web"
    assert row["old_value"].startswith("Sites vitrines") and row["new_value"].startswith("Sites rapides")


async def test_preview_shows_the_profile_without_saving_it(site, two):
    a, _ = two
    await sign_in(site, "a@alpha.fr")
    preview = await submit(site, a, action="apercu", description="Un texte encore en brouillon.")
    assert preview.status_code == 200 and "Aperçu (non publié)" in preview.text
    assert preview.text.count("Un texte encore en brouillon.") == 2  # the preview, and the form that keeps it
    assert "Un texte encore en brouillon." not in (await site.get(f"/prestataires/{a}")).text
    assert await ProfileChange.count().where(ProfileChange.field != "") == 0  # only the rows of their creation


async def test_identity_changes_wait_for_staff_while_the_rest_goes_live(site, two):
    a, _ = two
    await sign_in(site, "a@alpha.fr")
    done = await submit(site, a, trade_name="Alpha Digital", phone="05 57 00 00 00")
    assert "après validation par l'équipe du réseau" in done.text
    provider = await Provider.select().where(Provider.slug == a).first()
    assert provider["trade_name"] == "Alpha Web" and provider["phone"] == "05 57 00 00 00"
    [pending] = await PendingChange.select()
    assert json.loads(pending["changes"]) == {"trade_name": "Alpha Digital"} and pending["state"] == "pending"
    assert "Alpha Digital" not in (await site.get(f"/prestataires/{a}")).text
    assert "En attente de validation" in (await site.get(EDIT.format(a))).text


async def test_bad_fields_are_explained_in_french_next_to_each_field_and_nothing_is_written(site, two):
    a, _ = two
    await sign_in(site, "a@alpha.fr")
    before = await Provider.select().where(Provider.slug == a).first()
    refused = await submit(site, a, phone="12", siret="123", postal_code="33000", commune="Lyon",
                           description="Texte gardé")
    assert refused.status_code == 400
    assert 'id="erreur-phone"' in refused.text and "numéro français valide" in refused.text
    assert 'id="erreur-siret"' in refused.text and "14 chiffres" in refused.text
    assert 'aria-invalid="true" aria-describedby="erreur-commune"' in refused.text
    assert "Texte gardé" in refused.text  # what was typed stays in the form
    assert await Provider.select().where(Provider.slug == a).first() == before
    assert await ProfileChange.count().where(ProfileChange.field != "") == 0  # only the rows of their creation


async def test_a_line_separator_in_a_name_is_refused_on_its_field_before_staff_see_it(site, two):
    a, _ = two
    await sign_in(site, "a@alpha.fr")
    before = await Provider.select().where(Provider.slug == a).first()
    refused = await submit(site, a, trade_name="Alpha\u2028Web", street="12 rue\u2029du Port")
    assert refused.status_code == 400
    assert 'id="erreur-trade_name"' in refused.text and "Retour à la ligne interdit dans ce champ (U+2028)" in refused.text
    assert 'id="erreur-street"' in refused.text and "(U+2029)" in refused.text
    assert await Provider.select().where(Provider.slug == a).first() == before
    assert await PendingChange.count() == 0


async def test_a_new_address_is_placed_again(site, two):
    a, _ = two
    await sign_in(site, "a@alpha.fr")
    await submit(site, a, street="3 place du Capitole", postal_code="31000", commune="Toulouse")
    moved = await Provider.select().where(Provider.slug == a).first()
    assert (moved["commune"], moved["departement"], moved["insee_code"]) == ("Toulouse", "31", "31555")
    assert 43.5 < moved["latitude"] < 43.7 and 1.3 < moved["longitude"] < 1.5
    fields = {row["field"] for row in await ProfileChange.select(ProfileChange.field)}
    assert {"street", "postal_code", "commune", "latitude", "longitude", "insee_code"} <= fields


async def test_a_draft_is_submitted_for_review_and_staff_publish_it(site, two):
    [draft] = await add_providers(provider_row(trade_name="Gamma Web", email="contact@gamma.fr", state="draft"))
    await add_account("g@gamma.fr", provider=draft)
    await sign_in(site, "g@gamma.fr")
    assert "soumettre à validation" in (await site.get(EDIT.format(draft))).text
    done = await submit(site, draft, trade_name="Gamma Studio")
    assert "soumise à l'équipe du réseau" in done.text
    row = await Provider.select().where(Provider.slug == draft).first()
    assert row["state"] == catalogue.PENDING_REVIEW and row["trade_name"] == "Gamma Studio"  # no review of a review
    assert (await site.get(f"/prestataires/{draft}")).status_code == 404

    await site.post("/compte/deconnexion", data={"_csrf_token": await csrf_token(site, "/compte")})
    await sign_in(site, "equipe@example.fr")
    assert "Gamma Studio" in (await site.get("/equipe")).text
    published = await site.post(f"/equipe/prestataires/{draft}/publier",
                                data={"_csrf_token": await csrf_token(site, f"/equipe/prestataires/{draft}")})
    assert published.status_code == 303
    assert (await site.get(f"/prestataires/{draft}")).status_code == 200
    [mail] = await MailMessage.select().where(MailMessage.recipient == "g@gamma.fr")
    assert mail["subject"] == "Votre fiche Gamma Studio est publiée"


async def test_members_of_another_provider_and_strangers_cannot_edit(site, two):
    a, b = two
    assert (await site.get(EDIT.format(a), headers={"accept": "text/html"})).headers["location"] == "/compte/connexion"
    await sign_in(site, "b@beta.fr")
    assert (await site.get(EDIT.format(a))).status_code == 403
    token = await csrf_token(site, EDIT.format(b))
    refused = await site.post(EDIT.format(a), data={"description": "pris", "action": "publier", "_csrf_token": token})
    assert refused.status_code == 403
    assert (await site.get(EDIT.format("inconnu"))).status_code == 404


async def test_an_edit_without_its_csrf_token_is_refused_and_changes_nothing(site, two):
    a, _ = two
    await sign_in(site, "a@alpha.fr")
    fields = await form_of(site, a)
    fields.pop("_csrf_token")
    before = await Provider.select().where(Provider.slug == a).first()
    refused = await site.post(EDIT.format(a), data={**fields, "description": "Sans jeton", "action": "publier"})
    assert refused.status_code == 403
    assert await Provider.select().where(Provider.slug == a).first() == before


async def test_the_public_page_leads_its_members_to_their_form_and_others_to_the_claim(site, two):
    a, _ = two
    claim, edit = "Vous êtes ce prestataire ?", f'href="/compte/prestataires/{a}">Modifier votre fiche'
    anonymous = (await site.get(f"/prestataires/{a}")).text
    assert claim in anonymous and edit not in anonymous
    await sign_in(site, "a@alpha.fr")
    member = (await site.get(f"/prestataires/{a}")).text
    assert claim not in member and edit in member
    await site.post("/compte/deconnexion", data={"_csrf_token": await csrf_token(site, "/compte")})
    await sign_in(site, "b@beta.fr")
    assert claim in (await site.get(f"/prestataires/{a}")).text  # another listing's member may claim this one
    await site.post("/compte/deconnexion", data={"_csrf_token": await csrf_token(site, "/compte")})
    await sign_in(site, "equipe@example.fr")
    staff = (await site.get(f"/prestataires/{a}")).text
    assert claim not in staff and f'href="/equipe/prestataires/{a}"' in staff
