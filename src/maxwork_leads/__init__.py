"""Lead-ingestion API for real-estate CRMs (Maxwork Public API wire format)."""

__version__ = "0.1.0"
