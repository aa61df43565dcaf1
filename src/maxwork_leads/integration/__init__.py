"""Around the endpoint: request history, idempotency keys and rate limits."""
