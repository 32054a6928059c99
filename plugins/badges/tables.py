"""The badges plugin's tables: the kinds of badge, their awards to providers, the status bits ever
handed out, the network's public keys."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from directory.plugin_api import tables


class BadgeClass(Table):
    """A kind of badge the network awards, with the criteria published on its public page."""

    slug = Varchar(length=60, unique=True)
    name = Varchar(length=100)
    description = Text()
    criteria = Text()  # what a provider must show, published at /badges/{slug}
    # Thresholds on measured results, as published (JSON: ``measures.Threshold`` items).
    thresholds = Text(default="[]")
    color = Varchar(length=7, default="#0b5cad")  # of the badge's image
    validity_months = Integer(null=True, default=None)  # None: valid until revoked
    active = Boolean(default=True)  # an inactive class is no longer awarded; its awards stay
    created_at = Timestamptz()


class BadgeAward(Table):
    """A badge awarded to a provider, and the credential that proves it.

    ``status_index`` is the award's bit in the status lists (revocation and suspension): every
    credential issued for the award (the first, each renewal's) points at it, so revoking the
    award revokes them all. The award goes with its provider; its ``StatusEntry`` stays.
    """

    badge = ForeignKey(BadgeClass, on_delete=OnDelete.restrict, index=True)
    provider = ForeignKey(tables.Provider, on_delete=OnDelete.cascade, index=True)
    status_index = Integer(unique=True)
    evidence_url = Varchar(length=500, default="")
    note = Text(default="")  # staff's evidence, in words
    valid_from = Timestamptz()
    expires_at = Timestamptz(null=True, default=None, index=True)
    revoked_at = Timestamptz(null=True, default=None)
    revoked_reason = Text(default="")
    awarded_by = Varchar(length=254, default="")
    credential_id = Varchar(length=200, unique=True)  # the current credential's id (a URL)
    credential = Text()  # the current signed credential, as issued (JSON)
    reminded = Integer(default=0)  # days before expiry of the last reminder sent (30, then 7); 0: none
    created_at = Timestamptz()
    renewed_at = Timestamptz(null=True, default=None)


class StatusEntry(Table):
    """A bit of the status lists, handed out once and kept for ever: the tombstone of an award.

    It holds no personal data and no link to the provider, so erasing a provider (its awards
    cascade) leaves it: its index is never handed out again, and a bit whose award is gone is
    published as revoked, so a credential never becomes valid again by its holder's erasure.
    """

    status_index = Integer(unique=True)
    revoked_at = Timestamptz(null=True, default=None)  # when staff revoked its award
    created_at = Timestamptz()


class SigningKey(Table):
    """A public key the network signed credentials with: published as long as the table holds it,
    so that credentials signed before a new key was introduced still verify."""

    public_key = Varchar(length=60, unique=True)  # Multikey, multibase base58-btc
    introduced_at = Timestamptz()


TABLES = (BadgeClass, BadgeAward, StatusEntry, SigningKey)
