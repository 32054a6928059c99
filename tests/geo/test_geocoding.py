"""Geocoding: the requests sent to BAN and Nominatim, the parsing of their documented answers,
the cache, and the fall-back to the commune. No test touches the network: geopy is given an
adapter that records each request and answers a response in the service's documented format.
"""

import json
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
from geopy.adapters import BaseSyncAdapter
from geopy.exc import GeocoderServiceError

from geo import Address, Gazetteer, Geocoder
from geo.geocoding import BanGeocoder, GeocodeCache, NominatimGeocoder, build_geocoder

ADDRESS = Address("8 boulevard du Port", "80000", "Amiens")

# https://adresse.data.gouv.fr/outils/api-doc/adresse : a GeoJSON FeatureCollection.
BAN_ANSWER = {
    "type": "FeatureCollection",
    "version": "draft",
    "features": [{
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [2.290084, 49.897443]},
        "properties": {
            "label": "8 Boulevard du Port 80000 Amiens", "score": 0.49159121588068583, "housenumber": "8",
            "id": "80021_6590_00008", "type": "housenumber", "name": "8 Boulevard du Port", "postcode": "80000",
            "citycode": "80021", "x": 648952.58, "y": 6977867.25, "city": "Amiens", "context": "80, Somme, Hauts-de-France",
            "importance": 0.6706612694243868, "street": "Boulevard du Port",
        },
    }],
    "attribution": "BAN", "licence": "ETALAB-2.0", "query": "8 bd du port", "limit": 1,
}
# https://nominatim.org/release-docs/latest/api/Search/ : format=json with addressdetails=1.
NOMINATIM_ANSWER = [{
    "place_id": 100149, "licence": "Data © OpenStreetMap contributors, ODbL 1.0. https://osm.org/copyright",
    "osm_type": "node", "osm_id": 107775, "lat": "49.8974433", "lon": "2.2900847",
    "display_name": "8, Boulevard du Port, Amiens, Somme, Hauts-de-France, France métropolitaine, 80000, France",
    "class": "place", "type": "house", "importance": 0.2,
    "address": {"house_number": "8", "road": "Boulevard du Port", "city": "Amiens", "postcode": "80000",
                "country": "France", "country_code": "fr"},
    "boundingbox": ["49.8973933", "49.8974933", "2.2900347", "2.2901347"],
}]


class ScriptedAdapter(BaseSyncAdapter):
    """Answers every request with ``answer``; records the URLs and headers asked for."""

    answer: object = None
    error: Exception | None = None
    requests: ClassVar[list] = []  # each scripted subclass has its own (see ``scripted``)

    def __init__(self, *, proxies, ssl_context):
        super().__init__(proxies=proxies, ssl_context=ssl_context)

    def get_json(self, url, *, timeout, headers):
        type(self).requests.append((url, timeout, headers))
        if type(self).error:
            raise type(self).error
        return type(self).answer

    def get_text(self, url, *, timeout, headers):
        return json.dumps(self.get_json(url, timeout=timeout, headers=headers))


def scripted(answer=None, error=None):
    return type("Scripted", (ScriptedAdapter,), {"answer": answer, "error": error, "requests": []})


def _query(url):
    parts = urlsplit(url)
    return parts.netloc + parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


def test_ban_request_carries_the_postal_code_in_the_text_and_a_configurable_domain():
    adapter = scripted(BAN_ANSWER)
    located = BanGeocoder(domain="data.geopf.fr/geocodage", timeout=3, adapter_factory=adapter).lookup(
        Address("8 bd du Port", "80000", "Amiens"))
    [(url, timeout, _)] = adapter.requests
    where, params = _query(url)
    assert where == "data.geopf.fr/geocodage/search"
    assert params == {"q": "8 bd du Port 80000 Amiens", "limit": "1"}
    assert timeout == 3
    assert located is None  # a score under 0.5 is a guess, not an answer


def test_ban_answer_is_parsed_when_confident_and_in_the_right_postal_code():
    answer = {**BAN_ANSWER, "features": [{**BAN_ANSWER["features"][0],
                                          "properties": {**BAN_ANSWER["features"][0]["properties"], "score": 0.93}}]}
    located = BanGeocoder(adapter_factory=scripted(answer)).lookup(ADDRESS)
    assert (located.lat, located.lon, located.source, located.precise) == (49.897443, 2.290084, "ban", True)
    assert located.label == "8 Boulevard du Port 80000 Amiens"
    assert BanGeocoder(adapter_factory=scripted(answer)).lookup(Address("8 bd du Port", "75001", "Paris")) is None
    assert BanGeocoder(adapter_factory=scripted({"type": "FeatureCollection", "features": []})).lookup(ADDRESS) is None


def test_nominatim_sends_a_structured_french_query_with_its_user_agent():
    adapter = scripted(NOMINATIM_ANSWER)
    located = NominatimGeocoder("channel-expert/1.0 (contact@example.org)", adapter_factory=adapter).lookup(ADDRESS)
    [(url, _, headers)] = adapter.requests
    where, params = _query(url)
    assert where == "nominatim.openstreetmap.org/search"
    assert params["street"] == "8 boulevard du Port" and params["postalcode"] == "80000"
    assert params["city"] == "Amiens" and params["countrycodes"] == "fr" and params["format"] == "json"
    assert headers["User-Agent"] == "channel-expert/1.0 (contact@example.org)"
    assert (located.lat, located.lon, located.source) == (49.8974433, 2.2900847, "nominatim")


def test_nominatim_refuses_an_anonymous_user_agent():
    with pytest.raises(ValueError, match="user agent"):
        NominatimGeocoder("")


def test_the_same_address_is_never_asked_twice_even_across_restarts(tmp_path):
    adapter = scripted(NOMINATIM_ANSWER)
    service = NominatimGeocoder("channel-expert-tests", adapter_factory=adapter)
    gazetteer = Gazetteer.default()
    first = Geocoder(gazetteer, [service], GeocodeCache(tmp_path / "cache.sqlite3")).locate(ADDRESS)
    again = Geocoder(gazetteer, [service], GeocodeCache(tmp_path / "cache.sqlite3")).locate(ADDRESS)
    assert first == again and first.precise
    assert len(adapter.requests) == 1


def test_a_miss_is_cached_and_falls_back_to_the_commune(tmp_path):
    adapter = scripted([])
    geocoder = Geocoder(Gazetteer.default(), [NominatimGeocoder("tests", adapter_factory=adapter)],
                        GeocodeCache(tmp_path / "c.sqlite3"))
    for _ in range(2):
        located = geocoder.locate(ADDRESS)
        assert (located.source, located.precise, located.label) == ("gazetteer", False, "Amiens")
    assert len(adapter.requests) == 1


def test_a_failing_service_falls_through_to_the_next_then_the_commune(tmp_path, caplog):
    down = BanGeocoder(adapter_factory=scripted(error=GeocoderServiceError("503")))
    up = NominatimGeocoder("tests", adapter_factory=scripted(NOMINATIM_ANSWER))
    cache = GeocodeCache(tmp_path / "c.sqlite3")
    assert Geocoder(Gazetteer.default(), [down, up], cache).locate(ADDRESS).source == "nominatim"
    assert "geocoder ban failed" in caplog.text
    assert cache.get("ban", ADDRESS) == (False, None)  # a failure is not an answer: ask again later
    assert Geocoder(Gazetteer.default(), [down], cache).locate(ADDRESS).source == "gazetteer"


def test_offline_is_the_default_and_uses_the_gazetteer():
    geocoder = build_geocoder(Gazetteer.default())
    assert geocoder.services == []
    located = geocoder.locate(Address("1 place de la Comédie", "33000", "Bordeaux"))
    assert (located.source, located.label) == ("gazetteer", "Bordeaux")
    assert geocoder.locate(Address("", "00000", "Nulle part")) is None


async def test_locating_off_the_event_loop():
    located = await build_geocoder(Gazetteer.default()).alocate(Address("", "69003", ""))
    assert located.label == "Lyon 3e Arrondissement"


def test_the_cache_closes_its_file_and_opens_it_again_when_used(tmp_path):
    cache = GeocodeCache(tmp_path / "answers.sqlite3")
    address = Address("1 rue Sainte-Catherine", "33000", "Bordeaux")
    cache.put("ban", address, None)
    cache.close()
    cache.close()  # twice is harmless
    assert cache.get("ban", address) == (True, None)
    cache.close()
