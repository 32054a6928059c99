"""``channel-expert leads simulate``: replay past or synthetic leads under other settings, print what changes."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import fields, replace

import click

from directory.plugin_api import catalogue, command_context, run_in_database
from geo import Gazetteer
from plugins.leads import network, routing
from plugins.leads.tables import Lead

# Services TPEs ask for, with how often (synthetic leads): web agencies' first.
ASKED = (("site-vitrine", 30), ("e-commerce", 20), ("referencement", 10), ("reseaux-sociaux", 8),
         ("maintenance-infogerance", 10), ("postes-materiel", 8), ("cybersecurite", 6), ("sauvegarde", 4),
         ("telephonie", 4))


def synthetic_needs(count: int, seed: int, gazetteer: Gazetteer) -> list[routing.Need]:
    """``count`` TPE requests spread like the population, asking for one or two services."""
    rng = random.Random(seed)
    places = [place for place in gazetteer.places() if place.kind != "arrondissement" and place.population]
    weights = [place.population for place in places]
    slugs, odds = zip(*((slug, weight) for slug, weight in ASKED if slug in catalogue.SERVICE_SLUGS))
    needs = []
    for place in rng.choices(places, weights=weights, k=count):
        asked = set(rng.choices(slugs, weights=odds, k=rng.choice((1, 1, 2))))
        needs.append(routing.Need(frozenset(asked), place.lat, place.lon, place.departement))
    return needs


async def past_needs() -> list[routing.Need]:
    rows = await Lead.select(Lead.services, Lead.latitude, Lead.longitude, Lead.departement).order_by(Lead.id)
    return [routing.Need(frozenset(r["services"]), r["latitude"], r["longitude"], r["departement"]) for r in rows]


def _weights(pairs: tuple[str, ...], base: routing.Weights) -> routing.Weights:
    names = {field.name for field in fields(routing.Weights)}
    changed = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if name not in names:
            raise click.BadParameter(f"poids inconnu « {name} » ({', '.join(sorted(names))})")
        try:
            changed[name] = float(value)
        except ValueError:
            raise click.BadParameter(f"« {pair} » : un nombre est attendu après =") from None
    return replace(base, **changed)


def report(needs: list[routing.Need], candidates: list[routing.Candidate], offers: int,
           weights: routing.Weights, extra: Sequence[routing.Extra] = ()) -> list[tuple[str, routing.Fairness]]:
    """The fairness figures of the score with the plugins' components (when there are), of the
    built-in score alone, and of plain nearest-first, on the same leads."""
    runs = [("score + extensions", routing.SCORED, extra)] if extra else []
    runs += [("score (intégré)", routing.SCORED, ()), ("le plus proche", routing.NEAREST, ())]
    return [(label, routing.simulate(needs, candidates, offers, weights, strategy, components))
            for label, strategy, components in runs]


@click.group(name="leads")
def leads_command() -> None:
    """Les demandes des TPE et leur répartition."""


@leads_command.command()
@click.option("--leads", "count", type=click.IntRange(1, 1_000_000), default=10_000, show_default=True,
              help="Demandes synthétiques à simuler.")
@click.option("--replay", is_flag=True, help="Rejouer les demandes réelles de la base au lieu de demandes synthétiques.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--offers", type=click.IntRange(1, 20), default=None, help="Prestataires sollicités par demande.")
@click.option("--weight", "weights", multiple=True, metavar="NOM=VALEUR", help="Changer un poids du score.")
@click.pass_context
def simulate(ctx: click.Context, count: int, replay: bool, seed: int, offers: int | None,
             weights: tuple[str, ...]) -> None:
    """Répartir des demandes sur le réseau d'aujourd'hui sans rien écrire, et comparer les stratégies."""
    # Read from the command's plugins: the platform (and ``lead_settings``) exists only inside ``run``.
    settings = command_context(ctx).plugin_manager.plugin_settings["plugins.leads"]
    chosen_weights = _weights(weights, routing.Weights(distance_scale_km=settings.distance_scale_km))

    async def run():
        manager = command_context(ctx).plugin_manager
        candidates = (await network.network(manager)).candidates
        needs = await past_needs() if replay else synthetic_needs(count, seed, Gazetteer.default())
        return candidates, needs, await network.extras(manager)

    candidates, needs, extra = run_in_database(ctx, run)
    click.echo(f"{len(needs)} demandes, {len(candidates)} prestataires publiés, "
               f"{offers or settings.offers_at_once} sollicités par demande.")
    click.echo(f"{'stratégie':<18} {'Gini':>6} {'part sollicitée':>16} {'distance médiane':>17} {'sans offre':>11}")
    for label, figures in report(needs, candidates, offers or settings.offers_at_once, chosen_weights, extra):
        click.echo(f"{label:<18} {figures.gini:>6.3f} {figures.share_offered:>15.1%} "
                   f"{figures.median_km:>14.1f} km {figures.leads_without_offer:>11}")
