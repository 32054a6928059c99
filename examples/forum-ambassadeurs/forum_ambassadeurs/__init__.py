"""Forum des ambassadeurs: the network's business advisors refer their TPEs' requests and follow them.

An example of a plugin installed from its own package, using the directory's public API only
(``directory.plugin_api``): its own tables and migration, settings, pages, jobs, mail, a
lead-routing hook and a command. See the README next to this package.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from markupsafe import Markup, escape

from directory.plugin_api import hookimpl, signed_in
from forum_ambassadeurs import advisors
from forum_ambassadeurs.commands import ambassadeurs_command
from forum_ambassadeurs.routes import AdvisorPage, StaffAdvisors

HERE = Path(__file__).parent


@hookimpl
def plugin_settings():
    return advisors.AmbassadorSettings


@hookimpl
def register_piccolo_apps(register):
    register("forum_ambassadeurs.piccolo_app")


@hookimpl
def register_routes(register):
    register(AdvisorPage)
    register(StaffAdvisors)


@hookimpl
def register_templates(register):
    register(HERE / "templates")


@hookimpl
def account_links(register):
    register("Forum des ambassadeurs", "/ambassadeurs", 60)


@hookimpl
def staff_links(register):
    register("Ambassadeurs", "/equipe/ambassadeurs", 60)


@hookimpl
def register_jobs(register, plugin_manager):
    register(advisors.FOLLOW_TASK, advisors.follow, every=timedelta(minutes=1))
    register(advisors.DIGEST_TASK, advisors.send_digests, every=advisors.DIGEST_PERIOD)


@hookimpl
def register_commands(cli):
    cli.add_command(ambassadeurs_command)


@hookimpl
async def lead_source(request):
    """A request an advisor sends, signed in, is credited to it (the TPE agreed, as the form says)."""
    advisor = await advisors.advisor_for(await signed_in(request))
    return advisors.source_of(advisor["id"]) if advisor else None


@hookimpl
async def provider_page_sections(provider, register):
    shown = await advisors.in_region(provider.address.region, advisors.ambassador_settings().shown_on_profiles)
    if shown:
        items = "".join(f"<li>{escape(a['name'])}, {escape(a['organisation'])} ({escape(advisors.KINDS[a['kind']])})</li>"
                        for a in shown)
        register(f"Conseillers des TPE en {provider.address.region_name}", Markup(
            f"<p>Ces conseillers du Forum des ambassadeurs accompagnent les TPE de la région et peuvent "
            f"vous orienter :</p><ul>{items}</ul>"), order=80)
