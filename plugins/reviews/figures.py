"""What the outcomes and reviews add up to: each provider's track record, for lead routing.

One grouped statement whatever the size of the network (routing runs it at each decision,
before the write lock): the engagements' outcomes (kept, anonymous, after a lead is
forgotten) and the published ratings, counted per provider.
"""

from __future__ import annotations

from plugins.reviews import review_actions, track_record
from plugins.reviews.tables import Engagement

# The outcome that counts for a request: the TPE's answer, else the provider's.
_OUTCOME = "CASE WHEN tpe_outcome <> '' THEN tpe_outcome ELSE provider_outcome END"
_RECORDS = (
    "SELECT provider, SUM(good) AS good, SUM(bad) AS bad, SUM(reviews) AS reviews, SUM(rating) AS rating_sum "
    "FROM (SELECT provider, "
    f"CASE WHEN {_OUTCOME} IN ({{}}, {{}}) THEN 1 ELSE 0 END AS good, "
    f"CASE WHEN {_OUTCOME} IN ({{}}, {{}}) THEN 1 ELSE 0 END AS bad, "
    "0 AS reviews, 0 AS rating FROM engagement "
    "UNION ALL SELECT provider, 0, 0, 1, rating FROM review WHERE state = {}) AS counted GROUP BY provider")


async def records() -> dict[int, track_record.Record]:
    """Every provider's answered outcomes and published ratings."""
    rows = await Engagement.raw(_RECORDS, *sorted(track_record.GOOD), *sorted(track_record.BAD),
                                review_actions.PUBLISHED)
    return {row["provider"]: track_record.Record(int(row["good"]), int(row["bad"]), int(row["reviews"]),
                                                 int(row["rating_sum"])) for row in rows}
