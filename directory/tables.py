"""Piccolo tables: the providers of the network and the catalogue of services they offer."""

from __future__ import annotations

from piccolo.columns import (
    M2M,
    Array,
    Boolean,
    Bytea,
    DoublePrecision,
    ForeignKey,
    Integer,
    LazyTableReference,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Service(Table):
    """One entry of the service catalogue, with a fixed slug and a French label."""

    slug = Varchar(length=60, unique=True)
    label = Varchar(length=120)
    kind = Varchar(length=20)  # reseller, web_agency or both: which providers usually offer it
    position = Integer(default=0)


class Provider(Table):
    """An IT reseller or a web agency of the network, as its public profile shows it."""

    kind = Varchar(length=20, index=True)
    legal_name = Varchar(length=200)
    trade_name = Varchar(length=200)
    slug = Varchar(length=120, unique=True)
    # An establishment has one SIRET, so one listing: the index is made unique by a migration
    # (Piccolo cannot alter a column to unique on SQLite).
    siret = Varchar(length=14, index=True)
    description = Text(default="")
    website = Varchar(length=300, default="")
    email = Varchar(length=254, default="")
    phone = Varchar(length=20, default="")
    street = Varchar(length=200, default="")
    postal_code = Varchar(length=5, index=True)
    commune = Varchar(length=120)
    insee_code = Varchar(length=5, index=True)
    departement = Varchar(length=3, index=True)
    region = Varchar(length=3, index=True)  # the overseas collectivities have 3-digit codes
    latitude = DoublePrecision(null=True, default=None)
    longitude = DoublePrecision(null=True, default=None)
    service_radius_km = Integer(null=True, default=None)
    service_departements = Array(base_column=Varchar(length=3))
    on_site = Boolean(default=True)
    remote = Boolean(default=False)
    sectors = Array(base_column=Varchar(length=40))
    team_size = Varchar(length=10, default="")
    languages = Array(base_column=Varchar(length=5))
    year_founded = Integer(null=True, default=None)
    logo_url = Varchar(length=300, default="")
    state = Varchar(length=20, default="draft", index=True)
    left_at = Timestamptz(null=True, default=None)  # the provider left: its data is erased after a delay
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow())
    services = M2M(LazyTableReference("ProviderService", module_path=__name__))


class ProviderService(Table):
    """Which provider offers which service of the catalogue."""

    provider = ForeignKey(Provider, on_delete=OnDelete.cascade, index=True)
    service = ForeignKey(Service, on_delete=OnDelete.cascade, index=True)


class Event(Table):
    """The event outbox: one row per event, written in the same transaction as the change.

    Consumers (the search index, for one) read it in order from their own position, so no
    change is lost when a consumer is down or the process restarts (see ``directory.events``).
    """

    name = Varchar(length=60)
    subject = Varchar(length=200)
    payload = Text(default="{}")  # JSON, checked against the event type's schema
    actor = Varchar(length=120, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class ChangeCursor(Table):
    """How far each consumer has read the ``Event`` outbox."""

    consumer = Varchar(length=60, unique=True)
    position = Integer(default=0)


class ChangeFollower(Table):
    """A running process that follows the outbox from a position of its own, as it reports itself.

    A process holding an in-memory copy (the embedded search index) cannot share a cursor:
    each applies every change itself. It reports here how far it has read and a digest of
    what it holds, so an operator's check can compare every running copy with the database.
    """

    instance = Varchar(length=40, unique=True)
    consumer = Varchar(length=60, index=True)
    host = Varchar(length=200)
    pid = Integer()
    position = Integer(default=0)
    documents = Integer(default=0)
    digest = Varchar(length=40, default="")
    started_at = Timestamptz(default=TimestamptzNow())
    seen_at = Timestamptz(default=TimestamptzNow(), index=True)


class Job(Table):
    """A unit of background work, written in the same transaction as the data it concerns.

    ``ready`` jobs run from ``run_at``; a worker that claims one makes it ``running`` until
    ``lease_until``, after which another worker may claim it again (the first one died).
    Finished jobs are deleted; ``failed`` ones stay, with their error, until retried.
    """

    task = Varchar(length=100, index=True)
    payload = Text(default="{}")  # JSON
    key = Varchar(length=200, null=True, default=None, unique=True)  # at most one such job waiting
    state = Varchar(length=10, default="ready")
    run_at = Timestamptz(index=True)
    attempts = Integer(default=0)
    claimed_by = Varchar(length=100, default="")
    lease_until = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz()


class RecurringTask(Table):
    """The last period each recurring task was enqueued for: one worker wins each period."""

    task = Varchar(length=100, unique=True)
    slot = Timestamptz()


class MailMessage(Table):
    """The mail outbox: each message written with the change that causes it, sent by a job."""

    recipient = Varchar(length=254)
    subject = Varchar(length=300)
    text = Text()
    html = Text(default="")
    template = Varchar(length=100, default="")
    message_id = Varchar(length=200, unique=True)
    state = Varchar(length=10, default="pending", index=True)  # pending, then sent
    created_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)
    # The provider the message was sent for (a lead offer, a decision…): its export lists only these.
    provider = ForeignKey(Provider, on_delete=OnDelete.cascade, null=True, default=None, index=True)


class Account(Table):
    """A person who signs in: a provider's member or network staff."""

    email = Varchar(length=254, unique=True)  # lower-cased
    password_hash = Varchar(length=200, default="")  # empty until a password is set
    is_staff = Boolean(default=False)
    active = Boolean(default=True)
    created_at = Timestamptz()
    password_changed_at = Timestamptz(null=True, default=None)


class Membership(Table):
    """An account that speaks for a provider: its first member owns it and may invite others."""

    account = ForeignKey(Account, on_delete=OnDelete.cascade, index=True)
    provider = ForeignKey(Provider, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=10, default="member")  # owner or member
    created_at = Timestamptz()


class AccountToken(Table):
    """A single-use link sent by mail (claim a listing, reset a password…): only its hash is kept."""

    token_hash = Varchar(length=64, unique=True)
    purpose = Varchar(length=20)
    email = Varchar(length=254)  # where the link was sent
    provider = ForeignKey(Provider, on_delete=OnDelete.cascade, null=True, default=None)
    account = ForeignKey(Account, on_delete=OnDelete.cascade, null=True, default=None)  # whose address changes
    sent_by = ForeignKey(Account, on_delete=OnDelete.cascade, null=True, default=None)  # who invited: dies with it
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class Report(Table):
    """Outdated or wrong information on a listing, reported by anyone, for staff to look at."""

    provider = ForeignKey(Provider, on_delete=OnDelete.cascade, index=True)
    message = Text()
    contact = Varchar(length=254, default="")  # an address to answer to, if the reporter gave one
    created_at = Timestamptz(index=True)
    resolved_at = Timestamptz(null=True, default=None)


class StoreEntry(Table):
    """Short-lived values every process shares (sessions, rate-limit counters) when no Redis is set."""

    key = Varchar(length=300, unique=True)
    value = Bytea()
    expires_at = Timestamptz(null=True, default=None, index=True)


class ImportRun(Table):
    """An import written in several transactions, the head of its undo journal (``directory.imports``)."""

    actor = Varchar(length=254, default="")
    state = Varchar(length=10, default="running", index=True)  # running, done or undone
    started_at = Timestamptz()
    heartbeat_at = Timestamptz()  # refreshed by each batch: past its lease, the run is taken for dead


class ImportUndo(Table):
    """One provider as it was before a running import wrote it: its record, or none if the import made it."""

    run = ForeignKey(ImportRun, on_delete=OnDelete.cascade, index=True)
    slug = Varchar(length=120)
    written_at = Timestamptz()  # the provider's ``updated_at`` as the import left it
    record = Text(default="")  # the record before the import, as JSON; empty for a provider it created


class ProfileChange(Table):
    """One field of a profile changed: who changed it, when, through which channel, from what to what."""

    provider = ForeignKey(Provider, on_delete=OnDelete.cascade, index=True)
    account = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    actor = Varchar(length=254, default="")  # as the history shows it: an address, "cli:…"
    channel = Varchar(length=10)  # web, api, import or staff
    field = Varchar(length=40)  # "" for the profile as a whole (created, published, suspended…)
    old_value = Text(default="")
    new_value = Text(default="")
    created_at = Timestamptz(index=True)


class PendingChange(Table):
    """Identity fields (legal name, trade name, SIRET) changed on a published profile, for staff to review.

    The published profile keeps its values until staff approve; a new request replaces the
    provider's pending one.
    """

    provider = ForeignKey(Provider, on_delete=OnDelete.cascade, index=True)
    account = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    actor = Varchar(length=254, default="")
    channel = Varchar(length=10)
    changes = Text()  # JSON: field -> new value
    state = Varchar(length=10, default="pending", index=True)  # pending, approved, rejected
    reason = Text(default="")  # why staff rejected it, as the provider is told
    created_at = Timestamptz(index=True)
    decided_at = Timestamptz(null=True, default=None)
    decided_by = Varchar(length=254, default="")


class ApiToken(Table):
    """A personal API token: a member's bearer credential for the JSON API; only its hash is kept."""

    account = ForeignKey(Account, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=100)
    token_hash = Varchar(length=64, unique=True)
    hint = Varchar(length=12)  # the token's first characters, to recognise it in a list
    created_at = Timestamptz()
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class Logo(Table):
    """A provider's logo, re-encoded: kept in the database so that every process and replica serves it."""

    name = Varchar(length=60, unique=True)  # generated, with the extension of its format
    provider = ForeignKey(Provider, on_delete=OnDelete.cascade, index=True)
    media_type = Varchar(length=20)
    content = Bytea()
    created_at = Timestamptz()


class ContactMessage(Table):
    """A message sent through the contact page, for staff; erased after the contact retention period."""

    name = Varchar(length=200)
    email = Varchar(length=254, index=True)
    subject = Varchar(length=200)
    message = Text()
    created_at = Timestamptz(index=True)
    handled_at = Timestamptz(null=True, default=None)
    handled_by = Varchar(length=254, default="")  # the staff member who dealt with it


TABLES: tuple[type[Table], ...] = (
    Service, Provider, ProviderService, Event, ChangeCursor, ChangeFollower, Job, RecurringTask,
    MailMessage, Account, Membership, AccountToken, Report, StoreEntry, ProfileChange, PendingChange, ApiToken,
    Logo, ImportRun, ImportUndo, ContactMessage,
)
