"""The HTTP layer: thin adapters from requests to the domain services."""
