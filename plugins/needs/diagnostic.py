""""Où en est mon entreprise avec le numérique ?": the questions, and a TPE's answers scored.

Pure functions over a ``Questionnaire`` (read from ``diagnostic.toml``): no database, no app,
nothing kept. Each answer gives points to themes; a theme's score is its points over the most
its questions can give (an answer giving no points at all says the theme does not apply to
this business). The priorities are the themes short of full marks, the weakest first once
weighted by how much each matters to a very small business, three at most; an ``urgent``
answer (invoices made without software, when the law sets a date for e-invoicing) keeps its
theme among them whatever the others score.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

SHIPPED = Path(__file__).with_name("diagnostic.toml")
MOST_PRIORITIES = 3
ANSWERS_PER_QUESTION = range(3, 5)
IMPACTS = range(1, 4)
POINTS = range(4)


class QuestionnaireError(ValueError):
    """The questionnaire names an unknown service or theme, or a question breaks its rules."""


@dataclass(frozen=True)
class Theme:
    key: str
    title: str
    need: str  # what the TPE wants, in its own words: it goes into its request for quotes
    services: tuple[str, ...]  # the catalogue's, main one first
    impact: int  # 1 to 3: how much it matters to a very small business
    fine: str
    why: str


@dataclass(frozen=True)
class Answer:
    key: str
    text: str
    points: Mapping[str, int]  # per theme; empty: the themes of the question do not apply
    urgent: bool = False


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    answers: tuple[Answer, ...]
    hint: str = ""

    def answer(self, key: str) -> Answer | None:
        return next((answer for answer in self.answers if answer.key == key), None)


@dataclass(frozen=True)
class ThemeScore:
    theme: Theme
    score: float  # 0 to 1
    urgent: bool = False

    @property
    def level(self) -> str:
        """"bien", "a-renforcer" or "a-faire", as the result page groups them."""
        return "bien" if self.score >= 1 else "a-renforcer" if self.score > 0 else "a-faire"

    @property
    def weight(self) -> float:
        """How much this theme calls for action: what it lacks, times what it matters."""
        return (1 - self.score) * self.theme.impact


@dataclass(frozen=True)
class Diagnosis:
    """The picture a TPE's answers give: every applicable theme scored, and what to do first."""

    scores: tuple[ThemeScore, ...]  # in the questionnaire's order
    priorities: tuple[ThemeScore, ...]  # what to do first, in order

    @property
    def fine(self) -> tuple[ThemeScore, ...]:
        return tuple(score for score in self.scores if score.level == "bien")

    @property
    def later(self) -> tuple[ThemeScore, ...]:
        """Themes short of full marks that are not among the priorities."""
        return tuple(s for s in self.scores if s.level != "bien" and s not in self.priorities)

    @property
    def services(self) -> tuple[str, ...]:
        """The priorities' services, in the priorities' order, each once."""
        return tuple(dict.fromkeys(slug for score in self.priorities for slug in score.theme.services))


@dataclass(frozen=True)
class Questionnaire:
    themes: Mapping[str, Theme]
    questions: tuple[Question, ...]

    @classmethod
    def build(cls, data: Mapping, services: Iterable[str]) -> Questionnaire:
        """A questionnaire from its TOML data, checked against the catalogue's ``services``."""
        known = set(services)
        themes = {key: Theme(key, entry["title"], entry["need"], tuple(entry["services"]), entry["impact"],
                             entry["fine"], entry["why"]) for key, entry in data["themes"].items()}
        questions = tuple(Question(entry["id"], entry["text"], tuple(
            Answer(answer["id"], answer["text"], dict(answer["points"]), answer.get("urgent", False))
            for answer in entry["answers"]), entry.get("hint", "")) for entry in data["questions"])
        _check(themes, questions, known)
        return cls(themes, questions)

    @classmethod
    def shipped(cls, services: Iterable[str]) -> Questionnaire:
        return cls.build(tomllib.loads(SHIPPED.read_text("utf-8")), services)

    def diagnose(self, answers: Mapping[str, str]) -> Diagnosis:
        """The diagnosis of ``answers`` (question key → answer key), every question answered."""
        got: dict[str, int] = {}
        best: dict[str, int] = {}
        urgent: set[str] = set()
        for question in self.questions:
            answer = question.answer(answers[question.key])
            if answer is None:
                raise KeyError(question.key)
            if not answer.points:
                continue  # does not apply to this business: neither its points nor its best count
            for theme, points in answer.points.items():
                got[theme] = got.get(theme, 0) + points
                best[theme] = best.get(theme, 0) + max(a.points.get(theme, 0) for a in question.answers)
            if answer.urgent:
                urgent.update(answer.points)
        scores = tuple(ThemeScore(theme, got[key] / best[key], key in urgent)
                       for key, theme in self.themes.items() if best.get(key))
        return Diagnosis(scores, _priorities(scores))


def _priorities(scores: tuple[ThemeScore, ...]) -> tuple[ThemeScore, ...]:
    """The weakest themes weighted by impact, urgent ones kept in, three at most, in order."""
    order = {score.theme.key: number for number, score in enumerate(scores)}
    wanting = [score for score in scores if score.level != "bien"]
    chosen = sorted(wanting, key=lambda s: (not s.urgent, -s.weight, order[s.theme.key]))[:MOST_PRIORITIES]
    # Between themes that call for action as much, the one the law sets a date for comes first.
    return tuple(sorted(chosen, key=lambda s: (-s.weight, not s.urgent, order[s.theme.key])))


def _check(themes: Mapping[str, Theme], questions: tuple[Question, ...], services: set[str]) -> None:
    problems = [f"theme {t.key}: unknown service {slug}" for t in themes.values() for slug in t.services
                if slug not in services]
    problems += [f"theme {t.key}: impact {t.impact}" for t in themes.values() if t.impact not in IMPACTS]
    keys = [question.key for question in questions]
    problems += [f"question {key} appears twice" for key in sorted({k for k in keys if keys.count(k) > 1})]
    for question in questions:
        if len(question.answers) not in ANSWERS_PER_QUESTION:
            problems.append(f"question {question.key}: {len(question.answers)} answers")
        answer_keys = [answer.key for answer in question.answers]
        if len(set(answer_keys)) != len(answer_keys):
            problems.append(f"question {question.key}: an answer appears twice")
        for answer in question.answers:
            problems += [f"question {question.key}, answer {answer.key}: unknown theme {theme}"
                         for theme in answer.points if theme not in themes]
            problems += [f"question {question.key}, answer {answer.key}: {points} points"
                         for points in answer.points.values() if points not in POINTS]
    unscored = sorted(set(themes) - {theme for q in questions for a in q.answers for theme in a.points})
    problems += [f"theme {key}: no question scores it" for key in unscored]
    if problems:
        raise QuestionnaireError("; ".join(problems))

