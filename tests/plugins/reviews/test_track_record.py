"""The track record routing weighs: bounded, shrunk towards the network, read from the outcomes."""

from __future__ import annotations

import json
import subprocess

import pytest
from click.testing import CliRunner

from directory.cli import build_cli
from directory.platform.commands import CommandContext
from directory.platform.plugin_settings import read
from directory.settings import SettingsError
from directory.testing import provider_row
from geo import ServiceArea
from plugins.leads import routing
from plugins.leads.tables import RoutingRun
from plugins.reviews import outcomes
from plugins.reviews.tables import Engagement
from plugins.reviews.track_record import Record, track_records
from tests.conftest import COMMAND, csv_text
from tests.plugins.leads.test_flow import ask
from tests.plugins.reviews.conftest import ODET, outcome_link, post_form, run_due

QUIMPER = ServiceArea(47.996, -4.102, "29", 30, (), True)
NEED = routing.Need(frozenset({"e-commerce"}), 47.996, -4.102, "29")


def _candidate(provider_id: int, **counters) -> routing.Candidate:
    return routing.Candidate(provider_id, f"p{provider_id}", QUIMPER, False, frozenset({"e-commerce"}),
                             **counters)


def test_a_provider_without_record_is_valued_as_the_network_and_a_long_good_record_beats_one_lucky_answer():
    records = {1: Record(good=1), 2: Record(good=18, bad=2, reviews=5, rating_sum=24), 3: Record(bad=10)}
    values = track_records(records, prior_rating=4.0, prior_weight=5, weight=0.1)
    assert values.values[2] > values.values[1] > values.default > values.values[3]
    assert values.component(_candidate(99), NEED, 0.0) == {"track_record": (0.1, values.default)}
    assert all(0 <= value <= 1 for value in values.values.values())


def test_the_track_record_never_outweighs_distance_nor_fairness():
    best, worst = track_records({1: Record(good=1000, reviews=1000, rating_sum=5000),
                                 2: Record(bad=1000, reviews=1000, rating_sum=1000)},
                                prior_rating=4.0, prior_weight=0,
                                weight=outcomes.TRACK_RECORD_MAX_WEIGHT).values.values()
    assert (best, worst) == (1.0, 0.0)
    weights = routing.Weights()
    assert outcomes.TRACK_RECORD_MAX_WEIGHT * (best - worst) < min(weights.distance, weights.fairness)
    with pytest.raises(SettingsError):
        read("plugins.reviews", outcomes.ReviewSettings,
             {"CHANNEL_EXPERT_REVIEWS_TRACK_RECORD_WEIGHT": "0.2"})


def test_with_the_track_record_the_nearer_of_two_providers_still_wins_when_equal_otherwise():
    records = {1: Record(bad=30, reviews=30, rating_sum=30), 2: Record(good=30, reviews=30, rating_sum=150)}
    extra = [track_records(records, 4.0, 5, 0.1).component]
    near, far = _candidate(1), routing.Candidate(2, "p2", ServiceArea(48.2, -4.1, "29", 60, (), True), False,
                                                 frozenset({"e-commerce"}))
    decision = routing.route(NEED, [near, far], 1, extra=extra)
    assert [s.candidate.provider_id for s in decision.chosen] == [1]  # 22 km farther: distance wins
    assert decision.ranked[1].components["track_record"] > decision.ranked[0].components["track_record"]


async def test_an_answered_outcome_moves_the_provider_in_the_next_routings_score(site, accepted, network,
                                                                                   manual_clock):
    manual_clock.advance(days=10)
    await run_due(site)
    assert (await post_form(site, await outcome_link(ODET), {"outcome": "commande"})).status_code == 200
    assert (await ask(site, manual_clock, contact_email="bob@example.fr")).status_code == 303
    run = await RoutingRun.select().order_by(RoutingRun.id, ascending=False).first()
    ranked = {row["slug"]: row for row in json.loads(run["ranked"])}
    assert await Engagement.count() == 1
    assert ranked[network["odet"]]["components"]["track_record"] > ranked[network["kerf"]]["components"][
        "track_record"]


def test_leads_simulate_compares_the_score_with_and_without_the_track_record_and_nearest_first(
        settings, plugin_manager, tmp_path):
    source = tmp_path / "in.csv"
    rows = [provider_row(), provider_row(trade_name="Octet Gironde", email="octet@example.fr")]
    source.write_text(csv_text(rows))
    runner, cli, obj = CliRunner(), build_cli(plugin_manager), CommandContext(settings, plugin_manager)
    runner.invoke(cli, ["import", str(source)], obj=obj, catch_exceptions=False)
    result = runner.invoke(cli, ["leads", "simulate", "--leads", "50"], obj=obj, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = [line.split()[0:3] for line in result.output.splitlines()[2:]]
    assert [" ".join(row[:2]) for row in rows] == ["score +", "score (intégré)", "le plus"]


def test_leads_simulate_runs_in_a_process_of_its_own(settings, environment, tmp_path):
    """As an operator runs it: a new process, no test fixture's platform around it."""
    source = tmp_path / "in.csv"
    source.write_text(csv_text([provider_row(), provider_row(trade_name="Octet Gironde", email="octet@example.fr")]))
    imported = subprocess.run([*COMMAND, "import", str(source)], env=environment, capture_output=True, text=True,
                              timeout=120, check=False)
    assert imported.returncode == 0, imported.stderr
    done = subprocess.run([*COMMAND, "leads", "simulate", "--leads", "30"], env=environment, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert [line.split()[:2] for line in done.stdout.splitlines()[2:]] == [
        ["score", "+"], ["score", "(intégré)"], ["le", "plus"]]
