"""Imports of real-world files: legacy encodings, hostile cells, wrong places, SIRET clashes, formulas."""

from __future__ import annotations

import asyncio
import csv
import re
import subprocess

import pytest

from directory import providers
from directory.exchange import from_cell, to_cell
from directory.tables import Provider
from directory.testing import provider_row
from tests.conftest import COMMAND, csv_text


def _names() -> set[str]:
    async def names():
        return {row["trade_name"] for row in await Provider.select(Provider.trade_name)}

    return asyncio.run(names())


def test_invalid_utf8_is_refused_whole_with_a_french_way_out(invoke, tmp_path):
    source = tmp_path / "a.csv"
    source.write_bytes(csv_text([provider_row()]).encode() + b"\x81\x8d\x8f\x90\x9d\xff\xfe\x00\x81")
    result = invoke("import", str(source))
    assert result.exit_code == 2
    assert "pas en UTF-8" in result.output and "CSV UTF-8" in result.output and "Traceback" not in result.output


def test_a_windows_1252_file_as_excel_saves_it_is_read_with_its_accents(invoke, tmp_path):
    source = tmp_path / "excel.csv"
    row = provider_row(trade_name="Société Générale de l'Hôtel-Dieu", description="Création de sites à Créteil — 5 €",
                       postal_code="42000", commune="Saint-Étienne")
    source.write_bytes(csv_text([row], delimiter=";").replace("\n", "\r\n").encode("cp1252"))
    result = invoke("import", str(source))
    assert result.exit_code == 0, result.output
    assert "Windows-1252" in result.output
    [record] = asyncio.run(providers.export_records())
    assert (record.trade_name, record.commune) == ("Société Générale de l'Hôtel-Dieu", "Saint-Étienne")
    assert record.description == "Création de sites à Créteil — 5 €"


def test_a_cell_over_the_csv_field_limit_is_an_unreadable_file_not_a_traceback(invoke, tmp_path):
    source = tmp_path / "big.csv"
    source.write_text(csv_text([provider_row(description="x" * (csv.field_size_limit() + 10))]), encoding="utf-8")
    result = invoke("import", str(source))
    assert result.exit_code == 2
    assert "ligne 2" in result.output and "caractères" in result.output


@pytest.mark.parametrize("field, value", [
    ("trade_name", "Agence\x00Nulle"),
    ("description", "Texte \x1b[2J\x1b[31mrouge"),
    ("legal_name", "Agence \u202egnp.exe"),
    ("commune", "Bor\x00deaux"),
    ("street", "1 rue\nde la Paix"),
])
def test_control_characters_are_refused_per_field_and_a_dry_run_says_what_the_real_run_does(
        invoke, tmp_path, field, value):
    source = tmp_path / "a.csv"
    source.write_text(csv_text([provider_row(trade_name="Agence Saine"), provider_row(**{field: value})]),
                      encoding="utf-8")
    dry = invoke("import", "--dry-run", str(source))
    assert dry.exit_code == 1 and f"ligne 3 : {field}: Caractère de contrôle interdit" in dry.output
    assert "1 lignes valides" in dry.output and _names() == set()
    real = invoke("import", str(source))
    assert real.exit_code == 1 and f"ligne 3 : {field}: Caractère de contrôle interdit" in real.output
    assert _names() == {"Agence Saine"}


def test_a_commune_that_is_not_the_postal_codes_own_is_a_row_error(invoke, tmp_path):
    source = tmp_path / "a.csv"
    source.write_text(csv_text([provider_row(postal_code="33000", commune="Lyon"),
                                provider_row(trade_name="Agence Paris", postal_code="75015", commune="Paris")]),
                      encoding="utf-8")
    result = invoke("import", str(source))
    assert result.exit_code == 1
    assert "ligne 2 : commune: La commune « Lyon » n'a pas le code postal 33000 (Bordeaux)" in result.output
    assert _names() == {"Agence Paris"}


def test_a_siret_belongs_to_one_listing_only(invoke, tmp_path):
    first, second = provider_row(trade_name="Agence Une"), provider_row(trade_name="Agence Deux")
    source = tmp_path / "a.csv"
    source.write_text(csv_text([first, second]), encoding="utf-8")
    assert invoke("import", str(source)).exit_code == 0
    source.write_text(csv_text([{**second, "slug": "agence-deux-bordeaux", "siret": first["siret"]}]),
                      encoding="utf-8")
    for args in (("--dry-run",), ()):
        result = invoke("import", *args, str(source))
        assert result.exit_code == 1
        assert "ligne 2 : siret: Ce SIRET est déjà celui du prestataire agence-une-bordeaux" in result.output
    records = asyncio.run(providers.export_records())
    assert sorted(r.siret for r in records) == sorted([first["siret"], second["siret"]])


async def test_the_database_refuses_a_second_listing_with_the_same_siret(settings):
    row = {column: "x" for column in ("kind", "legal_name", "trade_name", "postal_code", "commune", "insee_code",
                                       "departement", "region")}
    await Provider.insert(Provider(**row, slug="premier", siret="73282932000074"))
    with pytest.raises(Exception, match="(?i)unique"):
        await Provider.insert(Provider(**row, slug="second", siret="73282932000074"))


def test_concurrent_imports_of_one_file_both_succeed(environment, tmp_path):
    source = tmp_path / "a.csv"
    source.write_text(csv_text([provider_row(trade_name=f"Agence {number}") for number in range(60)]),
                      encoding="utf-8")
    processes = [subprocess.Popen([*COMMAND, "import", str(source)], env=environment, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], outputs
    assert sorted(out for out, _ in outputs) == ["0 créés, 60 mis à jour, 0 lignes rejetées.\n"] * 2 + [
        "60 créés, 0 mis à jour, 0 lignes rejetées.\n"]
    assert len(_names()) == 60


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://x\";\"clic\")", "@SUM(1+1)", "+cmd|' /C calc'!A0", "-2+3",
                                   "\tTabulé", "\rRetour", "'déjà cité", "''", "Normal", "-0.58", "",
                                   "Maintenance;=cmd|' /C calc'!A0", "Réseau, +cmd|' /C calc'!A0", "a; @SUM(1)",
                                   "x;'=y", "x;''", "Sites, boutiques; -10 %", "1,5;-0.58", ";=;,;"])
def test_formula_cells_are_neutralised_in_every_part_a_spreadsheet_splits_and_read_back(value):
    cell = to_cell(value)
    # A French spreadsheet splits a cell on ";" (or ","): no part may start a formula.
    for part in re.split(r"[;,]", cell):
        start = part.lstrip(" ")
        assert start[:1] not in set("=+@\t\r") and (start[:1] != "-" or start == "-0.58")
    assert from_cell(cell) == value


def test_export_neutralises_formulas_and_round_trips(invoke, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(csv_text([provider_row(trade_name="=HYPERLINK(\"http://evil\";\"Agence\")",
                                             description="@SUM(A1) +cmd|' /C calc'!A0\n-10 % en janvier",
                                             legal_name="+33 Agence", street="'Quoted")]), encoding="utf-8")
    assert invoke("import", str(source)).exit_code == 0
    exported = invoke("export").output
    row = next(csv.DictReader(exported.splitlines(keepends=True)))
    assert row["trade_name"].startswith("'=") and row["description"].startswith("'@")
    assert row["legal_name"].startswith("'+") and row["street"] == "''Quoted"
    assert row["longitude"].startswith("-0.")
    asyncio.run(providers.delete_all())
    (tmp_path / "again.csv").write_text(exported, encoding="utf-8")
    assert invoke("import", str(tmp_path / "again.csv")).exit_code == 0
    [record] = asyncio.run(providers.export_records())
    assert record.trade_name == "=HYPERLINK(\"http://evil\";\"Agence\")" and record.street == "'Quoted"
    assert invoke("export").output == exported


def test_a_formula_after_a_semicolon_is_neutralised_in_the_export_and_round_trips(invoke, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(csv_text([provider_row(trade_name="Maintenance;=cmd|' /C calc'!A0",
                                             street="12 rue du Port, +cmd|' /C calc'!A0")]), encoding="utf-8")
    assert invoke("import", str(source)).exit_code == 0
    exported = invoke("export").output
    row = next(csv.DictReader(exported.splitlines(keepends=True)))
    assert row["trade_name"] == "Maintenance;'=cmd|' /C calc'!A0"
    assert row["street"] == "12 rue du Port,' +cmd|' /C calc'!A0"
    asyncio.run(providers.delete_all())
    (tmp_path / "again.csv").write_text(exported, encoding="utf-8")
    assert invoke("import", str(tmp_path / "again.csv")).exit_code == 0
    [record] = asyncio.run(providers.export_records())
    assert record.trade_name == "Maintenance;=cmd|' /C calc'!A0"
    assert record.street == "12 rue du Port, +cmd|' /C calc'!A0"


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x0b", "\x85"])
def test_a_line_separator_in_a_one_line_field_is_a_row_error(invoke, tmp_path, separator):
    source = tmp_path / "a.csv"
    source.write_text(csv_text([provider_row(trade_name="Agence Saine"),
                                provider_row(trade_name=f"Agence{separator}Cachée")]), encoding="utf-8")
    imported = invoke("import", str(source))
    assert imported.exit_code == 1 and "ligne 3 : trade_name: " in imported.output
    assert _names() == {"Agence Saine"}


def test_a_spreadsheet_given_instead_of_a_csv_is_named_as_such(invoke, tmp_path):
    source = tmp_path / "prestataires.csv"
    source.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xa5\x8c")
    result = invoke("import", str(source))
    assert result.exit_code == 2 and "classeur" in result.output


async def test_two_new_records_with_one_siret_in_a_batch_keep_the_first(settings):
    from directory.records import clean_record
    from geo import Gazetteer

    first = provider_row(trade_name="Agence Première")
    second = provider_row(trade_name="Agence Seconde", siret=first["siret"])
    saved = await providers.save_records([clean_record(row, Gazetteer.default()) for row in (first, second)])
    assert saved.created == ["agence-premiere-bordeaux"]
    assert saved.refused == {1: "siret: Ce SIRET est déjà celui du prestataire agence-premiere-bordeaux."}


async def test_a_siret_given_up_by_one_provider_can_go_to_a_new_one_in_the_same_batch(settings):
    from directory.records import clean_record
    from geo import Gazetteer

    first = provider_row(trade_name="Agence Première")
    [slug] = (await providers.save_records([clean_record(first, Gazetteer.default())])).created
    moved = {**first, "slug": slug, "siret": provider_row()["siret"]}
    newcomer = provider_row(trade_name="Agence Nouvelle", siret=first["siret"])
    saved = await providers.save_records([clean_record(row, Gazetteer.default()) for row in (moved, newcomer)])
    assert (saved.updated, saved.created, saved.refused) == ([slug], ["agence-nouvelle-bordeaux"], {})
