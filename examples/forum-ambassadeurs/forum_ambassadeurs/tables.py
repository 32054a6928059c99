"""The plugin's tables: the advisors, and the TPE requests each of them referred."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table


class Advisor(Table):
    """A business advisor of the network (chamber of commerce or of trades, accountant, bank,
    public agency), who signs in with the account of ``email``."""

    email = Varchar(length=254, unique=True)
    name = Varchar(length=200)
    organisation = Varchar(length=200)
    kind = Varchar(length=20)  # one of ``advisors.KINDS``
    region = Varchar(length=3, index=True)  # INSEE code of its région
    active = Boolean(default=True)
    created_at = Timestamptz()


class Referral(Table):
    """A TPE's request an advisor sent on its behalf, and what became of it (its last public step).

    ``lead`` is the request's number in the leads plugin, known from its events: no foreign key,
    so this plugin depends on the directory's public API only.
    """

    lead = Integer(unique=True)
    advisor = ForeignKey(Advisor, on_delete=OnDelete.cascade, index=True)
    last_step = Text(default="")
    last_kind = Varchar(length=30, default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()


TABLES = (Advisor, Referral)
