"""The contact form: a message reaches staff's page and their mailbox; robots, floods and bad input do not."""

from __future__ import annotations

import html
from dataclasses import replace

import pytest

from directory import events
from directory.app import create_app
from directory.tables import ContactMessage
from directory.testing import csrf_token, serve, sign_in
from tests.directory.legal.conftest import MESSAGE, legal_settings, send_message


def _page(answer) -> str:
    return html.unescape(answer.text)


async def test_a_message_reaches_staffs_page_and_the_configured_mailbox(settings, plugin_manager,
                                                                        manual_clock, smtp):
    configured = legal_settings(settings, contact_email="equipe@channel-expert.fr", mail_transport="smtp",
                                smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_tls="none", smtp_timeout_s=2)
    app = create_app(configured, plugin_manager)
    async with serve(app) as client:
        sent = await send_message(client, manual_clock)
        assert sent.status_code == 303 and sent.headers["location"] == "/contact/envoye"
        thanks = _page(await client.get("/contact/envoye"))
        assert "l'équipe du réseau, qui vous répondra par e-mail" in thanks
        while await app.state.platform.worker().run_once():
            pass
        [mail] = smtp.inbox.messages
        assert mail["To"] == "equipe@channel-expert.fr"
        assert mail["Subject"] == "Message reçu par la page Contact : Ma fiche"
        body = mail.get_content()
        assert "Anne Le Goff <anne@ty-anne.fr>" in body and MESSAGE["message"] in body
        from directory.testing import add_account

        await add_account("equipe@example.fr", staff=True)
        await sign_in(client, "equipe@example.fr")
        listing = _page(await client.get("/equipe/messages"))
    assert "Ma fiche" in listing and "anne@ty-anne.fr" in listing and MESSAGE["message"] in listing


async def test_without_a_configured_address_the_message_waits_on_staffs_page_only(site, manual_clock, outbox):
    assert (await send_message(site, manual_clock)).status_code == 303
    assert await ContactMessage.count() == 1 and await outbox() == []


@pytest.mark.parametrize("fields, field, error", [
    ({"name": ""}, "name", "Indiquez votre nom."),
    ({"email": "pas-une-adresse"}, "email", "L'adresse e-mail n'est pas valide."),
    ({"email": ""}, "email", "Indiquez votre adresse e-mail, pour que l'équipe puisse vous répondre."),
    ({"subject": "Ligne\u2028coupée"}, "subject", "Retour à la ligne interdit dans ce champ"),
    ({"message": "Court"}, "message", "Écrivez votre message en 10 à 5000 caractères."),
    ({"message": "x" * 5001}, "message", "Écrivez votre message en 10 à 5000 caractères."),
    ({"message": "Texte \u202e retourné, invisible"}, "message", "Caractère de contrôle interdit (U+202E)."),
    ({"consent": None}, "consent", "Cochez la case pour accepter"),
])
async def test_a_wrong_field_is_explained_in_french_and_what_was_typed_stays(site, manual_clock, fields,
                                                                             field, error):
    answer = await send_message(site, manual_clock, **{"subject": "Sujet gardé", **fields})
    page = _page(answer)
    assert answer.status_code == 400 and error in page
    assert f'id="erreur-{field}"' in page and 'href="#champ-' + field in page
    assert 'value="anne@ty-anne.fr"' in page or field == "email"
    assert 'value="Sujet gardé"' in page or field == "subject"
    assert "Bonjour, comment modifier" in page or field == "message"
    assert await ContactMessage.count() == 0


async def test_a_form_sent_faster_than_a_person_types_is_shown_again(site, manual_clock):
    form = await site.get("/contact")
    token = await csrf_token(site, "/contact")
    stamp = form.text.split('name="formulaire" value="')[1].split('"')[0]
    answer = await site.post("/contact", data={"_csrf_token": token, "formulaire": stamp, **MESSAGE})
    assert answer.status_code == 400 and "envoyez de nouveau le formulaire" in _page(answer)
    assert 'value="anne@ty-anne.fr"' in answer.text and await ContactMessage.count() == 0
    forged = await site.post("/contact", data={"_csrf_token": token, "formulaire": "cle.1.faux", **MESSAGE})
    assert forged.status_code == 400 and "Ce formulaire a expiré" in _page(forged)


async def test_robots_filling_the_hidden_field_are_thanked_and_ignored(site, manual_clock):
    answer = await send_message(site, manual_clock, site_web="http://spam.example")
    assert answer.status_code == 200 and "Message envoyé" in answer.text
    assert await ContactMessage.count() == 0


async def test_a_form_without_its_csrf_token_is_refused(site):
    answer = await site.post("/contact", data=MESSAGE)
    assert answer.status_code == 403 and await ContactMessage.count() == 0


async def test_one_address_sends_a_few_messages_a_day_then_waits(site, manual_clock):
    for number in range(5):
        assert (await send_message(site, manual_clock, subject=f"Question {number}")).status_code == 303
    refused = await send_message(site, manual_clock, subject="Encore une")
    assert refused.status_code == 429 and "Trop de messages envoyés : réessayez demain." in _page(refused)
    assert 'value="Encore une"' in refused.text and await ContactMessage.count() == 5
    manual_clock.advance(days=1)
    assert (await send_message(site, manual_clock, subject="Le lendemain")).status_code == 303


async def test_one_client_sends_ten_forms_an_hour_whatever_the_addresses(site, manual_clock):
    for number in range(10):
        assert (await send_message(site, manual_clock, email=f"personne{number}@example.fr")).status_code == 303
    refused = await send_message(site, manual_clock, email="onzieme@example.fr")
    assert refused.status_code == 429 and await ContactMessage.count() == 10


async def test_hostile_input_gets_a_french_answer_never_a_server_error(site, manual_clock):
    """A NUL is refused at the edge (PostgreSQL would refuse to store it); a huge body is too large."""
    nul = await send_message(site, manual_clock, message="Bonjour\x00 le réseau, une question.")
    assert nul.status_code == 400
    huge = await send_message(site, manual_clock, message="é" * 2_000_000)
    assert huge.status_code == 413
    long_fields = await send_message(site, manual_clock, name="N" * 10_000, subject="S" * 10_000)
    assert long_fields.status_code == 400 and "200 caractères au plus." in _page(long_fields)
    assert await ContactMessage.count() == 0


async def test_a_multipart_form_with_a_nul_or_a_file_for_a_field_gets_a_french_answer(site, manual_clock):
    form = (await site.get("/contact")).text
    manual_clock.advance(seconds=30)
    fields = {"_csrf_token": await csrf_token(site, "/contact"), **MESSAGE,
              "formulaire": form.split('name="formulaire" value="')[1].split('"')[0]}
    nul = await site.post("/contact", data={**fields, "subject": "Objet\x00nul"},
                          files={"piece": ("a.txt", b"x")})
    assert nul.status_code == 400
    without = {name: value for name, value in fields.items() if name != "message"}
    as_file = await site.post("/contact", data=without,
                              files={"message": ("message.txt", b"Un message en fichier.", "text/plain")})
    assert as_file.status_code == 400
    assert "Écrivez votre message en 10 à 5000 caractères." in _page(as_file)
    assert await ContactMessage.count() == 0


async def test_the_daily_job_erases_messages_older_than_the_retention_period(settings, plugin_manager,
                                                                               manual_clock):
    app = create_app(legal_settings(settings, contact_retention_days=30), plugin_manager)
    async with serve(app) as client:
        await send_message(client, manual_clock, subject="Ancien")
        manual_clock.advance(days=20)
        await send_message(client, manual_clock, subject="Récent")
        manual_clock.advance(days=11)
        from directory.contact import apply_retention

        await apply_retention({})
    assert [row["subject"] for row in await ContactMessage.select(ContactMessage.subject)] == ["Récent"]
    assert "contact.retention" in app.state.platform.tasks.names()


async def test_staff_mark_a_message_handled_and_erase_a_senders_data(site, manual_clock):
    await send_message(site, manual_clock)
    await send_message(site, manual_clock, subject="Deuxième question")
    await send_message(site, manual_clock, email="autre@example.fr", subject="Autre personne")
    await sign_in(site, "equipe@example.fr")
    token = await csrf_token(site, "/equipe/messages")
    [first] = await ContactMessage.select(ContactMessage.id).where(ContactMessage.subject == "Ma fiche")
    handled = await site.post(f"/equipe/messages/{first['id']}/traite", data={"_csrf_token": token})
    assert handled.status_code == 303
    assert "traité par equipe@example.fr" in _page(await site.get("/equipe/messages"))
    unconfirmed = await site.post(f"/equipe/messages/{first['id']}/effacer", data={"_csrf_token": token})
    assert unconfirmed.status_code == 400 and "Cochez la case pour confirmer" in _page(unconfirmed)
    assert await ContactMessage.count() == 3
    erase = {"_csrf_token": token, "confirm": "oui"}
    before = await events.latest()
    assert (await site.post(f"/equipe/messages/{first['id']}/effacer", data=erase)).status_code == 303
    listing = _page(await site.get("/equipe/messages"))
    assert "2 message(s) de cette adresse effacé(s)" in listing
    assert "anne@ty-anne.fr" not in listing and "Autre personne" in listing
    [audit], _ = await events.since(before, names={events.CONTACT_ERASED})  # earlier tests' events stay
    assert audit.actor == "equipe@example.fr" and audit.payload == {"messages": 2}
    again = await site.post(f"/equipe/messages/{first['id']}/effacer", data=erase)
    assert again.status_code == 404


@pytest.mark.parametrize("who, status", [(None, 401), ("membre@example.fr", 403), ("equipe@example.fr", 200)])
async def test_only_staff_read_the_messages(settings, plugin_manager, manual_clock, who, status):
    from directory.testing import add_account, add_providers, provider_row

    [slug] = await add_providers(provider_row())
    await add_account("membre@example.fr", provider=slug)
    await add_account("equipe@example.fr", staff=True)
    async with serve(create_app(replace(legal_settings(settings)), plugin_manager)) as client:
        await send_message(client, manual_clock)
        if who:
            await sign_in(client, who)
        answer = await client.get("/equipe/messages")
    assert answer.status_code == status
    assert ("anne@ty-anne.fr" in answer.text) == (status == 200)
