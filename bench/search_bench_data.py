"""Fill the benchmark database (DATABASE_URL) with N demo providers:
``search_bench_data.py N [--badges] [--reviews]``.

With ``--badges``, one provider in ten holds "Channel Expert certifié", awarded as staff do.
With ``--reviews``, one provider in ten (others than the badges') has from one to eight
published verified reviews, rated 2 to 5 (a fixed seed), each on a request it accepted.
"""

import asyncio
import random
import sys
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search_bench import SEED, records

from directory import providers
from directory.platform.services import prepare_database
from directory.settings import Settings
from directory.tables import Provider
from geo import Gazetteer

BADGE = "channel-expert-certifie"


async def add_reviews(slugs: list[str]) -> None:
    """Published reviews, written as rows: the path a TPE takes (routing, acceptance, moderation)
    is the reviews plugin's tests' business, not the search figures'."""
    from plugins.reviews.tables import PUBLISHED, Engagement, Review

    draw, now = random.Random(SEED), datetime.now(UTC)
    ids = {row["slug"]: row["id"] for row in await Provider.select(Provider.id, Provider.slug).where(
        Provider.slug.is_in(slugs))}
    for number, slug in enumerate(slugs):
        for review in range(draw.randint(1, 8)):
            [engagement] = await Engagement.insert(Engagement(
                lead_id=number * 10 + review, provider=ids[slug], accepted_at=now, tpe_outcome="commande",
                tpe_answered_at=now)).returning(Engagement.id)
            rating = draw.choice((2, 3, 4, 4, 5, 5, 5))
            await Review.insert(Review(
                engagement=engagement["id"], provider=ids[slug], state=PUBLISHED, rating=rating, quality=rating,
                deadlines=rating, price=rating, support=rating, text="Travail soigné, délais tenus.",
                worked_on=date.today(), created_at=now, edited_at=now, published_at=now))


async def main(size: int, badges: bool, reviews: bool) -> None:
    await prepare_database(Settings.from_env())
    created = (await providers.save_records(records(size, Gazetteer.default()))).created
    if badges:
        from plugins.badges import awards

        for slug in created[::10]:
            await awards.award(slug, BADGE, actor="bench")
    if reviews:
        await add_reviews(created[5::10])


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), "--badges" in sys.argv[2:], "--reviews" in sys.argv[2:]))
