import re

import pytest

from directory.accounts import api_tokens
from directory.testing import add_account
from tests.conftest import SharedApp, shared_app


@pytest.fixture(scope="module")
async def shared(migrated, tmp_path_factory, request):
    """One app for the module: these tests read what each one seeds after the app has started."""
    async with shared_app(migrated, tmp_path_factory, request) as app:
        yield app


@pytest.fixture
async def client(shared: SharedApp, settings):
    """The shared app's client, on the database ``settings`` has just emptied, with no cookie."""
    return shared.rejoin()


async def test_list_returns_published_providers_with_total(client, network):
    response = await client.get("/api/providers")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 5  # the draft is not public
    assert [item["trade_name"] for item in body["items"]] == sorted(item["trade_name"] for item in body["items"])


@pytest.mark.parametrize("query, expected", [
    ("kind=reseller", {"Bordeaux Micro Services", "Azur Informatique"}),
    ("service=e-commerce", {"Pixel Gironde", "Océan Digital"}),
    ("departement=33", {"Pixel Gironde", "Bordeaux Micro Services"}),
    ("region=04", {"Océan Digital"}),
    ("postal_code=69", {"Lumen Web"}),
    ("postal_code=330", {"Pixel Gironde"}),
    ("postal_code=33300", {"Bordeaux Micro Services"}),
    ("kind=web_agency&departement=33", {"Pixel Gironde"}),
])
async def test_list_filters(client, network, query, expected):
    body = (await client.get(f"/api/providers?{query}")).json()
    assert {item["trade_name"] for item in body["items"]} == expected
    assert body["total"] == len(expected)


async def test_list_paginates_with_the_total_across_pages(client, network):
    first = (await client.get("/api/providers?limit=2&page=1")).json()
    third = (await client.get("/api/providers?limit=2&page=3")).json()
    assert (first["total"], first["pages"], len(first["items"])) == (5, 3, 2)
    assert len(third["items"]) == 1
    assert not {i["slug"] for i in first["items"]} & {i["slug"] for i in third["items"]}


async def test_list_sorts_by_name_descending_and_by_date(client, network):
    names = [i["trade_name"] for i in (await client.get("/api/providers?sort=-name")).json()["items"]]
    assert names == sorted(names, reverse=True)
    newest = (await client.get("/api/providers?sort=-created&limit=100")).json()["items"]
    assert len(newest) == 5


async def test_one_provider_by_slug(client, network):
    response = await client.get("/api/providers/pixel-gironde-bordeaux")
    assert response.status_code == 200
    provider = response.json()
    assert provider["address"]["departement_name"] == "Gironde"
    assert provider["address"]["region_name"] == "Nouvelle-Aquitaine"
    assert [s["slug"] for s in provider["services"]] == ["site-vitrine", "e-commerce"]
    assert provider["url"] == "/prestataires/pixel-gironde-bordeaux"


async def test_unknown_or_unpublished_slug_is_a_404_problem(client, network):
    for slug in ("nobody-here", "brouillon-web-bordeaux"):
        response = await client.get(f"/api/providers/{slug}")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == 404


@pytest.mark.parametrize("query, parameter", [
    ("kind=plumber", "kind"),
    ("page=0", "page"),
    ("limit=1000", "limit"),
    ("sort=price", "sort"),
    ("departement=999", "departement"),
    ("departement=ABC", "departement"),
    ("region=99", "region"),
    ("service=plomberie", "service"),
    ("postal_code=33a", "postal_code"),
])
async def test_invalid_parameters_are_400_problems_naming_the_parameter(client, query, parameter):
    response = await client.get(f"/api/providers?{query}")
    assert response.status_code == 400
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert {"type", "title", "status", "detail"} <= set(problem)
    assert [field["name"] for field in problem["invalid-params"]] == [parameter]
    assert parameter in problem["detail"]


async def test_service_catalogue_lists_both_kinds(client):
    services = (await client.get("/api/services")).json()
    kinds = {s["kind"] for s in services}
    assert {"reseller", "web_agency", "both"} == kinds
    assert any(s["slug"] == "e-commerce" and s["label"] == "E-commerce" for s in services)


async def test_openapi_documents_the_provider_operations(client):
    schema = (await client.get("/schema/openapi.json")).json()
    listing = schema["paths"]["/api/providers"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"kind", "service", "departement", "region", "postal_code",
                                                          "sort", "page", "limit"}
    assert "application/problem+json" in listing["responses"]["400"]["content"]
    assert "/api/providers/{slug}" in schema["paths"]
    assert (await client.get("/schema")).status_code == 200


async def test_the_search_filter_is_documented_with_the_pattern_each_value_must_match(client):
    schema = (await client.get("/schema/openapi.json")).json()
    [parameter] = [p for p in schema["paths"]["/api/search"]["get"]["parameters"] if p["name"] == "filter"]
    [array] = [option for option in parameter["schema"]["oneOf"] if option["type"] == "array"]
    pattern = array["items"]["pattern"]
    assert re.match(pattern, "badges:specialiste-cybersecurite") and not re.match(pattern, "badges")
    refused = await client.get("/api/search", params={"filter": "badges"})
    assert refused.status_code == 400 and refused.json()["invalid-params"][0]["name"] == "filter"


async def test_the_profile_edit_body_is_documented_as_refusing_unknown_fields(client, network):
    schema = (await client.get("/schema/openapi.json")).json()
    body = schema["paths"]["/api/providers/{slug}"]["patch"]["requestBody"]["content"]["application/json"]["schema"]
    component = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    assert component["additionalProperties"] is False and "description" in component["properties"]


async def test_the_profile_edit_documents_the_length_of_each_list_item_it_enforces(client, network):
    schema = (await client.get("/schema/openapi.json")).json()
    fields = schema["components"]["schemas"]["ProfileEdit"]["properties"]
    lists = {name: option["items"] for name, field in fields.items() for option in field.get("oneOf", [])
             if option["type"] == "array"}
    assert set(lists) == {"service_departements", "services", "sectors", "languages"}
    account = await add_account("bornes@pixel-gironde.fr", provider=network[0])
    bearer = {"authorization": f"Bearer {await api_tokens.create(account, 'bornes')}"}
    for name, items in lists.items():
        refused = await client.patch(f"/api/providers/{network[0]}", headers=bearer,
                                     json={name: ["x" * (items["maxLength"] + 1)]})
        assert refused.status_code == 400 and f"length <= {items['maxLength']}" in refused.text, name


async def test_options_names_every_method_the_document_gives_a_path(client, network):
    schema = (await client.get("/schema/openapi.json")).json()
    for path, operations in schema["paths"].items():
        answer = await client.options(re.sub(r"\{[^}]+\}", network[0], path))
        allowed = set(answer.headers["allow"].split(", "))
        documented = {method.upper() for method in operations if method in ("get", "post", "patch", "put", "delete")}
        assert answer.status_code == 204 and allowed >= documented | {"OPTIONS"}, path
    allow = (await client.options(f"/api/providers/{network[0]}")).headers["allow"]
    assert allow == "GET, HEAD, OPTIONS, PATCH"


async def test_health_reports_the_database(client):
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["checks"]["database"]["ok"] is True


async def test_responses_carry_security_headers(client):
    response = await client.get("/api/services")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
