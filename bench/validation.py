"""What validating one lead costs in-process, and what the email domain's cached verdict saves.

No server and no database: `parse_lead` (the `LeadIn` model, email-validator and
phonenumbers included) over lead bodies of distinct people, as scenario (a) sends them.
Rounds alternate between the service as it is and the same code with every domain's
verdict left uncached (`normalize._good_domain` answering "not known"), so both meet the
same machine drift; the medians and their ratio are printed.

    .venv/bin/python -m bench.validation [--rounds 10] [--leads 3000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench import people
from maxwork_leads.leads import normalize
from maxwork_leads.leads.parsing import parse_lead


def lead_body(index: int) -> dict[str, Any]:
    return {
        "Public_Reference": "BENCH-0001",
        "Lead_Status": "New",
        "Sender_Name": f"Person {index}",
        "Sender_Email": people.email("validation", index),
        "Sender_Phone": people.phone(index),
        "Message": "Hello, I would like to visit this apartment.",
    }


def per_lead_us(bodies: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    for body in bodies:
        parse_lead(body, "PT")
    return (time.perf_counter() - started) / len(bodies) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--leads", type=int, default=3000, help="distinct leads per round")
    options = parser.parse_args()

    cached = normalize._good_domain  # the switch this benchmark is about

    def uncached(domain: str) -> str | None:
        return None

    variants: dict[str, Callable[[str], str | None]] = {"cached": cached, "uncached": uncached}
    results: dict[str, list[float]] = {name: [] for name in variants}
    index = 0
    per_lead_us([lead_body(i) for i in range(-500, 0)])  # warm-up: imports, caches
    for round_number in range(options.rounds):
        order = list(variants) if round_number % 2 == 0 else list(reversed(variants))
        for name in order:
            bodies = [lead_body(index + i) for i in range(options.leads)]
            index += options.leads
            normalize._good_domain = variants[name]  # type: ignore[assignment]
            try:
                results[name].append(per_lead_us(bodies))
            finally:
                normalize._good_domain = cached
    for name, values in results.items():
        print(
            f"{name:9} {statistics.median(values):7.1f} us/lead (median of {len(values)}; "
            f"rounds: {', '.join(f'{v:.1f}' for v in values)})"
        )
    ratio = statistics.median(results["cached"]) / statistics.median(results["uncached"])
    print(f"cached / uncached: {ratio:.1%}")


if __name__ == "__main__":
    main()
