"""Which providers a TPE's request goes to: eligibility, a documented score, fairness. Pure functions.

Plain data in (the need, the candidates with their counters), plain data out (who is chosen,
every candidate's score components, the reason each other provider was left out): no
database, no clock, so the rules are tested and simulated without an app.

**Eligible**: published (the caller's query), not paused, under the monthly capacity it set,
coming on site to the TPE's place (``geo.ServiceArea``, as search decides), and offering every
service asked. When nobody offers them all, the best partial matches are eligible, marked as
such; when fewer on-site providers than needed remain, providers working remotely complete the
list, marked too.

**Score** (each component between 0 and 1, weighted by ``Weights``; plugins add components):

- ``distance``: ``scale / (scale + km)``, office to TPE: 1 next door, ½ at ``distance_scale_km``;
- ``fit``: the share of the services asked that the provider offers;
- ``badges``: valid certification badges, up to three;
- ``responsiveness``: answers given over offers received in the window, with a prior of one
  answer and one miss, so that a newcomer starts at ½;
- ``load``: ``1 / (1 + offers waiting for its answer)``;
- ``fairness``: ``1 / (1 + recent offers / (1 + mean recent offers of the eligible))``: a
  provider that was offered less than its peers lately moves up, so that equally fit small or
  rural providers get their share instead of the same few.
"""

from __future__ import annotations

import copy
import math
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from geo import ServiceArea

NEAREST, SCORED = "nearest", "score"


@dataclass(frozen=True)
class Need:
    """What the TPE asks for, and where."""

    services: frozenset[str]
    lat: float
    lon: float
    departement: str


@dataclass(frozen=True)
class Candidate:
    """A published provider, with the counters routing weighs."""

    provider_id: int
    slug: str
    area: ServiceArea
    remote: bool
    services: frozenset[str]
    paused: bool = False
    capacity: int | None = None  # offers a month it accepts; None: no limit
    offers_this_month: int = 0
    open_offers: int = 0  # offers waiting for its answer
    answered: int = 0  # offers accepted or declined in the responsiveness window
    missed: int = 0  # offers left to expire in that window
    badges: int = 0
    recent_offers: int = 0  # offers in the fairness window


@dataclass(frozen=True)
class Weights:
    """How much each component counts; ``distance_scale_km`` is where ``distance`` halves."""

    distance: float = 0.30
    fit: float = 0.25
    badges: float = 0.10
    responsiveness: float = 0.10
    load: float = 0.05
    fairness: float = 0.20
    distance_scale_km: float = 25.0

    def of(self, component: str) -> float:
        return getattr(self, component, 0.0)


BUILT_IN = ("distance", "fit", "badges", "responsiveness", "load", "fairness")
# Extra components from plugins: (candidate, need, km) -> {name: (weight, value in [0, 1])}.
Extra = Callable[[Candidate, Need, float], Mapping[str, tuple[float, float]]]


@dataclass(frozen=True)
class Scored:
    """A candidate as routing saw it: its distance, components, total, and how it qualified."""

    candidate: Candidate
    distance_km: float
    components: dict[str, float]
    score: float
    partial: bool = False  # offers some of the services asked, not all
    remote: bool = False  # does not come on site to the TPE: works remotely


@dataclass
class Decision:
    """The providers chosen, every eligible candidate ranked, and why the others were left out:
    one by one near the TPE (``excluded``), counted by reason farther away (``counted``)."""

    chosen: list[Scored]
    ranked: list[Scored]
    excluded: dict[int, str] = field(default_factory=dict)
    counted: dict[str, int] = field(default_factory=dict)


# Exclusions are explained one by one for the providers within this distance (or covering the
# TPE's département); farther ones are counted by reason, so a run over 100,000 providers stays small.
EXPLAINED_WITHIN_KM = 100.0
# At most this many remote providers are scored when they complete a list (the nearest ones).
REMOTE_SCORED = 50
EARTH_RADIUS_KM = 6371.009  # geopy's great circle: the distances agree


class Network:
    """Candidates in arrays, so that the checks every candidate goes through run at once (numpy).

    Built once per routing from the database, or once per simulation; ``candidates[i]`` keeps the
    counters that scoring reads, and a simulation replaces it as offers are made.
    """

    def __init__(self, candidates: Iterable[Candidate]) -> None:
        self.candidates = list(candidates)
        self._position: dict[int, int] | None = None
        areas = [c.area for c in self.candidates]
        self.lat = np.radians(np.array([a.lat if a.lat is not None else np.nan for a in areas], dtype=float))
        self.lon = np.radians(np.array([a.lon if a.lon is not None else np.nan for a in areas], dtype=float))
        self.reach = np.array([a.reach_km() or -1.0 for a in areas], dtype=float)
        self.remote = np.array([c.remote for c in self.candidates], dtype=bool)
        slugs = sorted({slug for c in self.candidates for slug in c.services})
        self.bits = {slug: 1 << index for index, slug in enumerate(slugs)}
        masks = [sum(self.bits[slug] for slug in c.services) for c in self.candidates]
        self.services = np.array(masks, dtype=np.int64 if len(slugs) <= 62 else object)
        covering: dict[str, list[int]] = {}
        for index, area in enumerate(areas):
            for departement in area.covered_departements():
                covering.setdefault(departement, []).append(index)
        self.covering = {code: np.array(indexes, dtype=np.int64) for code, indexes in covering.items()}

    def __len__(self) -> int:
        return len(self.candidates)

    @property
    def position(self) -> dict[int, int]:
        """Each provider's index in the arrays."""
        if self._position is None:
            self._position = {c.provider_id: index for index, c in enumerate(self.candidates)}
        return self._position

    def with_changes(self, changes: Mapping[int, Mapping[str, object]]) -> Network:
        """The same network whose candidates (by provider id) have these counters or preferences."""
        copied = copy.copy(self)
        copied.candidates = list(self.candidates)
        for provider_id, fields in changes.items():
            index = self.position.get(provider_id)
            if index is not None:
                copied.candidates[index] = replace(self.candidates[index], **fields)
        return copied

    def distances(self, lat: float, lon: float) -> np.ndarray:
        """Great-circle kilometres from every office to a point (haversine; inf without an office)."""
        phi, lam = math.radians(lat), math.radians(lon)
        a = np.sin((self.lat - phi) / 2) ** 2 + math.cos(phi) * np.cos(self.lat) * np.sin((self.lon - lam) / 2) ** 2
        km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
        return np.where(np.isnan(km), np.inf, km)

    def comes_to(self, need: Need, km: np.ndarray) -> np.ndarray:
        comes = km <= self.reach
        covering = self.covering.get(need.departement)
        if covering is not None:
            comes[covering] = True
        return comes

    def overlap(self, need: Need) -> np.ndarray:
        """How many of the services asked each candidate offers."""
        count = np.zeros(len(self), dtype=np.int64)
        for slug in need.services:
            bit = self.bits.get(slug)
            if bit is not None:
                count += (self.services & bit) != 0
        return count


def _blocked(candidate: Candidate) -> str | None:
    """Why a candidate takes no request now, whatever the request; None if it does."""
    if candidate.paused:
        return "en pause"
    if candidate.capacity is not None and candidate.offers_this_month >= candidate.capacity:
        return f"capacité mensuelle atteinte ({candidate.offers_this_month}/{candidate.capacity})"
    return None


def score(candidate: Candidate, need: Need, km: float, weights: Weights, mean_recent: float,
          extra: Iterable[Extra] = ()) -> tuple[dict[str, float], float]:
    """The components of a candidate's score and their weighted sum."""
    scale = weights.distance_scale_km
    components = {
        "distance": scale / (scale + km) if km != math.inf else 0.0,
        "fit": len(need.services & candidate.services) / max(len(need.services), 1),
        "badges": min(candidate.badges, 3) / 3,
        "responsiveness": (candidate.answered + 1) / (candidate.answered + candidate.missed + 2),
        "load": 1 / (1 + candidate.open_offers),
        "fairness": 1 / (1 + candidate.recent_offers / (1 + mean_recent)),
    }
    total = sum(weights.of(name) * value for name, value in components.items())
    for add in extra:
        for name, (weight, value) in add(candidate, need, km).items():
            components[name] = value
            total += weight * value
    return components, round(total, 6)


def route(need: Need, candidates: Iterable[Candidate] | Network, wanted: int, weights: Weights = Weights(),
          exclude: Mapping[int, str] | None = None, place: str = "ce lieu", strategy: str = SCORED,
          extra: Iterable[Extra] = ()) -> Decision:
    """Choose up to ``wanted`` providers for ``need``; ``exclude`` names those already asked, and why."""
    network = candidates if isinstance(candidates, Network) else Network(candidates)
    excluded: dict[int, str] = dict(exclude or {})
    counted: Counter[str] = Counter()
    if not len(network):
        return Decision([], [], excluded)
    km = network.distances(need.lat, need.lon)
    comes = network.comes_to(need, km)
    overlap = network.overlap(need)
    explained = (km <= EXPLAINED_WITHIN_KM) | comes

    def leave_out(indexes: np.ndarray, reason: str) -> None:
        for index in indexes:
            provider_id = network.candidates[index].provider_id
            if provider_id in excluded:
                continue
            if explained[index]:
                excluded[provider_id] = reason
            else:
                counted[reason] += 1

    leave_out(np.flatnonzero(overlap == 0), "ne propose aucun des services demandés")
    leave_out(np.flatnonzero((overlap > 0) & ~comes & ~network.remote), f"n'intervient pas à {place}")
    on_site = _available(network, np.flatnonzero((overlap > 0) & comes), excluded, explained, counted)
    on_site = _best_match(network, on_site, overlap, need, excluded, "ne propose pas tous les services demandés")
    remote: list[int] = []
    if len(on_site) < wanted:
        nearest = np.flatnonzero((overlap > 0) & ~comes & network.remote)
        nearest = nearest[np.argsort(km[nearest], kind="stable")][:REMOTE_SCORED]
        remote = _available(network, nearest, excluded, explained, counted)
        remote = _best_match(network, remote, overlap, need, excluded,
                             "à distance, et d'autres proposent plus de services demandés")
    pool = on_site + remote
    mean_recent = statistics.fmean(network.candidates[i].recent_offers for i in pool) if pool else 0.0
    ranked = []
    for index in pool:
        candidate = network.candidates[index]
        components, total = score(candidate, need, float(km[index]), weights, mean_recent, extra)
        ranked.append(Scored(candidate, round(float(km[index]), 1), components, total,
                             partial=not need.services <= candidate.services, remote=not comes[index]))
    order = (lambda s: (s.remote, s.partial, s.distance_km)) if strategy == NEAREST else (
        lambda s: (s.remote, s.partial, -s.score, s.distance_km))
    ranked.sort(key=order)
    chosen = [s for s in ranked if not s.remote][:wanted]
    chosen += [s for s in ranked if s.remote][:wanted - len(chosen)]
    return Decision(chosen, ranked, excluded, dict(counted))


def _available(network: Network, indexes: np.ndarray, excluded: dict[int, str], explained: np.ndarray,
               counted: Counter[str]) -> list[int]:
    """Those of ``indexes`` not already asked, paused or full (the others are left out, with why)."""
    kept = []
    for index in indexes:
        candidate = network.candidates[index]
        if candidate.provider_id in excluded:
            continue
        reason = _blocked(candidate)
        if reason is None:
            kept.append(int(index))
        elif explained[index]:
            excluded[candidate.provider_id] = reason
        else:
            counted[reason] += 1
    return kept


def _best_match(network: Network, indexes: list[int], overlap: np.ndarray, need: Need, excluded: dict[int, str],
                reason: str) -> list[int]:
    """Those offering every service asked; when there are none, those offering the most of them."""
    if not indexes:
        return []
    most = max(int(overlap[i]) for i in indexes)
    kept = [i for i in indexes if overlap[i] == most]
    for index in indexes:
        if overlap[index] != most:
            excluded[network.candidates[index].provider_id] = reason
    return kept


@dataclass(frozen=True)
class Fairness:
    """How offers spread over the providers eligible at least once, in a simulation."""

    gini: float
    share_offered: float  # of the providers eligible at least once, the share offered at least one lead
    median_km: float
    leads_without_offer: int
    offers: dict[int, int] = field(default_factory=dict)  # offers per provider


def gini(values: list[int]) -> float:
    """The Gini coefficient of ``values`` (0: all equal; near 1: all to one)."""
    ordered = sorted(values)
    n, total = len(ordered), sum(ordered)
    if n == 0 or total == 0:
        return 0.0
    weighted = sum((index + 1) * value for index, value in enumerate(ordered))
    return (2 * weighted) / (n * total) - (n + 1) / n


def simulate(needs: Iterable[Need], candidates: list[Candidate], wanted: int, weights: Weights = Weights(),
             strategy: str = SCORED, extra: Iterable[Extra] = ()) -> Fairness:
    """Route ``needs`` one after the other, each offer counting in the next routings' fairness and capacity."""
    extra = list(extra)
    network = Network(candidates)
    position = network.position
    offers = {c.provider_id: 0 for c in candidates}
    eligible_once: set[int] = set()
    distances: list[float] = []
    orphans = 0
    for need in needs:
        decision = route(need, network, wanted, weights, strategy=strategy, extra=extra)
        eligible_once.update(s.candidate.provider_id for s in decision.ranked)
        if not decision.chosen:
            orphans += 1
        for chosen in decision.chosen:
            provider_id = chosen.candidate.provider_id
            offers[provider_id] += 1
            distances.append(chosen.distance_km)
            index = position[provider_id]
            current = network.candidates[index]
            network.candidates[index] = replace(current, recent_offers=current.recent_offers + 1,
                                                offers_this_month=current.offers_this_month + 1)
    counts = [offers[provider_id] for provider_id in eligible_once]
    return Fairness(gini=gini(counts), share_offered=sum(1 for c in counts if c) / max(len(counts), 1),
                    median_km=statistics.median(distances) if distances else 0.0, leads_without_offer=orphans,
                    offers=offers)
