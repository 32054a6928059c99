"""Certification badges: awarded by staff, shown everywhere, counted in search and routing, verifiable.

Staff define badge classes and award them to providers (``/equipe/badges`` or ``channel-expert
badges``); each award is also an Open Badges 3.0 credential signed with the network's Ed25519
key (``credentials``: pure; ``keys``: where the key lives), which anyone verifies at
``/badges/verifier``, through ``POST /api/badges/verify`` or offline, against the status lists
(``status``: revoked for ever, suspended while the listing is). A badge counts only while
valid: search documents carry the valid ones (a filter, a facet and a ranking contribution),
routing reads them at each decision, and pages show lapsed ones as such.
"""

from __future__ import annotations

from datetime import time
from pathlib import Path

from markupsafe import Markup, escape

from directory.plugin_api import hookimpl, static_files_router
from plugins.badges import awards, credentials, hookspecs, keys, measures, status
from plugins.badges.commands import badges_command
from plugins.badges.routes import (
    ProviderBadgesController,
    PublicBadgesController,
    StaffBadgesController,
    VerifyApiController,
    account_badges,
)

HERE = Path(__file__).parent
BADGE_FIELD, RANK_FIELD = "badges", "badge_count"


def add_hooks(plugin_manager):
    plugin_manager.add_hookspecs(hookspecs)  # for other plugins' measures that badge classes set thresholds on


@hookimpl
def plugin_settings():
    return keys.BadgeSettings


@hookimpl
def register_piccolo_apps(register):
    register("plugins.badges.piccolo_app")


@hookimpl
def register_routes(register):
    for handler in (PublicBadgesController, VerifyApiController, ProviderBadgesController, StaffBadgesController,
                    account_badges):
        register(handler)
    register(static_files_router("/static/badges", HERE / "static", name="badges-static"))


@hookimpl
def register_templates(register):
    register(HERE / "templates")


@hookimpl
def register_template_helpers(add_global, add_filter):
    add_filter("jour", credentials.french_date)
    add_filter("seuil", measures.sentence)
    add_filter("valeur_mesuree", measures.value_of)


@hookimpl
def navigation_links(register):
    register("Badges", "/badges", 30)


@hookimpl
def staff_links(register):
    register("Badges", "/equipe/badges", 50)


@hookimpl
def account_links(register):
    register("Badges de vos fiches", "/compte/badges", 40)


@hookimpl
def register_jobs(register, plugin_manager):
    register(awards.EXPIRY_TASK, awards.expired)
    register(awards.REMINDER_TASK, awards.send_reminders, daily_at=time(9, 0))


@hookimpl
def register_commands(cli):
    cli.add_command(badges_command)


@hookimpl
async def startup(app):
    await keys.signing_key()  # a key that cannot be read stops the start, not the first award
    app.state.badge_status_lists = status.StatusLists()


@hookimpl(optionalhook=True)  # a hook of the leads plugin, which may be disabled
async def valid_badges(provider_ids):
    return await awards.valid_counts(provider_ids)


@hookimpl(optionalhook=True)  # a hook of the insights plugin, which may be disabled
async def expiring_awards(now, until):
    return await awards.expiring(now, until)


@hookimpl
async def provider_document_fields(providers):
    names = await awards.valid_names([provider.slug for provider in providers])
    return {provider.slug: {BADGE_FIELD: names.get(provider.slug, []), RANK_FIELD: len(names.get(provider.slug, []))}
            for provider in providers}


@hookimpl
def search_fields(register):
    register(BADGE_FIELD, filterable=True, facet=True, returned=True, label="Badges du réseau")
    register(RANK_FIELD, rank="desc", rank_order=60)  # after the words, before the profile's completeness


@hookimpl
async def provider_page_sections(provider, register):
    shown = await awards.awards_of(provider.slug)
    if not shown:
        return
    items = []
    for award in shown:
        if award.valid:
            status = f"jusqu'au {credentials.french_date(award.expires_at)}" if award.expires_at else "sans expiration"
        elif award.state == awards.EXPIRED:
            status = f"expiré le {credentials.french_date(award.expires_at)}"
        elif award.state == awards.REVOKED:
            status = f"retiré le {credentials.french_date(award.revoked_at)}"
        else:
            status = f"à partir du {credentials.french_date(award.valid_from)}"
        items.append(
            f'<li class="award award-{"valid" if award.valid else "lapsed"}">'
            f'<img src="/badges/{escape(award.slug)}/image.svg" alt="" width="120" height="36"> '
            f'<a href="/badges/{escape(award.slug)}">{escape(award.badge)}</a> — {escape(status)}'
            + (f' · <a href="/badges/verifier?attestation={escape(award.credential_id)}">vérifier</a>' if award.valid else "")
            + "</li>")
    register("Badges du réseau", Markup(f'<ul class="provider-badges">{"".join(items)}</ul>'), order=10,
             head='<link rel="stylesheet" href="/static/badges/badges.css">')
