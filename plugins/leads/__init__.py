"""TPE lead routing: a TPE's request goes to the providers best placed to answer it.

The TPE asks at ``/devis``; routing (``routing``: pure, documented score) offers the request to
a few eligible providers, who accept or decline before a deadline (a job) from their dashboard
or the link of their e-mail; a decline or a missed deadline offers it to the next one; nobody
eligible puts it in staff's queue. ``service`` writes each step in one transaction with its
mail and jobs, so no acknowledged request is lost; ``follow_up`` reads a lead and writes what its
TPE does with it afterwards. The pages are ``routes`` (the TPE's), ``provider_pages`` and
``staff_pages``.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from pathlib import Path

from directory.plugin_api import hookimpl, static_files_router
from plugins.leads import deadlines, figures, follow_up, hookspecs, privacy, service
from plugins.leads.commands import leads_command
from plugins.leads.provider_pages import AnswerLinkController, ProviderLeadsController
from plugins.leads.routes import LeadFormController
from plugins.leads.staff_pages import StaffLeadsController

HERE = Path(__file__).parent


@hookimpl
def add_hooks(plugin_manager):
    plugin_manager.add_hookspecs(hookspecs)  # the lead routing hooks, for other plugins to implement


@hookimpl
def plugin_settings():
    return service.LeadSettings


@hookimpl
def register_piccolo_apps(register):
    register("plugins.leads.piccolo_app")


@hookimpl
def register_routes(register):
    for controller in (LeadFormController, ProviderLeadsController, AnswerLinkController,
                       StaffLeadsController):
        register(controller)
    register(static_files_router("/static/leads", HERE / "static", name="leads-static"))


@hookimpl
def register_templates(register):
    register(HERE / "templates")


@hookimpl
def register_template_helpers(add_global, add_filter):
    add_filter("local_time", deadlines.local_time)  # deadlines told in the provider's own time


@hookimpl
def privacy_sections(register):
    privacy.describe(register)


@hookimpl
def navigation_links(register):
    register("Demander un devis", "/devis", 20)


@hookimpl
def account_links(register):
    register("Demandes de devis reçues", "/compte/demandes", 10)


@hookimpl
def staff_links(register):
    register("Demandes de devis", "/equipe/demandes", 40)


@hookimpl
def home_page_templates(register):
    register("leads/home_ask.html", 20)


@hookimpl
def provider_page_sections(provider, register):
    from markupsafe import escape

    register("Un projet ?", f'<p><a href="/devis?prestataire={escape(provider.slug)}">Demander un devis '
                            f"à {escape(provider.trade_name)}</a></p>", order=5)


@hookimpl
def register_event_types(register):
    register(service.STEP_EVENT, service.LeadStepped)


@hookimpl
def register_jobs(register, plugin_manager):
    register(service.DEADLINE_TASK, partial(service.expire, manager=plugin_manager))
    register(follow_up.RETENTION_TASK, partial(follow_up.apply_retention, manager=plugin_manager),
             every=timedelta(days=1))


@hookimpl
def register_metrics(register):
    register(figures.funnel)


@hookimpl
def register_commands(cli):
    cli.add_command(leads_command)
