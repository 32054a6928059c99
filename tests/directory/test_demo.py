"""The demo network is realistic and the same everywhere."""

import re

import msgspec

from directory import catalogue
from directory.demo import checksum, demo_records
from directory.records import clean_record, record_to_row
from directory.validation import siret

# "de" where French says "du", "de l'", "des", "de la" or "d'".
WRONG_DE = re.compile(r"\bde (Finistère|Nord|Ain|Aisne|Deux-Sèvres|Gironde|Rhône|Var|Landes|Hérault|[AEIOUYÉÎ])")


def test_demo_network_is_identical_on_every_run(gazetteer):
    assert checksum(demo_records(gazetteer)) == checksum(demo_records(gazetteer))


def test_demo_network_is_the_published_one_on_every_machine(gazetteer):
    # Changes whenever the demo's word lists or draws change: say so where figures quote the network.
    assert checksum(demo_records(gazetteer)) == "0086f8d423082335"


def test_no_two_demo_firms_share_a_name_in_a_departement_nor_an_address(gazetteer):
    records = demo_records(gazetteer)
    assert len({(r.departement, r.trade_name) for r in records}) == len(records)
    assert len({(r.street, r.postal_code, r.commune) for r in records}) == len(records)
    assert len({r.website for r in records}) == len({r.email for r in records}) == len(records)
    assert len({r.trade_name for r in records}) > len(records) / 3  # varied across France too


def test_demo_providers_sit_in_real_communes_at_their_gazetteer_points(gazetteer):
    for record in demo_records(gazetteer):
        place = gazetteer.commune(record.insee_code)
        assert (record.latitude, record.longitude) == (place.lat, place.lon)
        assert record.postal_code in place.postal_codes
        assert (record.departement, record.region) == (place.departement, place.region)


def test_demo_providers_have_valid_unique_sirets_and_typical_services(gazetteer):
    records = demo_records(gazetteer)
    assert len({r.siret for r in records}) == len(records)
    assert all(siret(r.siret) == r.siret for r in records)
    reseller_only = {s.slug for s in catalogue.SERVICES if s.kind == catalogue.RESELLER}
    agencies = [r for r in records if r.kind == catalogue.WEB_AGENCY]
    assert not any(reseller_only & set(r.services) for r in agencies)


def test_demo_network_covers_every_region_weighted_by_population(gazetteer):
    records = demo_records(gazetteer)
    by_region = {}
    for record in records:
        by_region[record.region] = by_region.get(record.region, 0) + 1
    assert set(by_region) == set(gazetteer.regions()) - {"989"}  # nobody lives on Clipperton
    assert by_region["11"] > by_region["94"] * 10  # Île-de-France far ahead of Corsica


def test_overseas_demo_providers_have_the_phone_numbers_of_their_territory(gazetteer):
    prefixes = {"975": "+508 ", "986": "+681 ", "987": "+689 ", "988": "+687 ", "977": "05 90 ", "06": "02 69 "}
    records = [r for r in demo_records(gazetteer) if r.region in prefixes]
    assert {r.region for r in records} == set(prefixes)
    for record in records:
        assert record.phone.startswith(prefixes[record.region]), record


def test_demo_providers_in_paris_lyon_and_marseille_sit_in_arrondissements(gazetteer):
    kinds = {gazetteer.commune(r.insee_code).kind for r in demo_records(gazetteer)}
    assert "city" not in kinds and "arrondissement" in kinds


def test_demo_descriptions_speak_proper_french(gazetteer):
    records = demo_records(gazetteer)
    wrong = [r.description for r in records if WRONG_DE.search(r.description)]
    assert wrong == []
    finistere = [r for r in records if r.departement == "29" and "sites web clairs" in r.description]
    assert finistere and all("petites entreprises du Finistère" in r.description for r in finistere)


def test_remote_only_demo_providers_have_no_radius(gazetteer):
    remote_only = [r for r in demo_records(gazetteer) if r.remote and not r.on_site]
    assert remote_only and all(r.service_radius_km is None for r in remote_only)


def test_every_demo_provider_passes_the_import_checks(gazetteer):
    for record in demo_records(gazetteer):
        cleaned = clean_record(record_to_row(record), gazetteer)
        assert msgspec.structs.replace(cleaned, slug=record.slug) == record
