"""The synthetic people every benchmark request and bulk-loaded row is about.

A person is named by an index into a "phone space" of 70 million valid Portuguese numbers
(seven two-digit prefixes that `phonenumbers` accepts with any seven digits after them), so
that each request can be a distinct person and the bulk loader can pre-create exactly the
people a Lua script will later send. `bench/lua/common.lua` repeats these two formulas: keep
them in step.
"""

from __future__ import annotations

from dataclasses import dataclass

# Each is valid for every 7-digit suffix (checked with phonenumbers for region PT).
PREFIXES = ("21", "22", "30", "91", "92", "93", "96")
BLOCK = 10_000_000
SPACE = BLOCK * len(PREFIXES)
EMAIL_DOMAIN = "bench.example.com"


def phone(index: int) -> str:
    """The E.164 number of phone-space index `index` (also what the service stores as key)."""
    index %= SPACE
    return f"+351{PREFIXES[index // BLOCK]}{index % BLOCK:07d}"


def email(tag: str, index: int) -> str:
    """A bulk-loaded person's email; zero-padded so that index order is also key order."""
    return f"{tag}.{index:07d}@{EMAIL_DOMAIN}"


@dataclass
class PhoneSpace:
    """Hands out disjoint blocks of the phone space, so no two runs share a person."""

    next_index: int = 0

    def take(self, size: int) -> int:
        """The first index of a fresh block of `size` numbers (wraps once the space is used)."""
        start = self.next_index % SPACE
        self.next_index += size
        return start
