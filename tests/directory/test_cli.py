"""The ``channel-expert`` command line: seed, import, export, remove, plugins, migrate."""

import asyncio
import json
import re
from dataclasses import replace

import click
import pytest
from click.testing import CliRunner

from directory import providers
from directory.cli import CORE_COMMANDS, build_cli
from directory.platform.commands import CommandContext
from directory.plugin_api import hookimpl
from directory.plugin_manager import get_plugin_manager
from directory.records import COLUMNS
from directory.tables import Provider, ProviderService
from directory.testing import provider_row
from geo import Gazetteer
from tests.conftest import csv_text


def asyncio_run(awaitable):
    """Run a query from these synchronous tests (the CLI runs its own event loop)."""
    async def wrap():
        return await awaitable

    return asyncio.run(wrap())


def test_migrate_is_idempotent(invoke):
    result = invoke("migrate")
    assert result.exit_code == 0
    assert "à jour" in result.output


def test_import_reports_bad_rows_by_line_and_imports_the_good_ones(invoke, tmp_path):
    source = tmp_path / "prestataires.csv"
    source.write_text(csv_text([
        provider_row(trade_name="Bonne Agence"),
        provider_row(trade_name="SIRET faux", siret="12345678901234"),
        provider_row(trade_name="Autre Bonne Agence", postal_code="69003", commune=""),
        provider_row(trade_name="Code postal faux", postal_code="00000"),
    ]), encoding="utf-8")
    result = invoke("import", str(source))
    assert result.exit_code == 1
    assert "ligne 3 : siret:" in result.output
    assert "ligne 5 : postal_code:" in result.output
    assert "2 créés, 0 mis à jour, 2 lignes rejetées" in result.output
    names = {i.trade_name for i in asyncio_run(providers.list_providers(providers.ProviderFilters())).items}
    assert names == {"Bonne Agence", "Autre Bonne Agence"}


def test_import_accepts_semicolon_files_and_updates_by_siret(invoke, tmp_path):
    row = provider_row(trade_name="Studio Galet")
    source = tmp_path / "a.csv"
    source.write_text(csv_text([row], delimiter=";"), encoding="utf-8-sig")
    assert invoke("import", str(source)).exit_code == 0
    source.write_text(csv_text([{**row, "description": "Nouvelle description"}], delimiter=";"), encoding="utf-8")
    result = invoke("import", str(source))
    assert "0 créés, 1 mis à jour" in result.output
    records = asyncio_run(providers.export_records())
    assert [r.description for r in records] == ["Nouvelle description"]


def test_duplicate_siret_in_one_file_is_a_bad_row(invoke, tmp_path):
    row = provider_row()
    source = tmp_path / "a.csv"
    source.write_text(csv_text([row, {**row, "trade_name": "Doublon"}]), encoding="utf-8")
    result = invoke("import", str(source))
    assert result.exit_code == 1
    assert "ligne 3 : siret" in result.output and "déjà présent ligne 2" in result.output


def test_a_file_with_unknown_columns_is_refused_whole(invoke, tmp_path):
    source = tmp_path / "a.csv"
    source.write_text("kind,legal_name,siret,postal_code,couleur\n", encoding="utf-8")
    result = invoke("import", str(source))
    assert result.exit_code == 2
    assert "Colonnes inconnues : couleur" in result.output


def test_a_failed_import_leaves_nothing_half_written(invoke, tmp_path, monkeypatch):
    source = tmp_path / "a.csv"
    source.write_text(csv_text([provider_row(trade_name=f"Agence {i}") for i in range(3)]), encoding="utf-8")
    original = ProviderService.insert

    def failing_insert(*rows):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ProviderService, "insert", failing_insert)
    with pytest.raises(RuntimeError, match="disk full"):
        invoke("import", str(source))
    monkeypatch.setattr(ProviderService, "insert", original)
    assert asyncio_run(Provider.count()) == 0


def test_export_writes_the_import_format_and_round_trips(invoke, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(csv_text([provider_row(trade_name="Agence Un"), provider_row(trade_name="Agence Deux",
                                                                                 state="draft")]))
    invoke("import", str(source))
    first = invoke("export").output
    assert first.splitlines()[0] == ",".join(COLUMNS)
    asyncio_run(providers.delete_all())
    again = tmp_path / "again.csv"
    again.write_text(first)
    assert invoke("import", str(again)).exit_code == 0
    second = invoke("export").output
    assert second == first
    assert len(invoke("export", "--state", "draft").output.splitlines()) == 2


def test_export_geojson(invoke, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(csv_text([provider_row()]))
    invoke("import", str(source))
    output = tmp_path / "out.geojson"
    assert invoke("export", "--format", "geojson", "-o", str(output)).exit_code == 0
    collection = json.loads(output.read_text())
    feature = collection["features"][0]
    assert collection["type"] == "FeatureCollection"
    lon, lat = feature["geometry"]["coordinates"]
    assert 44.8 < lat < 44.9 and -0.7 < lon < -0.5
    assert feature["properties"]["commune"] == "Bordeaux"


def test_remove_deletes_a_provider(invoke, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(csv_text([provider_row()]))
    invoke("import", str(source))
    assert invoke("remove", "pixel-gironde-bordeaux").exit_code == 0
    assert asyncio_run(Provider.count()) == 0
    assert invoke("remove", "pixel-gironde-bordeaux").exit_code == 1


def test_plugins_lists_names_versions_and_hooks(invoke):
    described = json.loads(invoke("plugins", "--json").output)
    sitemap = next(p for p in described if p["name"] == "plugins.sitemap")
    assert sitemap["hooks"] == ["register_routes"] and sitemap["builtin"] is True
    assert "plugins.sitemap" in invoke("plugins").output


def test_seed_creates_the_demo_network_with_a_stable_checksum(invoke):
    first = invoke("seed", "--yes")
    assert first.exit_code == 0, first.output
    assert "3000 prestataires créés (500 reseller, 2500 web_agency)" in first.output
    again = invoke("seed", "--yes")
    assert again.output.split("Empreinte : ")[1] == first.output.split("Empreinte : ")[1]
    assert asyncio_run(Provider.count().where(Provider.kind == "reseller")) == 500
    assert asyncio_run(Provider.count().where(Provider.kind == "web_agency")) == 2500
    regions = {row["region"] for row in asyncio_run(Provider.select(Provider.region).distinct())}
    # Every région and every inhabited overseas collectivity (not Clipperton).
    assert regions == set(Gazetteer.default().regions()) - {"989"}
    assert "rien à faire" in invoke("seed", "--if-empty").output


def test_geo_prints_the_places_of_a_postal_code_as_json(invoke):
    answer = json.loads(invoke("geo", "01400").output)
    assert answer["kind"] == "postal_code"
    assert answer["places"][0]["name"] == "Châtillon-sur-Chalaronne" and len(answer["places"]) >= 8
    assert answer["point"] == {"lat": answer["places"][0]["lat"], "lon": answer["places"][0]["lon"]}


def test_geo_understands_names_and_coordinates(invoke):
    assert json.loads(invoke("geo", "st", "etienne").output)["places"][0]["name"] == "Saint-Étienne"
    assert json.loads(invoke("geo", "44.84,-0.58").output)["places"][0]["name"] == "Bordeaux"


def test_geo_answers_an_unknown_place_with_suggestions_and_a_failure_status(invoke):
    result = invoke("geo", "Montpelloer")
    assert result.exit_code == 1
    assert "Montpellier" in [p["name"] for p in json.loads(result.output)["suggestions"]]


class DeletionRecorder:
    def __init__(self):
        self.deleted = []

    @hookimpl
    def provider_deleted(self, provider):
        self.deleted.append(provider.slug)


def test_remove_tells_plugins_after_the_commit(settings, plugin_manager, tmp_path):
    recorder = DeletionRecorder()
    plugin_manager.register(recorder, name="recorder")
    source = tmp_path / "in.csv"
    source.write_text(csv_text([provider_row()]))
    runner, cli, obj = CliRunner(), build_cli(plugin_manager), CommandContext(settings, plugin_manager)
    runner.invoke(cli, ["import", str(source)], obj=obj, catch_exceptions=False)
    runner.invoke(cli, ["remove", "pixel-gironde-bordeaux"], obj=obj, catch_exceptions=False)
    assert recorder.deleted == ["pixel-gironde-bordeaux"]


def test_each_run_builds_its_own_command_group_from_the_plugins_it_loaded(settings, plugin_manager):
    """A group shared by the process kept the commands of every manager that ever added to it."""
    assert {"reindex", "search-check", "leads", "badges"} <= set(build_cli(plugin_manager).commands)
    without_search = get_plugin_manager(replace(settings, disabled_plugins=("plugins.geosearch",)))
    assert not {"reindex", "search-check"} & set(build_cli(without_search).commands)
    assert {"reindex", "search-check"} <= set(build_cli(plugin_manager).commands)
    assert set(build_cli(None).commands) == {command.name for command in CORE_COMMANDS}


def test_a_command_run_outside_channel_expert_says_so_in_one_line():
    result = CliRunner().invoke(build_cli(None), ["export"])
    assert result.exit_code == 1 and "lancez la commande par « channel-expert »" in result.output


def test_every_command_speaks_french_in_its_help(plugin_manager):
    """The help is the people's, who read French; one English sentence was enough to mix them."""
    english = re.compile(r"\b(the|and|with|from|of|to)\b")

    def helps(group: click.Group, path: str = ""):
        for name, command in group.commands.items():
            yield f"{path}{name}", command.get_short_help_str(limit=200)
            if isinstance(command, click.Group):
                yield from helps(command, f"{path}{name} ")

    assert [(name, text) for name, text in helps(build_cli(plugin_manager)) if english.search(text)] == []
