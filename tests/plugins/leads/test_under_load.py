"""Quote requests beside imports: the form's limits never wait for the write lock, a request
goes through between two batches of an import, and routing reads again only what an import changed."""

from __future__ import annotations

from datetime import timedelta

from directory import imports
from directory.providers import IMPORTED
from directory.tables import Provider
from plugins.leads import network as routed_network
from plugins.leads.tables import Lead
from tests.directory.platform.test_counters_under_lock import held_write_lock
from tests.directory.platform.test_import_batches import records
from tests.plugins.leads.test_flow import ask, network, site  # noqa: F401 - the fixtures
from tests.statements import counted


async def test_a_request_over_its_limit_is_refused_while_another_connection_holds_the_write_lock(
        site, settings, manual_clock):
    for number in range(5):  # an address may send five requests a day
        sent = await ask(site, manual_clock, description=f"Projet numéro {number} pour la crêperie.")
        assert sent.status_code == 303
    async with held_write_lock(settings):
        refused = await ask(site, manual_clock, description="Encore un projet pour la crêperie.")
    assert refused.status_code == 429 and "Trop de demandes" in refused.text
    assert await Lead.count() == 5


async def test_a_quote_request_goes_through_between_two_batches_of_an_import(site, settings, manual_clock):
    before = await Provider.count()
    answers = []

    async def between(written: int) -> None:
        answer = await ask(site, manual_clock, description=f"Projet pendant l'import ({written} lignes).")
        answers.append((answer.status_code, await Provider.count() - before))

    await imports.import_records(records(*(f"Agence {n}" for n in range(6))), IMPORTED, timedelta(minutes=1),
                                 batch_rows=3, on_batch=between)
    assert answers == [(303, 3)]  # sent, and routed, with half of the file written
    assert await Lead.count() == 1 and await Provider.count() == before + 6


async def test_routing_reads_again_only_the_providers_an_import_created_then_undid(site, manual_clock):
    manager = site.app.state.plugin_manager
    before = {candidate.slug for candidate in (await routed_network.network(manager)).candidates}
    run = await imports.start_run(IMPORTED, timedelta(minutes=1))
    await imports.write_batch(run, records("Agence Neuve", "Studio Neuf", services="e-commerce"), IMPORTED)
    with counted(site.app.state.platform.engine) as statements:
        after = {candidate.slug for candidate in (await routed_network.network(manager)).candidates}
    created = after - before
    assert len(created) == 2 and before <= after
    reads = [statement for statement in statements if '"provider"' in statement and "IN" in statement]
    assert reads and all(any(slug in statement for slug in created) for statement in reads)  # those two only
    await imports.undo(run)
    assert {candidate.slug for candidate in (await routed_network.network(manager)).candidates} == before
