"""The fragments this plugin adds to other pages (the provider's profile, the TPE's follow-up),
rendered from its own templates: French stays in templates, and everything is escaped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from directory.plugin_api import kept, paris_time
from plugins.reviews import engagements, funnel, outcomes, review_actions, scoring
from plugins.reviews.forms import CRITERIA

FOLDER = Path(__file__).parent / "templates" / "sections"


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(str(FOLDER)), autoescape=True,
                                     undefined=jinja2.StrictUndefined)
    environment.filters["paris"] = paris_time
    environment.filters["french_date"] = review_actions.french_date
    return environment


def render(name: str, **context: Any) -> str:
    """A section's HTML from ``templates/sections/<name>`` (one environment per app)."""
    return kept("reviews.sections", _environment).get_template(name).render(**context)


async def profile(slug: str) -> tuple[str, scoring.Averages]:
    """The profile's reviews section and the averages it shows."""
    reviews = await review_actions.published_of_slug(slug)
    settings = outcomes.review_settings()
    averages = scoring.averages([r["rating"] for r in reviews], settings.prior_rating, settings.prior_weight)
    return render("profile.html", reviews=reviews, averages=averages, criteria=CRITERIA,
                  prior_weight=settings.prior_weight, prior_rating=settings.prior_rating), averages


async def follow_up(lead_id: int) -> str:
    """The follow-up page's section: for each provider that accepted, how to review it."""
    rows = await engagements.of_lead(lead_id)
    return render("follow.html", rows=rows, states=review_actions.STATES,
                  online_days=outcomes.review_settings().online_days) if rows else ""


async def dashboard_funnel(provider_ids: list[int]) -> str:
    """The leads dashboard's section: the funnel of the providers the account manages, and no other."""
    rows = [row for provider_id in provider_ids for row in await funnel.read(provider_id)]
    if not rows:
        return ""
    shown = funnel.table(rows, funnel.BY_PROVIDER)
    settings = outcomes.review_settings()
    return render("funnel.html", rows=shown if len(provider_ids) > 1 else shown[:-1], stages=funnel.STAGES,
                  first_ask_days=settings.first_ask_days, second_ask_days=settings.second_ask_days,
                  without_news_days=settings.without_news_days)
