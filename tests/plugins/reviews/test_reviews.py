"""Verified reviews: written by the TPE whose request was accepted, moderated, shown, answered, reported."""

from __future__ import annotations

from datetime import date

from directory.tables import ProfileChange
from directory.testing import add_account, csrf_token, sign_in
from plugins.reviews.tables import Review, ReviewReport
from tests.plugins.reviews.conftest import (
    ODET,
    REVIEW,
    TPE,
    link_in,
    mails_to,
    post_form,
    review_link_after_answer,
)

ANY_FORM = "/avis/lien/0"  # a page that always holds a form, for its CSRF token


def _review(manual_clock, **changes):
    return {**REVIEW, "worked_on": manual_clock.now().date().isoformat(), **changes}


async def _write(site, manual_clock, link, **changes):
    return await post_form(site, link, _review(manual_clock, **changes))


async def _decide(site, decision, reason=""):
    await sign_in(site, "equipe@example.fr")
    [review] = await Review.select(Review.id)
    return await post_form(site, f"/equipe/avis/{review['id']}", {"decision": decision, "reason": reason},
                           page="/equipe/avis")


async def _profile(site, network):
    return (await site.get(f"/prestataires/{network['odet']}")).text


async def test_a_review_is_shown_once_published_with_its_dates_and_the_verified_mention(
        site, network, accepted, manual_clock):
    link = await review_link_after_answer(site, manual_clock)
    form = await site.get(link + "?merci=1")
    assert "Votre avis sur Agence Odet" in form.text and "charte des avis" in form.text.lower()
    assert (await _write(site, manual_clock, link)).status_code == 303
    assert "En attente de modération" in (await site.get(link)).text
    assert "équipe à l'écoute" not in await _profile(site, network)  # moderated before it shows
    staff_mail = (await mails_to("equipe@example.fr"))[-1]
    assert "attend sa relecture" in staff_mail["subject"]
    await sign_in(site, "equipe@example.fr")
    assert "trois semaines" in (await site.get("/equipe/avis")).text
    assert (await _decide(site, "publier")).status_code == 303
    page = await _profile(site, network)
    today = manual_clock.now().strftime("%d/%m/%Y")
    assert "équipe à l&#39;écoute" in page and "Avis vérifié : demande transmise par Channel Expert" in page
    assert f"Publié le {today}" in page and f"travaux du {today}" in page and "5,0 sur 5</strong> (1 avis)" in page
    assert "Respect des délais : 4/5" in page and 'href="/avis/charte"' in page
    assert "Un nouvel avis" in (await mails_to(ODET))[-1]["subject"]
    await site.app.state.search.sync()
    found = (await site.get("/api/search", params={"q": "e-commerce", "filter": "avis:Avec avis vérifiés"})).json()
    assert [hit["slug"] for hit in found["hits"]] == [network["odet"]]
    assert found["hits"][0]["fields"]["avis"] == ["Avec avis vérifiés", "Note moyenne de 4 sur 5 ou plus"]


async def test_a_refused_review_is_mailed_to_its_author_with_the_reason(site, network, accepted, manual_clock):
    link = await review_link_after_answer(site, manual_clock)
    await _write(site, manual_clock, link)
    assert (await _decide(site, "refuser")).status_code == 400  # a refusal needs its reason
    assert (await _decide(site, "refuser", "Le texte nomme un salarié.")).status_code == 303
    refusal = (await mails_to(TPE))[-1]
    assert "n'a pas été publié" in refusal["subject"] and "Le texte nomme un salarié." in refusal["text"]
    assert "/avis/charte" in refusal["text"]
    assert "Refusé" in (await site.get(link)).text and "équipe à l'écoute" not in await _profile(site, network)


async def test_the_tpe_edits_its_review_back_into_moderation_and_withdraws_it(site, network, accepted, manual_clock):
    link = await review_link_after_answer(site, manual_clock)
    await _write(site, manual_clock, link)
    await _decide(site, "publier")
    site.cookies.clear()
    await _write(site, manual_clock, link, rating="3", text="Finalement des retards sur la livraison du site.")
    assert "retards" not in await _profile(site, network)  # the edit waits for moderation
    assert await Review.count() == 1
    await _decide(site, "publier")
    assert "retards" in await _profile(site, network)
    site.cookies.clear()
    assert (await post_form(site, link + "/retirer", page=link)).status_code == 303
    assert "retards" not in await _profile(site, network)
    [review] = await Review.select(Review.state, Review.text)
    assert review == {"state": "withdrawn", "text": ""}
    again = await post_form(site, link, _review(manual_clock), page=ANY_FORM)
    assert again.status_code == 403 and "retiré votre avis" in again.text


async def test_the_provider_answers_once_and_reports_and_its_history_keeps_both(site, network, accepted, manual_clock):
    link = await review_link_after_answer(site, manual_clock)
    await _write(site, manual_clock, link)
    await _decide(site, "publier")
    [review] = await Review.select(Review.id)
    await sign_in(site, ODET)
    assert "équipe à l&#39;écoute" in (await site.get("/compte/avis")).text
    path = f"/compte/avis/{review['id']}"
    answered = await post_form(site, path + "/reponse", {"text": "Merci pour votre confiance !"}, page="/compte/avis")
    assert answered.status_code == 303
    twice = await post_form(site, path + "/reponse", {"text": "Encore merci."}, page="/compte/avis")
    assert twice.status_code == 400 and "une seule réponse" in twice.text
    assert "Merci pour votre confiance !" in await _profile(site, network)
    reported = await post_form(site, path + "/signalement", {"text": "Ce client n'a jamais commandé."},
                               page="/compte/avis")
    assert reported.status_code == 303 and await ReviewReport.count() == 1
    history = await ProfileChange.select(ProfileChange.field, ProfileChange.actor).order_by(ProfileChange.id)
    assert [row["actor"] for row in history[-2:]] == [ODET, ODET]
    assert "réponse" in history[-2]["field"] and "signalement" in history[-1]["field"]
    assert "équipe à l&#39;écoute" in await _profile(site, network)  # reported, still online
    await sign_in(site, "equipe@example.fr")
    assert "Ce client n&#39;a jamais commandé." in (await site.get("/equipe/avis")).text


async def test_nobody_else_answers_reports_or_moderates_a_review(site, network, accepted, manual_clock):
    link = await review_link_after_answer(site, manual_clock)
    await _write(site, manual_clock, link)
    await _decide(site, "publier")
    [review] = await Review.select(Review.id)
    await sign_in(site, "membre.kerf@example.fr")
    for action in ("reponse", "signalement"):
        refused = await post_form(site, f"/compte/avis/{review['id']}/{action}", {"text": "Avis mensonger !!"},
                                  page=ANY_FORM)
        assert refused.status_code == 403
    assert (await site.get("/equipe/avis")).status_code in (403, 404)
    decided = await site.post(f"/equipe/avis/{review['id']}", data={
        "decision": "refuser", "reason": "x", "_csrf_token": await csrf_token(site, ANY_FORM)})
    assert decided.status_code in (403, 404)
    assert (await Review.select(Review.state, Review.answer).first()) == {"state": "published", "answer": ""}
    site.cookies.clear()
    assert (await site.get("/avis/ecrire/un-lien-invente")).status_code == 404
    assert (await post_form(site, "/avis/ecrire/un-lien-invente", _review(manual_clock), page=ANY_FORM)
            ).status_code == 404


async def test_a_member_of_the_provider_cannot_review_it(site, network, accepted, manual_clock):
    link = await review_link_after_answer(site, manual_clock)
    await add_account(TPE, provider=network["odet"], role="member")
    refused = await _write(site, manual_clock, link)
    assert refused.status_code == 403 and "membre de ce prestataire" in refused.text
    assert await Review.count() == 0


async def test_hostile_input_is_refused_in_french(site, network, accepted, manual_clock):
    link = await review_link_after_answer(site, manual_clock)
    tomorrow = manual_clock.now().date().toordinal() + 1
    nul = await _write(site, manual_clock, link, text="Un texte\x00 avec un caractère nul dedans.")
    assert nul.status_code == 400 and "caractère nul" in nul.json()["detail"]  # refused at the edge
    for changes, field in ((dict(text="x" * 50_000), "text"), (dict(text="court"), "text"),
                           (dict(rating="abc"), "rating"), (dict(quality="6"), "quality"),
                           (dict(worked_on="2026-13-45"), "worked_on"),
                           (dict(worked_on=date.fromordinal(tomorrow).isoformat()), "worked_on")):
        refused = await _write(site, manual_clock, link, **changes)
        assert refused.status_code == 400 and f'id="erreur-{field}"' in refused.text, changes
    wrong_type = await site.post(link, data={"rating": ["1", "2"], "_csrf_token": await csrf_token(site, link)})
    assert wrong_type.status_code == 400
    assert await Review.count() == 0


async def test_robots_fill_the_honeypot_and_bursts_are_limited(site, network, accepted, manual_clock):
    link = await review_link_after_answer(site, manual_clock)
    trapped = await _write(site, manual_clock, link, site_web="http://spam.example")
    assert trapped.status_code == 200 and await Review.count() == 0
    for _ in range(10):
        await _write(site, manual_clock, link, rating="x")
    limited = await _write(site, manual_clock, link)
    assert limited.status_code == 429 and "réessayez dans une heure" in limited.text and await Review.count() == 0


async def test_the_follow_up_page_offers_the_review_link_by_mail(site, network, accepted, manual_clock):
    page = (await site.get(accepted)).text
    assert "Votre avis" in page and "Donner mon avis sur Agence Odet" in page
    ask = link_in({"text": page.replace('href="', "http://annuaire.example.fr")}, "/avis/lien/").rstrip('">')
    ask = ask.split('"')[0]
    sent = await post_form(site, ask)
    assert sent.status_code == 200 and "Lien envoyé" in sent.text
    link = link_in((await mails_to(TPE))[-1], "/avis/ecrire/")
    assert (await _write(site, manual_clock, link)).status_code == 303
    assert "en attente de modération" in (await site.get(accepted)).text


async def test_the_charter_says_what_the_law_asks(site):
    page = (await site.get("/avis/charte")).text
    for said in ("L111-7-2", "D111-19", "relu par l'équipe", "Aucune contrepartie", "répondre publiquement",
                 "signaler", "refusé", "reste en ligne", "10 jours", "30 jours"):
        assert said.replace("'", "&#39;") in page or said in page, said
