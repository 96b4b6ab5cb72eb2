"""Hypothesis strategies shared by the fuzz suites: JSON/TOML-like values and mutations of a document.

The suites run derandomized (a fixed example sequence per test), so CI is repeatable; a crash found
by a wider local search is pinned as an explicit example or a strict xfail naming the owner.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)


@st.composite
def mutated(draw: st.DrawFn, document: Any, values: st.SearchStrategy[Any] = VALUES) -> Any:
    """`document` with one randomly chosen node below the root replaced by a random value, or deleted."""
    result = copy.deepcopy(document)
    parent, key, node = None, None, result
    while isinstance(node, dict | list) and node and (parent is None or draw(st.booleans())):
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        parent, key = node, draw(st.sampled_from(keys))
        node = node[key]
    if parent is None:
        return draw(values)
    if draw(st.booleans()):
        del parent[key]
    else:
        parent[key] = draw(values)
    return result
