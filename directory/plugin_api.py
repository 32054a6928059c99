"""Everything a plugin imports from the core, and nothing else: this module is the contract.

Built-in plugins import only from here (a test enforces it), so a third-party plugin can do
whatever they do. It holds no logic of its own; each name's home module documents it.

- Hooks: ``hookimpl`` (the hooks are listed in ``docs/plugins.md``); ``PluginManager``, the type
  of the manager hooks hand to plugins (``add_hooks``, ``register_jobs``), whose ``answers``
  and ``call_isolated`` call a hook; a plugin that offers hooks of its own declares them with
  ``hookspec`` (and ``may_await`` for those that may be ``async def``) and adds them in ``add_hooks``.
- Settings: ``Settings`` (the core's); a plugin's own, declared with the ``plugin_settings``
  hook, from ``settings_of`` (by plugin name), with ``Secret`` for values never shown.
- State: ``kept`` (an object built once per app, such as a cache of database state: never a
  module-level variable, which two apps in one process would share).
- Load: ``urgent_write`` (around a short write a person waits on, such as a quote request:
  new reads wait until it ends, so that a load of searches does not make it wait seconds);
  ``after_urgent_writes`` (awaited before each chunk of background work, such as applying the
  outbox to an in-memory copy, which then waits as reads do).
- Database: ``tables`` (the core's Piccolo tables, which plugin tables may reference),
  ``write_transaction`` (on PostgreSQL, behind the writers of ``PROVIDERS_QUEUE`` and
  ``LEADS_QUEUE`` unless told otherwise), ``prepare_database``, ``in_pieces`` (a long list of values as IN lists
  PostgreSQL binds), ``events`` (the event outbox: ``events.record``,
  ``events.since``, and each consumer's position).
- Background work: ``jobs`` (``jobs.enqueue``), ``mail`` (``mail.send``), ``clock`` (``clock.now``).
- Figures for ``/metrics`` (``register_metrics``): ``GaugeMetricFamily`` and ``CounterMetricFamily``.
- Commands: ``run_in_database`` (a command's async work, once the schema is ready, its errors
  said in one line), ``command_context`` (the ``CommandContext`` a command runs with: the
  settings and the plugin manager).
- Audit: ``Actor`` (who acts, through which channel: ``Actor.of(account, "web")``) and
  ``record_history`` (rows of a provider's history, ``{field: (old, new)}``, written in the
  caller's transaction: staff and the provider's data export see them).
- Personal data: ``validation`` (French checks of SIRET, phone, e-mail… with French messages),
  ``forget_addresses`` (the erasure path: mail outbox, links and actors of an address).
- Accounts: ``invite_to_sign_up`` (a single-use link that opens an account for a plugin's own
  kind of user, who manages no provider), ``signed_in`` (the account of a request, on any page).
- The provider schema and catalogue: ``Provider``, ``InvalidField``, ``catalogue``, ``Kind``,
  ``ServiceSlug``, ``profiles``, ``public_url``, ``service_area`` (where a provider comes on site),
  ``service_areas`` (every published provider's, in one query, for figures over the network),
  ``NeedUnderstanding`` (the services a TPE's words ask for, from the ``understand_need`` hook),
  ``SearchAnswered`` (a search and what it showed, given to the ``search_answered`` hook).
- HTTP: ``PUBLIC``, ``ACCOUNT`` and ``STAFF``, the access every route must declare in its
  ``opt`` (an undeclared route is refused); ``CACHED``, added to a public route's ``opt`` whose
  answers depend only on what the event outbox announces (no form, nothing per visitor), to
  answer it from each server's memory until the next event (``follows_outbox``: how far a copy
  of database state a plugin keeps in memory has read the outbox, so that no answer built while
  it lags is kept; ``observe_each_answer``: what to call on every answer, those from memory
  included, such as a search that plugins learn from); ``provider_for`` (the provider an
  account manages, or 404/403); ``managed_listings`` (the listings an account is a member of);
  ``provider_addresses`` (who hears about a provider) and ``tell_provider`` (mail
  them a message sent for the provider, which its data export lists); ``paris_time`` (a moment
  as people in France read it); ``over_limit`` and ``client_key`` (rate limits in the shared store);
  ``form_stamp`` and ``check_stamp`` (a public form's signed stamp: refuses a form sent faster than a
  person fills it, or a day late, and gives a key that can make a second sending a no-op);
  ``ProblemError`` and ``problem_responses``
  (errors as problem details), ``json_refusal`` (why JSON from a form field or a file is refused),
  ``static_files_router`` (fingerprinted, long-cached static files); ``csv_download`` (a table
  as a CSV file French spreadsheets open, cells guarded against formulas); ``flash`` (a French
  notice the next page shows once, after a form's redirect); ``route_path`` (the path of a route
  another plugin may serve, or None when it does not run).
"""

from directory import catalogue, events, tables, validation
from directory.accounts.guards import ACCOUNT, PUBLIC, STAFF, signed_in
from directory.accounts.members import addresses as provider_addresses
from directory.accounts.members import managed_by as managed_listings
from directory.accounts.members import provider_for
from directory.accounts.members import tell as tell_provider
from directory.accounts.users import invite_to_sign_up
from directory.assets import static_files_router
from directory.data_rights import forget_addresses
from directory.database import LEADS_QUEUE, PROVIDERS_QUEUE, write_transaction
from directory.exchange import csv_download
from directory.form_stamps import check_stamp, form_stamp
from directory.history import Actor
from directory.history import record as record_history
from directory.hookspecs import hookimpl, hookspec, may_await
from directory.in_lists import in_pieces
from directory.notices import flash
from directory.platform import clock, jobs, mail
from directory.platform.cache import CACHED, follows_outbox, observe_each_answer
from directory.platform.commands import CommandContext, command_context, run_in_database
from directory.platform.current import after_urgent_writes, kept, urgent_write
from directory.platform.metrics import CounterMetricFamily, GaugeMetricFamily
from directory.platform.plugin_settings import Secret, settings_of
from directory.platform.services import prepare_database
from directory.plugin_manager import PluginManager
from directory.problems import ProblemError, problem_responses
from directory.providers import profiles, public_url, service_area, service_areas
from directory.request_checks import json_refusal
from directory.route_names import route_path
from directory.routes.forms import client_key, over_limit
from directory.routes.providers import Kind, ServiceSlug
from directory.schemas import InvalidField, NeedUnderstanding, Provider, SearchAnswered
from directory.settings import Settings
from directory.templating import paris_time

__all__ = [
    "ACCOUNT",
    "CACHED",
    "LEADS_QUEUE",
    "PROVIDERS_QUEUE",
    "PUBLIC",
    "STAFF",
    "Actor",
    "CommandContext",
    "CounterMetricFamily",
    "GaugeMetricFamily",
    "InvalidField",
    "Kind",
    "NeedUnderstanding",
    "PluginManager",
    "ProblemError",
    "Provider",
    "SearchAnswered",
    "Secret",
    "ServiceSlug",
    "Settings",
    "after_urgent_writes",
    "catalogue",
    "check_stamp",
    "client_key",
    "clock",
    "command_context",
    "csv_download",
    "events",
    "flash",
    "follows_outbox",
    "forget_addresses",
    "form_stamp",
    "hookimpl",
    "hookspec",
    "in_pieces",
    "invite_to_sign_up",
    "jobs",
    "json_refusal",
    "kept",
    "mail",
    "managed_listings",
    "may_await",
    "observe_each_answer",
    "over_limit",
    "paris_time",
    "prepare_database",
    "problem_responses",
    "profiles",
    "provider_addresses",
    "provider_for",
    "public_url",
    "record_history",
    "route_path",
    "run_in_database",
    "service_area",
    "service_areas",
    "settings_of",
    "signed_in",
    "static_files_router",
    "tables",
    "tell_provider",
    "urgent_write",
    "validation",
    "write_transaction",
]
