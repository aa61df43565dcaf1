"""The published contract and the probes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from maxwork_leads.app import create_app
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
