"""A person's rights over their data: export everything we hold, or erase it."""
