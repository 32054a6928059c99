import pytest

from directory.records import RecordError, clean_record, record_to_row
from directory.testing import provider_row


def test_a_valid_row_gets_its_place_from_the_gazetteer(gazetteer):
    record = clean_record(provider_row(), gazetteer)
    assert (record.commune, record.insee_code, record.departement, record.region) == ("Bordeaux", "33063", "33", "75")
    assert 44.8 < record.latitude < 44.9 and -0.7 < record.longitude < -0.5
    assert record.website == "https://pixel-gironde.fr"
    assert record.email == "contact@pixel-gironde.fr"


def test_every_bad_field_is_reported_at_once_in_french(gazetteer):
    row = provider_row(kind="plombier", siret="123", email="x", services="site-vitrine;inconnu")
    with pytest.raises(RecordError) as caught:
        clean_record(row, gazetteer)
    assert set(caught.value.errors) == {"kind", "siret", "email", "services"}
    assert "inconnu" in caught.value.errors["services"]


def test_required_fields_are_named(gazetteer):
    with pytest.raises(RecordError) as caught:
        clean_record({"kind": "reseller"}, gazetteer)
    assert {"legal_name", "siret", "postal_code"} <= set(caught.value.errors)


def test_a_postal_code_shared_by_several_communes_needs_the_commune_name(gazetteer):
    with pytest.raises(RecordError) as caught:
        clean_record(provider_row(postal_code="01400", commune=""), gazetteer)
    assert "Plusieurs communes" in caught.value.errors["postal_code"]
    record = clean_record(provider_row(postal_code="01400", commune="l'abergement clemenciat"), gazetteer)
    assert record.commune == "L'Abergement-Clémenciat"


def test_an_insee_code_must_match_the_postal_code(gazetteer):
    with pytest.raises(RecordError) as caught:
        clean_record(provider_row(insee_code="69383"), gazetteer)
    assert "ne correspond pas" in caught.value.errors["commune"] + caught.value.errors.get("postal_code", "")


def test_a_record_survives_the_csv_round_trip(gazetteer):
    record = clean_record(provider_row(service_departements="33;40", on_site="non", remote="oui"), gazetteer)
    again = clean_record(record_to_row(record), gazetteer)
    assert again == record


class StreetLevel:
    """An online geocoder stand-in that places every street at a fixed point."""

    name = "street-level"

    def lookup(self, address):
        from geo import Location

        return Location(44.8412, -0.5700, self.name, True, address.street)


def test_a_street_address_is_placed_by_the_geocoder_when_one_is_enabled(gazetteer):
    from geo import Geocoder

    record = clean_record(provider_row(), gazetteer, Geocoder(gazetteer, [StreetLevel()]))
    assert (record.latitude, record.longitude) == (44.8412, -0.5700)


def test_coordinates_in_the_row_win_over_the_geocoder(gazetteer):
    from geo import Geocoder

    row = provider_row(latitude="44.80", longitude="-0.60")
    record = clean_record(row, gazetteer, Geocoder(gazetteer, [StreetLevel()]))
    assert (record.latitude, record.longitude) == (44.80, -0.60)
