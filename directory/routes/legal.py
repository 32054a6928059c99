"""The pages a French site owes its users: legal notice, privacy policy, accessibility, contact.

Every fact these pages state comes from what runs: the settings, the retention periods the core
and the loaded plugins are configured with, the cookies the app sets. The contact form goes to
staff's page (``/equipe/messages``) and, when set, to ``CHANNEL_EXPERT_CONTACT_EMAIL``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from directory import contact, data_rights, form_stamps
from directory.accounts import sessions
from directory.accounts.guards import PUBLIC, STAFF
from directory.notices import flash
from directory.plugin_manager import PluginManager
from directory.problems import ProblemError
from directory.routes.forms import CSRF_COOKIE, client_key, over_limit
from directory.settings import Settings

logger = logging.getLogger(__name__)

CORE_FOOTER_LINKS = ((10, "Mentions légales", "/mentions-legales"),
                     (20, "Données personnelles", "/confidentialite"),
                     (30, "Accessibilité : non conforme", "/accessibilite"),
                     (40, "Contact", "/contact"),
                     (90, "API et documentation", "/schema"))
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
MESSAGES_PER_CLIENT_HOUR = 10  # every sending counts, corrections included
MESSAGES_PER_EMAIL_DAY = 5
FIELDS = ("name", "email", "subject", "message", "consent")
TOO_MANY = "Trop de messages envoyés : réessayez demain."


def warn_of_legal_gaps(settings: Settings) -> None:
    """Log, as a site served over https starts, which legal notice settings are still unset."""
    if settings.served_over_https and settings.legal_gaps:
        logger.warning("Mentions légales incomplètes : définissez %s / the legal notice lacks these settings",
                       ", ".join(settings.legal_gaps))


def plugin_retention(manager: PluginManager) -> dict[str, dict[str, int]]:
    """Every loaded plugin's retention settings (fields named ``…retention…``, in days), by plugin."""
    found: dict[str, dict[str, int]] = {}
    for plugin, values in manager.plugin_settings.items():
        for name in msgspec.structs.fields(values):
            value = getattr(values, name.name)
            if "retention" in name.name and isinstance(value, int) and not isinstance(value, bool):
                found.setdefault(plugin, {})[name.name] = value
    return found


@dataclass(frozen=True)
class PrivacySection:
    """One processing of personal data a plugin describes (``privacy_sections``)."""

    plugin: str
    title: str
    purpose: str
    legal_basis: str
    retention: str
    recipients: str = ""
    rights: str = ""
    order: int = 50


def privacy_sections(manager: PluginManager) -> list[PrivacySection]:
    """What the plugins say of their processing, in order; a plugin that raises, or leaves out its
    purpose, legal basis or retention, is recorded as failing and says nothing."""
    found: list[PrivacySection] = []

    def register_for(plugin: str) -> dict[str, Any]:
        def register(title: str, *, purpose: str, legal_basis: str, retention: str, recipients: str = "",
                     rights: str = "", order: int = 50) -> None:
            required = (title, purpose, legal_basis, retention)
            if not all(isinstance(text, str) and text.strip() for text in required):
                raise ValueError("privacy_sections: title, purpose, legal_basis and retention are required")
            found.append(PrivacySection(plugin, title, purpose, legal_basis, retention, recipients, rights,
                                        order))
        return {"register": register}

    def fail(plugin: str, error: Exception) -> None:
        found[:] = [section for section in found if section.plugin != plugin]
        manager.faults.record(plugin, "privacy_sections", error)

    for _ in manager.answers("privacy_sections", register_for, on_error=fail):
        pass
    return sorted(found, key=lambda section: section.order)


def _contact_page(request: Request, values: dict[str, str] | None = None,
                  errors: dict[str, str] | None = None, status_code: int = 200, stamp: str = "") -> Template:
    return Template(template_name="legal/contact.html", status_code=status_code, context={
        "values": values or {}, "errors": errors or {}, "limits": contact.LIMITS,
        "stamp": stamp or form_stamps.form_stamp(request),
        "retention_days": request.app.state.settings.contact_retention_days})


class LegalController(Controller):
    """The legal pages, open to everyone, and the contact form."""

    include_in_schema = False
    opt = PUBLIC

    @get("/mentions-legales", name="legal-notice")
    async def notice(self, settings: NamedDependency[Settings]) -> Template:
        return Template(template_name="legal/notice.html", context={"settings": settings})

    @get("/confidentialite", name="privacy")
    async def privacy(self, settings: NamedDependency[Settings],
                      plugin_manager: NamedDependency[PluginManager]) -> Template:
        """The privacy policy, written from the settings and the retention periods in force."""
        sections = privacy_sections(plugin_manager)
        described = {section.plugin for section in sections}
        retention = {plugin: fields for plugin, fields in plugin_retention(plugin_manager).items()
                     if plugin not in described}
        return Template(template_name="legal/privacy.html", context={
            "sections": sections, "other_retention": retention,
            "session_idle_hours": int(sessions.IDLE / HOUR), "session_days": sessions.ABSOLUTE.days,
            "erase_after_days": data_rights.ERASE_AFTER.days, "cookies": (sessions.COOKIE, CSRF_COOKIE),
            "geocoders": settings.geocoders, "settings": settings})

    @get("/accessibilite", name="accessibility")
    async def accessibility(self) -> Template:
        return Template(template_name="legal/accessibility.html")

    @get("/contact", name="contact")
    async def contact_form(self, request: Request) -> Template:
        return _contact_page(request)

    @post("/contact", status_code=200)
    async def send(self, request: Request) -> Template | Redirect:
        """Check and keep a message for staff; robots that fill the hidden field are thanked and ignored."""
        form = await request.form()
        # A file sent in place of a field is no text: the field is taken as empty.
        longest = contact.LIMITS["message"] + 100
        values = {name: value[:longest] if isinstance(value := form.get(name, ""), str) else ""
                  for name in FIELDS}
        email = values["email"].strip().lower()[:254]
        if await over_limit(request, (f"contact:{client_key(request)}", MESSAGES_PER_CLIENT_HOUR, HOUR),
                            (f"contact:address:{email}", MESSAGES_PER_EMAIL_DAY, DAY)):
            return _contact_page(request, values, {"form": TOO_MANY}, 429)
        if form.get("site_web"):  # the honeypot: only robots fill a field people cannot see
            return Template(template_name="legal/contact_sent.html")
        stamp = str(form.get("formulaire", ""))
        key, problem = form_stamps.check_stamp(request, stamp)
        try:
            cleaned = contact.clean(values)
        except contact.ContactErrors as error:  # a genuine stamp stays: the person has been at it since
            return _contact_page(request, values, error.errors, 400, stamp=stamp if key else "")
        if key is None:
            return _contact_page(request, values, {"form": problem}, 400)
        await contact.send(cleaned)
        return Redirect("/contact/envoye", status_code=303)

    @get("/contact/envoye", name="contact-sent")
    async def sent(self) -> Template:
        return Template(template_name="legal/contact_sent.html")


class StaffContactController(Controller):
    """``/equipe/messages``: what people wrote through the contact page."""

    path = "/equipe/messages"
    include_in_schema = False
    opt = STAFF

    @get("/", name="staff-messages")
    async def listing(self) -> Template:
        return await _messages_page()

    @post("/{message_id:int}/traite", status_code=303)
    async def handled(self, request: Request, message_id: FromPath[int]) -> Redirect:
        if not await contact.mark_handled(message_id, _staff(request)):
            raise ProblemError(404, "Ce message n'existe pas ou a déjà été traité.")
        return Redirect("/equipe/messages", status_code=303)

    @post("/{message_id:int}/effacer", status_code=303)
    async def erase(self, request: Request, message_id: FromPath[int],
                    data: Annotated[EraseForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
                    ) -> Template | Redirect:
        """Erase, once confirmed, everything held about the message's sender, as they asked (the right to
        erasure)."""
        if data.confirm != "oui":
            return await _messages_page("Cochez la case pour confirmer l'effacement.", 400)
        erased = await contact.erase_sender(message_id, _staff(request))
        if not erased:
            raise ProblemError(404, "Ce message n'existe pas ou a déjà été effacé.")
        flash(request, f"{erased} message(s) de cette adresse effacé(s), avec ce que l'annuaire en gardait.")
        return Redirect("/equipe/messages", status_code=303)


class EraseForm(msgspec.Struct):
    confirm: Annotated[str, msgspec.Meta(max_length=10)] = ""


async def _messages_page(error: str = "", status_code: int = 200) -> Template:
    return Template(template_name="legal/staff_messages.html", status_code=status_code,
                    context={"messages": await contact.listing(), "error": error})


def _staff(request: Request) -> str:
    account: dict[str, Any] = request.state.account
    return account["email"]
