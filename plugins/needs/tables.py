"""The needs plugin's tables: phrasings staff add to the lexicon, and the searches TPEs were not understood in."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from directory.plugin_api import tables


class NeedPhrasing(Table):
    """A phrasing staff added to the shipped lexicon: these words name this catalogue service."""

    service = Varchar(length=60)
    text = Varchar(length=100)
    weak = Integer(default=0)  # 1: names the service only when nothing else is understood
    added_by = ForeignKey(tables.Account, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz()


class UnheardSearch(Table):
    """Words TPEs searched that found nobody (``nothing``) or whose understanding they took back
    (``corrected``): the typed text, folded, and how often; never a place or who typed it."""

    key = Varchar(length=220, unique=True)  # outcome and text: one row each
    outcome = Varchar(length=12)
    text = Varchar(length=200)
    times = Integer(default=0)  # how often, since the last time staff set it aside
    last_seen = Timestamptz(index=True)


TABLES = (NeedPhrasing, UnheardSearch)
