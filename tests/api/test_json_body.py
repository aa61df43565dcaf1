"""The body parser's quick duplicate-key check agrees with the full one on any JSON text."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from maxwork_leads.api.deps import BodyRefused, parse_json

KEYS = st.sampled_from(["a", "b", 'q":', "x y", "", "é"])
SPACE = st.sampled_from(["", " ", "\n", "\t ", "\r\n"])
SCALARS = st.one_of(
    st.integers(-5, 5).map(str),
    st.sampled_from(['":', '" :', '"a":1', "x"]).map(json.dumps),
    st.just("null"),
)


@st.composite
def documents(draw: st.DrawFn, depth: int = 3) -> str:
    """JSON text whose objects may repeat a key, with any whitespace around the colons."""
    if depth == 0 or draw(st.booleans()):
        return draw(SCALARS)
    if draw(st.booleans()):
        items = draw(st.lists(documents(depth - 1), max_size=3))
        return "[" + ",".join(items) + "]"
    pairs = draw(st.lists(st.tuples(KEYS, SPACE, SPACE, documents(depth - 1)), max_size=4))
    members = [f"{json.dumps(key)}{before}:{after}{value}" for key, before, after, value in pairs]
    return "{" + ",".join(members) + "}"


def _full_check(text: str) -> bool:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in items]
        if len(keys) != len(set(keys)):
            raise ValueError("duplicate")
        return dict(items)

    try:
        json.loads(text, object_pairs_hook=pairs)
    except ValueError:
        return False
    return True


@given(documents())
def test_a_body_is_refused_exactly_when_an_object_repeats_a_key(text: str) -> None:
    try:
        parse_json(text.encode(), None)
        accepted = True
    except BodyRefused:
        accepted = False
    assert accepted == _full_check(text)
