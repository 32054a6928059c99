"""Schemathesis against the app's own OpenAPI document: no server error, every answer as documented.

Each operation gets valid and invalid generated requests; every check schemathesis knows
(server errors, status codes, content types, response schemas, rejection of bad input) runs.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import ignored_auth, positive_data_acceptance

from directory.accounts import api_tokens
from directory.tables import Account, ApiToken, Membership
from directory.testing import add_account, add_providers, provider_row

EXAMPLES_PER_OPERATION = 60
# Valid-looking input that the schema cannot rule out: a place that does not exist is a 400
# problem by design; so is an edit with a phone number that is no phone number.
SEMANTIC = {label: [positive_data_acceptance]
            for label in ("GET /api/search", "GET /api/places/resolved", "PATCH /api/providers/{slug}")}


@pytest.fixture
async def api_schema(app, network, bearer):  # noqa: ARG001 - the token is written before the app starts
    # The app runs in schemathesis's own thread and event loop, with its own connection pool
    # on PostgreSQL: the test's loop must not touch the database once it has started.
    await add_providers(provider_row(trade_name="Réseau Pro", kind="reseller", services="reseau-wifi"))
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app)  # it runs the app's lifespan itself
    # A NUL in any string is refused before routing (a 400, tests/directory/test_malformed_input.py),
    # which no schema can say: valid data holds none.
    schema.config.generation.update(allow_x00=False)
    return schema


@pytest.fixture
async def bearer(network) -> dict[str, str]:
    """A member's token: edits are tried for real on its provider, the first of the network."""
    for table in (ApiToken, Membership, Account):
        await table.delete(force=True)
    account = await add_account("fuzz@pixel-gironde.fr", provider=network[0])
    return {"authorization": f"Bearer {await api_tokens.create(account, 'fuzz')}"}


def _operations(api_schema):
    return [result.ok() for result in api_schema.get_all_operations()]


def test_the_document_lists_every_api_operation(api_schema):
    labels = {operation.label for operation in _operations(api_schema)}
    assert labels == {"GET /api/providers", "GET /api/providers/{slug}", "GET /api/services", "GET /health",
                      "GET /api/search", "GET /api/places", "GET /api/places/resolved",
                      "PATCH /api/providers/{slug}", "GET /api/me", "POST /api/badges/verify"}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_matches_its_documentation(api_schema, bearer, mode):
    for operation in _operations(api_schema):
        if mode is GenerationMode.NEGATIVE and not operation.definition.raw.get("parameters"):
            continue  # nothing to make invalid

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            # Given with the call, schemathesis's auth check cannot take the token away: refusals
            # without a token or with a wrong one are tested in tests/directory/accounts/test_api_tokens.py.
            excluded = [ignored_auth, *SEMANTIC.get(operation.label, [])]  # noqa: B023 - called at once, below
            case.call_and_validate(headers=bearer, excluded_checks=excluded)

        check()
