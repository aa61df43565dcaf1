"""A ready `curl` command that sends a recorded request again, to reproduce what happened.

The token is never stored, so the command reads it from a shell variable; everything the
integrator sent is single-quoted, so no body can run anything in the operator's shell.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

REPLAY_PATH = "/listingexport/leads"
TOKEN_VARIABLE = "MAXWORK_TOKEN"


@dataclass(frozen=True)
class Replay:
    """What the command sends: the single-lead endpoint, headers in order, and the body."""

    url: str
    headers: tuple[tuple[str, str], ...]
    body: str


def replay_of(
    *,
    api_root: str,
    username: str | None,
    idempotency_key: str | None,
    body: str,
    batch_item: bool,
) -> Replay:
    """The request as the single endpoint takes it.

    A batch item goes alone to the single endpoint, without the batch's Idempotency-Key:
    that key belongs to the whole batch, and would answer 409 for one item's body.
    """
    headers: list[tuple[str, str]] = []
    if username is not None:
        headers.append(("user", username))
    headers.append(("Content-Type", "application/json"))
    if idempotency_key is not None and not batch_item:
        headers.append(("Idempotency-Key", idempotency_key))
    return Replay(url=api_root.rstrip("/") + REPLAY_PATH, headers=tuple(headers), body=body)


def curl_command(replay: Replay) -> str:
    """A shell command, one option per line; `$MAXWORK_TOKEN` is expanded by the shell."""
    url = shlex.quote(f"{replay.url}?token=") + f'"${TOKEN_VARIABLE}"'
    parts = [f"curl -sS -i -X POST {url}"]
    parts += [f"-H {shlex.quote(f'{name}: {value}')}" for name, value in replay.headers]
    parts.append(f"--data-binary {shlex.quote(replay.body)}")
    return " \\\n  ".join(parts)
