"""The published contract and the probes."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from maxwork_leads.app import create_app
from maxwork_leads.errors import AppError
from maxwork_leads.leads.enums import ENUMERATIONS
from maxwork_leads.settings import Settings


def test_openapi_documents_the_lead_body_and_every_error(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    operation = document["paths"]["/listingexport/leads"]["post"]
    assert set(operation["responses"]) >= {"200", "201", "400", "401", "403", "413", "415", "422"}
    body = document["components"]["schemas"]["LeadIn"]
    assert set(body["required"]) == {
        "Public_Reference",
        "Sender_Name",
        "Sender_Email",
        "Sender_Phone",
        "Message",
        "Lead_Status",
    }
    assert "1 = Buyer, 2 = Seller" in body["properties"]["LeadType_Id"]["description"]


def test_every_integrator_route_documents_how_to_send_the_credential(client: TestClient) -> None:
    """The credential is read from the request by hand; the document must still say how."""
    document = client.get("/openapi.json").json()
    for path, methods in document["paths"].items():
        if not path.startswith("/listingexport/"):
            continue
        for method, operation in methods.items():
            names = {(p["in"], p["name"]) for p in operation.get("parameters", [])}
            assert {("query", "token"), ("header", "user"), ("header", "authorization")} <= names
            assert (("header", "Idempotency-Key") in names) == (method == "post"), path


def test_readyz_is_503_when_the_database_is_unreachable() -> None:
    settings = Settings(database_url="postgresql://nobody@127.0.0.1:1/none")
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["Error"]["Code"] == "database_unavailable"


def test_unknown_paths_answer_in_the_error_shape(client: TestClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.json()["Error"]["Code"] == "not_found"


def test_the_docs_pages_load_their_assets_from_this_server(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        scripts = [part.split('"')[1] for part in html.split("src=")[1:]]
        assert scripts, page
        for url in scripts:
            assert url.startswith("/docs-assets/"), url
            assert client.get(url).status_code == 200
        assert "cdn" not in html.lower()
        assert "fonts.googleapis" not in html


def _served_document(tmp_path: Path) -> dict[str, Any]:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'docs.db'}"))
    with TestClient(app) as client:
        document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def _properties(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every property of every object schema inside `node`, however deeply nested.

    Nested schemas (`anyOf` options, array `items`, ...) are walked too; a `$ref` needs no
    following, since every component is walked. A property must carry its own description
    and examples: its type's docstring does not say what the field means.
    """
    if isinstance(node, dict):
        for name, prop in (node.get("properties") or {}).items():
            yield f"{where}.{name}", prop
            yield from _properties(prop, f"{where}.{name}")
        for key, value in node.items():
            if key not in ("properties", "examples", "default"):
                yield from _properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _properties(item, f"{where}[{index}]")


def _error_classes() -> list[type[AppError]]:
    found: list[type[AppError]] = []
    pending = list(AppError.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_every_field_parameter_and_response_is_documented(tmp_path: Path) -> None:
    document = _served_document(tmp_path)
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas
    undocumented = [
        where
        for name, schema in schemas.items()
        for where, prop in _properties(schema, name)
        if not prop.get("description")
    ]
    assert undocumented == []
    without_example = [
        where
        for name, schema in schemas.items()
        for where, prop in _properties(schema, name)
        if not prop.get("examples")
    ]
    assert without_example == []
    operations = [
        (f"{method.upper()} {path}", operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]
    assert operations
    for label, operation in operations:
        for parameter in operation.get("parameters", []):
            where = f"{label} {parameter['in']} {parameter['name']}"
            assert parameter.get("description"), where
            assert parameter["schema"].get("examples") or parameter.get("example"), where
        if operation.get("parameters"):
            answer = operation["responses"].get("422", {})
            assert answer.get("content"), f"{label} declares no 422"
            schema = answer["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorBody"}, label
        for status, response in operation["responses"].items():
            description = response.get("description", "")
            assert description, f"{label} {status}"
            assert description not in ("Successful Response", "Validation Error"), label


def test_every_error_code_is_documented_with_its_status(tmp_path: Path) -> None:
    importlib.import_module("maxwork_leads.integration.idempotency")
    importlib.import_module("maxwork_leads.integration.ratelimit")
    importlib.import_module("maxwork_leads.api.health")
    classes = _error_classes()
    codes = {cls.code for cls in classes}
    assert {"rate_limited", "idempotency_key_reused", "database_unavailable"} <= codes
    document = _served_document(tmp_path)
    code = document["components"]["schemas"]["ErrorDetail"]["properties"]["Code"]
    for cls in classes:
        assert f"`{cls.code}` ({cls.status})" in code["description"], cls.__name__
        assert f"| {cls.status} | `{cls.code}` |" in document["info"]["description"], cls.__name__
    for field, table in ENUMERATIONS.items():
        row = f"| `{field}` | " + ", ".join(f"{key} = {name}" for key, name in table.items())
        assert row in document["info"]["description"], field
