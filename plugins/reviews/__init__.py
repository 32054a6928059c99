"""Outcomes and verified reviews: after a provider accepts a TPE's request, both are asked where
things stand; the TPE, and only it, may review that provider, once per request.

``engagements`` follows each acceptance (the ``lead_changed`` hook of the leads plugin, in the
lead's transaction) and sends the outcome asks (a job); ``review_actions`` holds what the TPE,
staff and providers do with a review; ``routes`` and ``templates`` the pages, among them the
review charter ``/avis/charte`` that French consumer law asks for.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from directory.plugin_api import hookimpl, static_files_router
from plugins.reviews import (
    engagements,
    figures,
    measures,
    outcomes,
    privacy,
    review_actions,
    scoring,
    sections,
    structured,
    track_record,
)
from plugins.reviews.routes import CONTROLLERS

HERE = Path(__file__).parent
# Search fields: a filter on reviewed providers, and the Bayesian average breaking ties.
REVIEWED_FIELD, RATING_FIELD = "avis", "note_avis"
REVIEWED, WELL_RATED = "Avec avis vérifiés", "Note moyenne de 4 sur 5 ou plus"


@hookimpl
def plugin_settings():
    return outcomes.ReviewSettings


@hookimpl
def register_piccolo_apps(register):
    register("plugins.reviews.piccolo_app")


@hookimpl
def register_routes(register):
    for controller in CONTROLLERS:
        register(controller)
    register(static_files_router("/static/reviews", HERE / "static", name="reviews-static"))


@hookimpl
def register_templates(register):
    register(HERE / "templates")


@hookimpl
def register_jobs(register, plugin_manager):
    register(engagements.ASK_TASK, engagements.ask)
    register(engagements.RETENTION_TASK, engagements.expire_reviews, every=timedelta(days=1))


@hookimpl
def privacy_sections(register):
    privacy.describe(register)


@hookimpl
def account_links(register):
    register("Avis de vos clients", "/compte/avis", 30)


@hookimpl
def staff_links(register):
    register("Avis à modérer", "/equipe/avis", 50)
    register("Suites des demandes", "/equipe/suites", 55)


@hookimpl(optionalhook=True)
async def lead_changed(change):
    await engagements.lead_changed(change)


@hookimpl(optionalhook=True)
async def lead_score_components(register):
    settings = outcomes.review_settings()
    if settings.track_record_weight:
        records = track_record.track_records(await figures.records(), settings.prior_rating,
                                             settings.prior_weight, settings.track_record_weight)
        register(records.component)


@hookimpl(optionalhook=True)  # a hook of the badges plugin, which may be disabled
def badge_measures(register):
    measures.register_measures(register)


@hookimpl(optionalhook=True)
async def lead_follow_up_sections(lead_id, register):
    html = await sections.follow_up(lead_id)
    if html:
        register("Votre avis", html, order=20)


@hookimpl(optionalhook=True)
async def lead_dashboard_sections(provider_ids, register):
    html = await sections.dashboard_funnel(provider_ids)
    if html:
        register("Suites de vos demandes acceptées", html, order=20)


@hookimpl
async def provider_page_sections(provider, register):
    html, _ = await sections.profile(provider.slug)
    register("Avis vérifiés", html, order=20, head='<link rel="stylesheet" href="/static/reviews/reviews.css">')


@hookimpl
async def provider_document_fields(providers):
    ratings = await review_actions.ratings_of([provider.slug for provider in providers])
    settings = outcomes.review_settings()
    fields = {}
    for provider in providers:
        averages = scoring.averages(ratings.get(provider.slug, []), settings.prior_rating, settings.prior_weight)
        shown = [REVIEWED, *([WELL_RATED] if averages.mean >= 4 else [])] if averages.count else []
        fields[provider.slug] = {REVIEWED_FIELD: shown, RATING_FIELD: averages.bayesian}
    return fields


@hookimpl
def search_fields(register):
    register(REVIEWED_FIELD, filterable=True, facet=True, returned=True, label="Avis vérifiés")
    register(RATING_FIELD, rank="desc", rank_order=70)  # after the badges, before the profile's completeness


@hookimpl
async def provider_structured_data(provider, data):
    settings = outcomes.review_settings()
    reviews = await review_actions.published_of_slug(provider.slug)
    if len(reviews) >= settings.structured_data_min_reviews:
        data.update(structured.ratings(reviews))


@hookimpl
async def provider_data_export(provider_id, register):
    register("reviews", await review_actions.written_by_provider(provider_id))
