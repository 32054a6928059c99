"""Measured criteria: thresholds a badge class sets on results other plugins measure (``badge_measures``).

A plugin registers each measure (the reviews plugin: ratings, reviews, outcomes); staff set a
minimum on some of them in the class form; the thresholds are stored with the class as
published (the measure's label, unit and source copied in), so its public page and its
credentials say the same thing even if the plugin later words its measure otherwise. An award
is refused while the provider does not meet every threshold (``shortfall``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

logger = logging.getLogger("plugins.badges")

HOOK = "badge_measures"
FIELD = "seuil-"  # the class form's field of a measure: ``seuil-<slug>``
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Each unit's accepted minimums, and how a value reads.
BOUNDS = {"note": (1.0, 5.0), "nombre": (1.0, 100000.0), "part": (1.0, 100.0)}
BOUND_ERRORS = {"note": "une note de 1 à 5 (par exemple 4,5)", "nombre": "un nombre entier de 1 ou plus",
                "part": "un pourcentage de 1 à 100"}


@dataclass(frozen=True)
class Measure:
    """A measure a plugin registered: ``values`` gives it for a list of provider ids, in one query."""

    slug: str
    label: str
    unit: str
    values: Callable[[list[int]], Awaitable[Mapping[int, float]]]
    source: str = ""


class Threshold(msgspec.Struct, frozen=True):
    """A minimum a badge class requires, as published (the JSON of ``BadgeClass.thresholds``)."""

    measure: str
    label: str
    unit: str
    minimum: float
    source: str = ""


@dataclass(frozen=True)
class Reading:
    """A provider's value against a threshold: ``None`` when it has none yet or nobody measures it."""

    threshold: Threshold
    value: float | None

    @property
    def met(self) -> bool:
        return self.value is not None and self.value >= self.threshold.minimum


def registered(manager: Any) -> dict[str, Measure]:
    """The measures of every plugin, by slug; a malformed one is logged and left out."""
    found: dict[str, Measure] = {}

    def register(slug: str, label: str, unit: str, values: Callable, source: str = "") -> None:
        if not SLUG.fullmatch(slug) or unit not in BOUNDS or not label or not callable(values):
            logger.warning("badge measure %r refused: slug, label, unit (%s) and values needed", slug,
                           ", ".join(BOUNDS))
            return
        found[slug] = Measure(slug, label, unit, values, source)

    manager.call_isolated(HOOK, register=register)
    return found


def stored(badge: Mapping[str, Any]) -> list[Threshold]:
    return msgspec.json.decode(badge.get("thresholds") or "[]", type=list[Threshold])


def encoded(thresholds: list[Threshold]) -> str:
    return msgspec.json.encode(thresholds).decode()


def formatted(value: float, unit: str) -> str:
    """A value as French pages write it: ``4,5 sur 5``, ``12``, ``80 %``."""
    if unit == "note":
        return f"{value:.1f}".replace(".", ",") + " sur 5"
    if unit == "part":
        return f"{value:.0f} %"
    return f"{value:.0f}"


def sentence(threshold: Threshold) -> str:
    """A threshold in plain French: « Note moyenne des avis vérifiés : au moins 4,5 sur 5 »."""
    label = threshold.label[:1].upper() + threshold.label[1:]
    return f"{label} : au moins {formatted(threshold.minimum, threshold.unit)}"


def narrative(criteria: str, thresholds: list[Threshold]) -> str:
    """The criteria a credential carries: staff's text, then the measured thresholds and their sources."""
    if not thresholds:
        return criteria
    lines = [criteria, "", "Critères mesurés, vérifiés à l'attribution :",
             *(f"- {sentence(threshold)}." for threshold in thresholds)]
    said = sources(thresholds)
    return "\n".join([*lines, *(["", *said] if said else [])])


def sources(thresholds: list[Threshold]) -> list[str]:
    """Where the thresholds' figures come from, each said once (one that another already says in
    full, as the reviews' count within their average's, is left out)."""
    given = list(dict.fromkeys(threshold.source for threshold in thresholds if threshold.source))
    return [source for source in given if not any(source != other and source in other for other in given)]


def parsed(form: Mapping[str, str], measures: Mapping[str, Measure], kept: list[Threshold]) -> list[Threshold]:
    """The thresholds the class form sets (``seuil-<slug>``, empty: none), with the stored ones of
    measures no plugin registers now kept as they were; a French ``ValueError`` for a bad one."""
    thresholds = [threshold for threshold in kept if threshold.measure not in measures]
    for slug, measure in measures.items():
        text = str(form.get(FIELD + slug) or "").strip().replace(",", ".")
        if not text:
            continue
        low, high = BOUNDS[measure.unit]
        try:
            minimum = float(text)
        except ValueError:
            minimum = float("nan")
        if not low <= minimum <= high or (measure.unit == "nombre" and not minimum.is_integer()):
            raise ValueError(f"Le seuil « {measure.label} » est {BOUND_ERRORS[measure.unit]} (vide : aucun seuil).")
        thresholds.append(Threshold(slug, measure.label, measure.unit, minimum, measure.source))
    return thresholds


async def readings(measures: Mapping[str, Measure], thresholds: list[Threshold], provider_id: int) -> list[Reading]:
    """The provider's value against each threshold, each measure read once; a measure that fails
    is logged and reads as no value (so it is not met: a broken plugin never lets an award through)."""
    values: dict[str, float | None] = {}
    for slug in {threshold.measure for threshold in thresholds}:
        values[slug] = None
        if slug in measures:
            try:
                values[slug] = (await measures[slug].values([provider_id])).get(provider_id)
            except Exception:  # noqa: BLE001 - any plugin's failure reads as "no value", logged with its name
                logger.exception("badge measure %r failed", slug)
    return [Reading(threshold, values[threshold.measure]) for threshold in thresholds]


def shortfall(name: str, badge: str, shown: list[Reading]) -> str:
    """Why ``name`` cannot receive ``badge`` now, in French, or "" when every threshold is met."""
    unmet = [reading for reading in shown if not reading.met]
    if not unmet:
        return ""
    said = "; ".join(f"{reading.threshold.label} : {value_of(reading)} (au moins "
                     f"{formatted(reading.threshold.minimum, reading.threshold.unit)} demandé)" for reading in unmet)
    return f"{name} ne remplit pas les critères mesurés de « {badge} » : {said}."


def value_of(reading: Reading) -> str:
    return "aucune mesure" if reading.value is None else formatted(reading.value, reading.threshold.unit)


def checker(manager: Any) -> Callable[[Mapping[str, Any], Mapping[str, Any]], Awaitable[str]]:
    """The ``meets`` of ``awards.award``: why the provider falls short of the badge's thresholds now."""
    async def meets(badge: Mapping[str, Any], provider: Mapping[str, Any]) -> str:
        thresholds = stored(badge)
        if not thresholds:
            return ""
        shown = await readings(registered(manager), thresholds, provider["id"])
        return shortfall(provider["trade_name"], badge["name"], shown)
    return meets
