"""Logos: recognised by content, bounded, re-encoded without metadata, served as images; hostile files refused;
sent with or beside the profile form, which keeps what was typed and saves again once a logo is stored."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from directory import logos
from directory.accounts import api_tokens
from directory.tables import Account, Logo, ProfileChange, Provider
from directory.testing import csrf_token, sign_in
from tests.directory.accounts.test_profiles import EDIT, form_of, submit

UPLOAD = "/compte/prestataires/{}/logo"


def _image(fmt: str, size=(800, 400), mode="RGB", **save) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "#0b5cad").save(buffer, fmt, **save)
    return buffer.getvalue()


def _with_gps_exif() -> bytes:
    image = Image.new("RGB", (300, 300), "red")
    exif = Image.Exif()
    exif[0x010F] = "Appareil secret"  # Make
    exif[0x8825] = {2: (44.0, 50.0, 0.0)}  # GPSInfo: a latitude
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, comment=b"commentaire interne")
    return buffer.getvalue()


async def _upload(site, slug, content: bytes, name="logo.png", media_type="image/png"):
    token = await csrf_token(site, f"/compte/prestataires/{slug}")
    return await site.post(UPLOAD.format(slug), data={"_csrf_token": token},
                           files={"logo": (name, content, media_type)})


@pytest.mark.parametrize("content", [_image("PNG", mode="RGBA"), _image("JPEG"), _image("WEBP"), _with_gps_exif()],
                         ids=["png", "jpeg", "webp", "jpeg-with-gps"])
async def test_a_member_uploads_a_logo_that_is_re_encoded_and_served_safely(site, two, content):
    a, _ = two
    await sign_in(site, "a@alpha.fr")
    sent = await _upload(site, a, content, name="mon logo.png")
    assert sent.status_code == 200 and "Le logo est enregistré." in sent.text
    url = (await Provider.select(Provider.logo_url).where(Provider.slug == a).first())["logo_url"]
    assert url.startswith("/logos/") and url.endswith(".webp") and "mon" not in url
    served = await site.get(url)
    assert served.status_code == 200 and served.headers["content-type"] == "image/webp"
    assert served.headers["x-content-type-options"] == "nosniff"
    image = Image.open(io.BytesIO(served.content))
    assert image.format == "WEBP" and max(image.size) <= logos.MAX_SIDE
    assert not image.getexif() and "icc_profile" not in image.info and b"secret" not in served.content
    assert f'src="{url}"' in (await site.get(f"/prestataires/{a}")).text
    [row] = await ProfileChange.select().where(ProfileChange.field == "logo_url")
    assert row["new_value"] == url


def _bomb() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(buffer, "PNG")  # 144 million pixels in a few kilobytes
    return buffer.getvalue()


HOSTILE = {
    "svg-with-script": (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "logo.svg",
                        "image/svg+xml", "n'est pas une image PNG, JPEG ou WebP"),
    "html-renamed-png": (b"<!doctype html><script>alert(document.cookie)</script>", "logo.png", "image/png",
                         "n'est pas une image PNG, JPEG ou WebP"),
    "decompression-bomb": (_bomb(), "logo.png", "image/png", "trop de pixels"),
    "truncated-jpeg": (_image("JPEG", size=(600, 600))[:1500], "logo.jpg", "image/jpeg", "illisible ou incomplète"),
    "gif": (_image("GIF"), "logo.gif", "image/gif", "n'est pas une image PNG, JPEG ou WebP"),
    "empty": (b"", "logo.png", "image/png", "Choisissez un fichier image"),
}


@pytest.mark.parametrize("case", list(HOSTILE), ids=list(HOSTILE))
async def test_hostile_uploads_are_refused_in_french_and_change_nothing(site, two, case):
    a, _ = two
    content, name, media_type, message = HOSTILE[case]
    await sign_in(site, "a@alpha.fr")
    refused = await _upload(site, a, content, name, media_type)
    assert refused.status_code == 400
    assert message in refused.text.replace("&#39;", "'")
    assert await Logo.count() == 0
    assert (await Provider.select(Provider.logo_url).where(Provider.slug == a).first())["logo_url"] == ""


async def test_a_50_mb_upload_is_cut_short(site, two):
    a, _ = two
    await sign_in(site, "a@alpha.fr")
    refused = await _upload(site, a, b"\x89PNG\r\n\x1a\n" + b"\0" * (50 * 1024 * 1024))
    assert refused.status_code == 413
    assert await Logo.count() == 0


async def test_a_logo_is_replaced_then_removed_and_only_members_may(site, two):
    a, b = two
    await sign_in(site, "a@alpha.fr")
    await _upload(site, a, _image("PNG"))
    first = (await Provider.select(Provider.logo_url).where(Provider.slug == a).first())["logo_url"]
    await _upload(site, a, _image("JPEG"))
    second = (await Provider.select(Provider.logo_url).where(Provider.slug == a).first())["logo_url"]
    assert first != second and await Logo.count() == 1
    assert (await site.get(first)).status_code == 404
    token = await csrf_token(site, f"/compte/prestataires/{a}")
    await site.post(f"{UPLOAD.format(a)}/supprimer", data={"_csrf_token": token})
    assert await Logo.count() == 0 and (await site.get(second)).status_code == 404

    refused = await site.post(UPLOAD.format(b), data={"_csrf_token": token},
                              files={"logo": ("logo.png", _image("PNG"), "image/png")})
    assert refused.status_code == 403 and await Logo.count() == 0


async def _token_of(email: str) -> dict[str, str]:
    account = await Account.select(Account.id).where(Account.email == email).first()
    return {"authorization": f"Bearer {await api_tokens.create(account['id'], 'CRM')}"}


async def test_a_profile_with_a_logo_is_edited_again_on_the_web_and_through_the_api(site, two):
    a, _ = two
    await sign_in(site, "a@alpha.fr")
    await _upload(site, a, _image("PNG"))
    logo = (await Provider.select(Provider.logo_url).where(Provider.slug == a).first())["logo_url"]

    saved = await submit(site, a, description="Des boutiques en ligne pour les commerces de Gironde.")
    assert saved.status_code == 200, saved.text
    assert "Modifications publiées." in saved.text and "Certains champs" not in saved.text

    edited = await site.patch(f"/api/providers/{a}", headers=await _token_of("a@alpha.fr"),
                              json={"phone": "05 57 00 00 00"})
    assert edited.status_code == 200, edited.text
    assert edited.json()["live"] == ["phone"] and edited.json()["profile"]["logo_url"] == logo
    stored = await Provider.select().where(Provider.slug == a).first()
    assert stored["description"].startswith("Des boutiques") and stored["phone"] == "05 57 00 00 00"
    assert stored["logo_url"] == logo


async def _post(site, slug: str, fields: dict, logo: tuple[str, bytes, str] | None = None, button: str = ""):
    """The profile form of ``slug`` sent by ``button`` (its address after the form's: "/logo"…)."""
    token = await csrf_token(site, EDIT.format(slug))
    return await site.post(EDIT.format(slug) + button, data={**fields, "_csrf_token": token},
                           files={"logo": logo} if logo else None)


async def test_sending_the_logo_keeps_what_was_typed_until_it_is_published(site, two):
    a, _ = two
    await sign_in(site, "a@alpha.fr")
    typed = await form_of(site, a)
    typed.update(description="Un texte tapé avant d'envoyer le logo.", services=["e-commerce"])
    sent = await _post(site, a, typed, ("logo.png", _image("PNG"), "image/png"), "/logo")
    assert sent.status_code == 200 and "Le logo est enregistré." in sent.text
    assert "Un texte tapé avant d&#39;envoyer le logo.</textarea>" in sent.text
    assert 'value="e-commerce" checked' in sent.text
    stored = await Provider.select().where(Provider.slug == a).first()
    assert stored["logo_url"].startswith("/logos/") and not stored["description"].startswith("Un texte tapé")

    refused = await _post(site, a, typed, ("logo.gif", _image("GIF"), "image/gif"), "/logo")
    assert refused.status_code == 400 and 'id="erreur-logo"' in refused.text
    assert "Un texte tapé avant d&#39;envoyer le logo.</textarea>" in refused.text

    published = await _post(site, a, {**typed, "action": "publier"})
    assert published.status_code == 200 and "Modifications publiées." in published.text
    stored = await Provider.select().where(Provider.slug == a).first()
    assert stored["description"].startswith("Un texte tapé")


async def test_a_logo_chosen_in_the_profile_form_goes_with_the_changes_a_bad_one_writes_nothing(site, two):
    a, _ = two
    await sign_in(site, "a@alpha.fr")
    fields = {**await form_of(site, a), "description": "Avec le logo.", "action": "publier"}
    refused = await _post(site, a, fields, ("logo.svg", HOSTILE["svg-with-script"][0], "image/svg+xml"))
    assert refused.status_code == 400 and "n&#39;est pas une image PNG, JPEG ou WebP" in refused.text
    assert "Avec le logo.</textarea>" in refused.text
    stored = await Provider.select().where(Provider.slug == a).first()
    assert stored["description"] != "Avec le logo." and stored["logo_url"] == "" and await Logo.count() == 0

    saved = await _post(site, a, fields, ("logo.png", _image("PNG"), "image/png"))
    assert saved.status_code == 200
    assert "Modifications publiées." in saved.text and "Le logo est enregistré." in saved.text
    stored = await Provider.select().where(Provider.slug == a).first()
    assert stored["description"] == "Avec le logo." and stored["logo_url"].startswith("/logos/")


async def test_an_error_on_a_field_the_form_does_not_show_is_written_out_above_it(site, two):
    a, _ = two
    await sign_in(site, "a@alpha.fr")
    await Provider.update({Provider.kind: "integrateur"}).where(Provider.slug == a)  # a kind the catalogue dropped
    refused = await submit(site, a, description="Nouveau texte")
    assert refused.status_code == 400
    assert "Type de prestataire : Type inconnu" in refused.text
    bad_phone = await submit(site, a, phone="12")
    assert '<a href="#champ-phone">Téléphone</a>' in bad_phone.text and 'id="erreur-phone"' in bad_phone.text
