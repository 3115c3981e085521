"""Schemathesis against the app's own OpenAPI schema (in process, over ASGI): generated requests,
valid and invalid, never get a 5xx, and answers match the documented status codes, content types
and response schemas.

Bounded: at most 30 derandomized examples per operation. Left out: starting an ingest (a heavy
background job) and the chat-offline switch (it would turn the chat's answers into intended 503s
for the rest of the run); both are covered in test_api.py."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import WITHHELD_FIXTURE, make_settings
from tests.helpers import ingest_into

ADMIN_KEY = "fuzz-admin-key-0123456789"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    from web.app import create_app

    data_dir = tmp_path_factory.mktemp("fuzz-index") / "data"
    app_settings = make_settings(data_dir, admin_api_key=ADMIN_KEY, allowed_origins="http://allowed.test:8123", rate_limit=0)
    report = ingest_into(app_settings, WITHHELD_FIXTURE)
    assert report.ok, report.summary()
    app = create_app(app_settings)
    # The ASGI transport sends no lifespan events: load the index here, as the lifespan would.
    assert app.state.runtime.try_load(), app.state.runtime.error
    return app


@pytest.fixture(scope="module")
def api_schema(fuzz_app):
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)


def _operations() -> list[tuple[str, str]]:
    """The operations to fuzz, read from the schema of an app with admin routes (building one
    loads no index). Listed at collection time so each operation is its own test."""
    import tempfile
    from pathlib import Path

    from web.app import create_app

    with tempfile.TemporaryDirectory() as folder:
        paths = create_app(make_settings(Path(folder) / "data", admin_api_key=ADMIN_KEY)).openapi()["paths"]
    operations = []
    for path, item in sorted(paths.items()):
        for method, operation in sorted(item.items()):
            if (method.upper(), path) in EXCLUDED:
                continue
            operations.append(pytest.param(method.upper(), path, GenerationMode.POSITIVE, id=f"{method.upper()} {path} valid"))
            if operation.get("parameters") or operation.get("requestBody"):  # else nothing can be made invalid
                operations.append(pytest.param(method.upper(), path, GenerationMode.NEGATIVE, id=f"{method.upper()} {path} invalid"))
    return operations


EXCLUDED = {("POST", "/api/admin/ingest"), ("POST", "/api/admin/chat-offline")}
# (schemathesis.pytest.from_fixture does not work with pytest 9: build the strategies directly.)


@pytest.mark.parametrize("method,path,mode", _operations())
def test_api_never_fails_on_generated_requests(api_schema, method, path, mode):
    operation = api_schema[path][method]
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"} if path.startswith("/api/admin") else None

    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=30,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()
