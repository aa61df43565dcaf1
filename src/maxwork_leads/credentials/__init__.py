"""Integrator credentials: issuing, rotating, revoking and checking tokens."""
