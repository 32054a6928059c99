"""The averages and the settings' checks, without a database."""

from __future__ import annotations

import pytest

from directory.platform.plugin_settings import read
from directory.settings import SettingsError
from plugins.reviews import outcomes
from plugins.reviews.scoring import averages


def test_one_five_star_review_does_not_outrank_thirty_at_four_point_eight():
    single = averages([5], prior_rating=4.0, prior_weight=5)
    record = averages([5] * 24 + [4] * 6, prior_rating=4.0, prior_weight=5)
    assert single.mean == 5.0 and single.bayesian == 4.17
    assert record.mean == 4.8 and record.bayesian == 4.69 and record.bayesian > single.bayesian


def test_without_reviews_the_mean_is_nothing_and_the_bayesian_average_is_the_prior():
    assert averages([], 4.0, 5).count == 0 and averages([], 4.0, 5).mean == 0.0
    assert averages([], 4.0, 5).bayesian == 4.0 and averages([], 4.0, 0).bayesian == 0.0


def test_the_ask_delays_must_grow():
    assert read("plugins.reviews", outcomes.ReviewSettings, {}).second_ask_days == 30
    with pytest.raises(SettingsError):
        read("plugins.reviews", outcomes.ReviewSettings, {"CHANNEL_EXPERT_REVIEWS_SECOND_ASK_DAYS": "5"})
