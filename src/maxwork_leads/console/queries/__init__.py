"""The console's read models: paginated, index-backed queries, one module per section."""
