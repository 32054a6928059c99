"""Tables and migrations, on whichever engine the suite runs (SQLite or PostgreSQL)."""

from datetime import UTC, datetime

from directory import catalogue
from directory.database import migrate
from directory.engines import engine_for
from directory.platform import clock
from directory.providers import delete_provider, sync_catalogue
from directory.tables import Provider, ProviderService, Service
from directory.testing import add_providers, provider_row


async def test_migrations_build_every_table_and_a_second_run_applies_nothing(settings):
    engine = Provider._meta.db
    assert await migrate(engine) == []
    for table in (Provider, Service, ProviderService):
        assert await table.table_exists()


async def test_migrations_run_on_a_brand_new_database(tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path / 'fresh' / 'new.sqlite3'}", lock_timeout_s=5)
    original = Provider._meta.db
    try:
        applied = await migrate(engine)
        assert len(applied) >= 1
        assert await Provider.count() == 0
    finally:
        from directory.database import bind

        bind(original)


async def test_the_catalogue_is_synchronised_once(settings):
    await sync_catalogue()
    rows = await Service.select(Service.slug).order_by(Service.position)
    assert [row["slug"] for row in rows] == [s.slug for s in catalogue.SERVICES]


async def test_lists_round_trip_through_array_columns(settings):
    await add_providers(provider_row(languages="fr;en;br", sectors="commerce;sante", service_departements="33;40"))
    row = await Provider.select(Provider.languages, Provider.sectors, Provider.service_departements).first()
    assert row == {"languages": ["fr", "en", "br"], "sectors": ["commerce", "sante"],
                   "service_departements": ["33", "40"]}


async def test_deleting_a_provider_removes_its_service_links(settings):
    [slug] = await add_providers(provider_row())
    assert await ProviderService.count() == 2
    assert await delete_provider(slug)
    assert await ProviderService.count() == 0


async def test_slugs_stay_unique_for_homonyms(settings):
    slugs = await add_providers(provider_row(), provider_row())
    assert slugs == ["pixel-gironde-bordeaux", "pixel-gironde-bordeaux-2"]


async def test_writes_take_their_time_from_the_installed_clock(settings):
    moment = datetime(2031, 3, 4, 5, 6, 7, tzinfo=UTC)
    with clock.use(clock.ManualClock(moment)):
        [slug] = await add_providers(provider_row())
    row = await Provider.select(Provider.created_at, Provider.updated_at).where(Provider.slug == slug).first()
    assert row["created_at"] == row["updated_at"] == moment


async def test_a_write_transaction_keeps_its_writes_when_another_app_rebinds_the_tables_meanwhile(settings):
    """An app, a command or a test building its engine on the same database must not turn the
    writes of a transaction already open elsewhere into a wait on that transaction's own lock."""
    from directory.database import bind, write_transaction
    from directory.tables import Account

    original = Account._meta.db
    try:
        async with write_transaction(engine_for(settings.database_url, 1.0)) as transaction:
            bind(engine_for(settings.database_url, 1.0))  # as create_app, prepare_database and every command do
            await Account.insert(Account(email="pendant@example.fr", password_hash="x", created_at=clock.now(),
                                         password_changed_at=clock.now()))
            await transaction.rollback()
    finally:
        bind(original)
    assert await Account.count().where(Account.email == "pendant@example.fr") == 0
