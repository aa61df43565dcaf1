"""Example values for the OpenAPI document, shared so that every schema tells the same story.

`example_of` assembles a model's example object from its fields' own examples and validates
it with the model, so an example that does not fit its schema fails at import time.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

LEAD_ID = "01a21c60-fa80-7982-bd66-ddfa33626d91"
AGENT_ID = "01a21c60-dca8-74ad-871e-ced1efb8d450"
CONTACT_ID = "01a21c61-1234-74e6-a7ad-60bae3466077"
QUALIFICATION_ID = "01a21c61-2468-70af-89b8-d4721d6228dc"
REQUEST_ID = "01a21c61-369c-7982-843c-2968172d01f3"
ENQUIRED_AT = "2026-11-27T09:30:00Z"
CHANGED_AT = "2026-11-27T09:40:47Z"
IDEMPOTENCY_KEY = "5f0c2c1e-8d7a-4c4b-9a63-1d2e3f4a5b6c"
TOKEN = "mxl_4715fi4CONgKXXKRpV1JnLY_MuWUJSfM0J5jxMFdONs"
FEED_CURSOR = "eyJzIjoxMDQyLCJpIjoiMDFhMjFjNjAtZmE4MC03OTgyLWJkNjYtZGRmYTMzNjI2ZDkxIiwidSI6bnVsbH0"


def example_of(model: type[BaseModel]) -> dict[str, Any]:
    """The model's example on the wire, built from the first example of each of its fields."""
    data = {
        field.alias or name: field.examples[0]
        for name, field in model.model_fields.items()
        if field.examples
    }
    return model.model_validate(data).model_dump(mode="json")
