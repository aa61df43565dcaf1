"""The lead lifecycle: validation, routing, matching, status rules and storage."""
