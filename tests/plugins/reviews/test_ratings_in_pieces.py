"""A search index rebuilt at 100,000 providers asks for every provider's ratings: the slugs go in
IN lists PostgreSQL binds (at most 32,767 parameters a statement), each rating counted once."""

from __future__ import annotations

from datetime import UTC, date, datetime

from directory import in_lists
from directory.database import bound_engine
from directory.tables import Provider
from directory.testing import add_providers, provider_row
from plugins.reviews import review_actions
from plugins.reviews.tables import Engagement, Review
from tests.statements import counted


async def _reviewed(slug_ids: list[int], ratings: list[int], state: str = "published") -> None:
    now = datetime(2026, 5, 4, tzinfo=UTC)
    for provider, rating in zip(slug_ids, ratings):
        engagement = (
            await Engagement.insert(
                Engagement(lead_id=provider, provider=provider, accepted_at=now)
            ).returning(Engagement.id)
        )[0]["id"]
        await Review.insert(
            Review(
                engagement=engagement,
                provider=provider,
                state=state,
                rating=rating,
                quality=rating,
                deadlines=rating,
                price=rating,
                support=rating,
                text="Travail soigné.",
                worked_on=date(2026, 4, 1),
                created_at=now,
                edited_at=now,
            )
        )


async def test_ratings_of_more_providers_than_an_in_list_holds_come_in_pieces(settings, monkeypatch):
    for table in (Review, Engagement):
        await table.delete(force=True)
    slugs = await add_providers(*(provider_row(trade_name=f"Atelier {n}") for n in range(5)))
    by_slug = {row["slug"]: row["id"] for row in await Provider.select(Provider.id, Provider.slug)}
    ids = [by_slug[slug] for slug in slugs]
    await _reviewed(ids, [5, 4, 3, 2, 1])
    await _reviewed(ids[:1], [1], state="refused")
    monkeypatch.setattr(in_lists, "MOST_BOUND", 2)
    with counted(bound_engine()) as statements:
        ratings = await review_actions.ratings_of([*slugs, "fiche-inconnue"])
    assert ratings == dict(zip(slugs, [[5], [4], [3], [2], [1]]))
    assert len(statements) == 3
    assert all(sum(slug in statement for slug in [*slugs, "fiche-inconnue"]) <= 2 for statement in statements)
    assert await review_actions.ratings_of([]) == {}
