"""Agencies, users and listings: who and what leads are about."""
