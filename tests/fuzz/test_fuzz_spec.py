"""Scenario specs: any TOML text or any mutation of a real spec gives a Spec or one UserError."""

from __future__ import annotations

import contextlib
import math
import tempfile
import tomllib
from pathlib import Path

import pytest
from fuzz_values import SCALARS, mutated
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lab.bus.text import UserError
from scenarios.spec import catalog_dir, load_spec, parse_spec

SPEC_PATH = sorted(catalog_dir().glob("*.toml"))[0]
SPEC = tomllib.loads(SPEC_PATH.read_text(encoding="utf-8"))
TOML_SCALARS = SCALARS.filter(lambda v: v is not None and not (isinstance(v, float) and math.isnan(v)))
TOML_VALUES = st.recursive(
    TOML_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(mutated(SPEC, TOML_VALUES))
def test_mutated_real_spec(data: object) -> None:
    try:
        spec = parse_spec(data, SPEC_PATH)  # type: ignore[arg-type]
    except UserError as exc:
        assert exc.text.zh and exc.text.en
        return
    assert spec.parameters and spec.id


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(max_size=300))
@example('id = "x"\nversion = 1')
@example("[parameters]\n[parameters.a]\nmin = 1e400")
def test_random_toml_text(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "spec.toml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        with contextlib.suppress(UserError):  # anything else fails the test
            load_spec(path)


def test_deeply_nested_toml() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "deep.toml"
        path.write_text("a = " + "[" * 50_000 + "]" * 50_000 + "\n", encoding="utf-8")
        with pytest.raises(UserError):
            load_spec(path)
