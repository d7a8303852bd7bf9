"""The OpenAPI description fuzzed with schemathesis against the app's WSGI callable in
production mode (the real error handlers): no 5xx, every answer matches the schema
(status codes, content types, bodies). Examples are bounded per operation.

The operations are driven by hand with hypothesis (schemathesis' pytest plugin does not
load under this pytest), one bounded run per operation. Checked: no server error, status
codes, content types, headers and bodies as described. Not checked: "schema-valid data is
accepted" (positive_data_acceptance): cross-parameter rules (year_from <= year_to, page x
per_page <= 10,000) cannot be written in OpenAPI, and their 400 answers are documented."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from search_app import create_app

EXAMPLES = 40
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def test_api_matches_its_openapi_description(sample_data):
    app = create_app({"DATA_DIR": str(sample_data)})
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 3
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case) -> None:
            response = case.call_and_validate(checks=CHECKS)
            assert response.status_code < 500

        fuzz()
