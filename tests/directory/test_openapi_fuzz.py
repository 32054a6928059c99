"""Schemathesis against the app's own OpenAPI document: no server error, every answer as documented.

Each operation gets valid and invalid generated requests; every check schemathesis knows
(server errors, status codes, content types, response schemas, rejection of bad input) runs.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance

from tests.conftest import add_providers, provider_row

EXAMPLES_PER_OPERATION = 60
# Valid-looking input that the schema cannot rule out: a place that does not exist is a 400
# problem by design.
SEMANTIC = {"GET /api/search": [positive_data_acceptance]}


@pytest.fixture
async def api_schema(app, network):
    await add_providers(provider_row(trade_name="Réseau Pro", kind="reseller", services="reseau-wifi"))
    return schemathesis.openapi.from_asgi("/schema/openapi.json", app)  # it runs the app's lifespan itself


def _operations(api_schema):
    return [result.ok() for result in api_schema.get_all_operations()]


def test_the_document_lists_every_api_operation(api_schema):
    labels = {operation.label for operation in _operations(api_schema)}
    assert labels == {"GET /api/providers", "GET /api/providers/{slug}", "GET /api/services", "GET /health",
                      "GET /api/search", "GET /api/places"}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_matches_its_documentation(api_schema, mode):
    for operation in _operations(api_schema):
        if mode is GenerationMode.NEGATIVE and not operation.definition.raw.get("parameters"):
            continue  # nothing to make invalid


        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(excluded_checks=SEMANTIC.get(operation.label, []))

        check()
