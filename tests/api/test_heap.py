"""The served process's garbage collector: startup objects frozen, young collections rarer.

Each check runs in a child interpreter, so that this test run's own collector is untouched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from maxwork_leads import heap

PROBE = """
import gc, json
from fastapi.testclient import TestClient
from maxwork_leads import app
frozen, young = gc.get_freeze_count(), gc.get_threshold()[0]
with TestClient(getattr(app, "{factory}")()) as client:
    client.get("/healthz")
    print(json.dumps([frozen, gc.get_freeze_count(), young, gc.get_threshold()[0]]))
"""


def _probe(factory: str, tmp_path: Path) -> list[int]:
    env = {**os.environ, "MAXWORK_DATABASE_URL": f"sqlite:///{tmp_path / 'heap.db'}"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(factory=factory)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_served_app_freezes_what_startup_built_and_collects_young_objects_less_often(
    tmp_path: Path,
) -> None:
    frozen_before, frozen_after, _, young_after = _probe("create_served_app", tmp_path)
    assert frozen_before == 0
    assert frozen_after > 10_000
    assert young_after == heap.YOUNG_THRESHOLD


def test_an_app_built_inside_another_program_leaves_its_collector_alone(tmp_path: Path) -> None:
    frozen_before, frozen_after, young_before, young_after = _probe("create_app", tmp_path)
    assert frozen_after == frozen_before == 0
    assert young_after == young_before != heap.YOUNG_THRESHOLD
