"""The OpenAPI schema fuzzed by schemathesis with a valid token: whatever a client sends
to any documented operation — valid or not, on real ticket numbers or made-up ones — the
answer is never a 5xx, and a valid request's answer matches the schema.

Bounded: :data:`EXAMPLES` cases per operation and generation mode, over one seeded
database per backend.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.generation import GenerationMode

from tests.web.conftest import Api

EXAMPLES = 6


def _fuzz(api: Api, operation: Any, mode: GenerationMode, headers: dict[str, str]) -> None:
    numbers = st.sampled_from(sorted(api.numbers.values()))
    checks = [not_a_server_error]
    if mode is GenerationMode.POSITIVE:
        checks.append(response_schema_conformance)

    @given(case=operation.as_strategy(generation_mode=mode), real=st.booleans(), number=numbers)
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def run(case: Any, real: bool, number: str) -> None:
        if real and "number" in (case.path_parameters or {}):
            case.path_parameters["number"] = number
        case.call_and_validate(headers=headers, checks=checks)

    try:
        run()
    except Unsatisfiable:
        # Nothing to get wrong: an operation without parameters (/healthz) has no
        # invalid requests to generate.
        assert mode is GenerationMode.NEGATIVE


@pytest.mark.slow
def test_no_request_gets_a_server_error(api: Api) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
    headers = {"Authorization": f"Bearer {api.tokens['admin.root']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(api, operation, mode, headers)
