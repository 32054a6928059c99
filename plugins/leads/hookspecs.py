"""The leads plugin's hooks, through which other plugins take part in lead routing.

They belong to this plugin, not to the core: the plugin adds them as it registers
(``add_hooks``), so a directory without the leads plugin knows nothing of them, and a plugin
that implements them where the leads plugin may be disabled marks its implementations
``optionalhook=True``. Plugins implement them with ``plugin_api.hookimpl`` as any other hook;
each is documented in ``docs/plugins.md`` ("Lead routing hooks").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from directory.plugin_api import hookspec, may_await


@hookspec
@may_await
def valid_badges(provider_ids: list[int]) -> dict[int, int]:
    """Say how many valid certification badges each provider holds (lead routing weighs them).

    May be ``async def``: validity is read at each call, so an expired badge stops counting at once.

    :param provider_ids: the providers routing considers.
    :return: ``{provider_id: count}`` for those that hold any; the counts of all plugins add up.
    """


@hookspec
@may_await
def lead_score_components(register: Callable[..., None]) -> None:
    """Add components to the score lead routing gives each eligible provider.

    May be ``async def``: called once per routing decision (and once per simulation), so the
    implementation reads what it needs from the database there, and the function it registers
    only looks it up, for every candidate.

    :param register: call it with a function ``(candidate, need, km) -> {name: (weight, value)}``
        (``plugins.leads.routing.Candidate`` and ``Need``, ``value`` between 0 and 1); each
        component is added to the built-in ones, shown to staff with them, and weighted as you say.
    """


@hookspec
def lead_routing_strategy() -> Any:
    """Replace lead routing's choice: return a function with the signature of
    ``plugins.leads.routing.route`` (the first plugin that answers wins; none: the built-in one).
    """


@hookspec
@may_await
def lead_source(request: Any) -> str | None:
    """Say where a TPE's request comes from (a campaign, an ambassador…), stored with the lead.

    May be ``async def`` (to read the signed-in account, ``plugin_api.signed_in``).

    :param request: the Litestar request of the form's submission.
    :return: a short label (100 characters at most), or None.
    """


@hookspec
@may_await
def lead_changed(change: Any) -> None:
    """Hear of each step of a lead (received, offered, accepted, declined, expired, unassigned,
    closed, forgotten), inside the transaction that writes it.

    May be ``async def``. What the implementation writes commits or rolls back with the step;
    a failing implementation is recorded and skipped (write in one statement, or raise before
    writing). Keep it short: the lead's write lock is held.

    :param change: a ``plugins.leads.changes.LeadChange``: its ``kind``, ``lead_id``, ``at``,
        ``departement``, ``services``, and for an offer's steps ``provider_id`` and ``offered_at``;
        an acceptance also carries the TPE's ``contact_email`` and ``contact_name``; "forgotten"
        asks the plugin to erase what it holds of that lead's TPE.
    """


@hookspec
@may_await
def lead_follow_up_sections(lead_id: int, register: Callable[..., None]) -> None:
    """Add a section to the TPE's private follow-up page of its request.

    May be ``async def``.

    :param lead_id: the lead the page shows (the page's link is the TPE's capability: the
        section may offer an action on it, with a link of the plugin's own).
    :param register: call it as ``register(title, html, order=50)``; escape what you interpolate.
    """


@hookspec
@may_await
def lead_dashboard_sections(provider_ids: list[int], register: Callable[..., None]) -> None:
    """Add a section to the dashboard where providers' members answer their requests (``/compte/demandes``).

    May be ``async def``.

    :param provider_ids: the providers the signed-in account manages (never others: show only theirs).
    :param register: call it as ``register(title, html, order=50)``; escape what you interpolate.
    """
