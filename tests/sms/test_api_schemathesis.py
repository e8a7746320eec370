"""The SMS HTTP API (SMS-01) against its own OpenAPI document, by Schemathesis: the real server
(`python -m app serve`) on the test database, an API key with every scope, every operation fuzzed with
valid and invalid input (bounded: a few examples per operation, a request timeout). No answer may be a
server error, and every answer must be documented: status code, content type, headers and body schema."""
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi import checks as openapi_checks

from app.sms import apikeys
from app.sms.demo import EXAMPLE_ACCOUNT
from app.sms.routes.api import openapi
from tests.helpers import WebProcess

ROOT = Path(__file__).resolve().parents[2]
API = "/api/sms/v1"
MAX_EXAMPLES = 12  # per operation and phase; with the coverage phase that is some 40-150 requests each
# Every built-in check (no 5xx; status, content type, body and headers as documented; 405 with a
# matching Allow …) but two. "Valid input accepted": a schema-valid number or URL can still be refused by
# the business rules (not a mobile number, a host that does not resolve) with a 422. "Invalid input
# refused": its invalid cases include ones without the Authorization header, which the key added here
# puts back, and undeclared query parameters, which the API ignores (test_api_errors covers refusals).
SKIPPED = [openapi_checks.positive_data_acceptance, openapi_checks.negative_data_rejection]


@pytest.fixture(scope="module")
def api_server(database):
    with WebProcess(database, ROOT / "e2e" / "artifacts" / "schemathesis_server.log") as server:
        server.wait_ready()
        yield server


@pytest.fixture
async def api_auth(db) -> dict:
    """A key of the account that holds the OpenAPI examples, fast enough not to be rate limited."""
    account = await db.fetchval("SELECT id FROM sms_account WHERE name = $1", EXAMPLE_ACCOUNT)
    _row, raw = await apikeys.create_key(account, "schemathesis", ["send", "report", "mo"], 10_000)
    return {"Authorization": f"Bearer {raw}"}


# Loaded from the module at collection time (the server starts later, in a fixture); the test below
# checks that the server publishes this very document. (schemathesis.pytest.from_fixture, the lazy
# loader, does not run on pytest 9: it sets Node._nodeid, which pytest 9 no longer has.)
schema = schemathesis.openapi.from_dict(openapi.document())


@pytest.mark.req("SMS-01")
def test_the_server_publishes_the_tested_document(api_server):
    served = schemathesis.openapi.from_url(api_server.url + API + "/openapi.json", timeout=10)
    assert served.raw_schema == openapi.document()


@pytest.mark.req("SMS-01")
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_every_operation_answers_as_documented(case, api_server, api_auth):
    case.call_and_validate(base_url=api_server.url + API, headers=api_auth, excluded_checks=SKIPPED, timeout=10)
