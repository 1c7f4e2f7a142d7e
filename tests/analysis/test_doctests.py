"""The public analysis functions carry numpydoc Examples, and plain ``pytest -q`` (the
README's test command) runs them as doctests."""

import doctest
import importlib
import inspect
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: The analysis modules whose every public function must show an example.
MODULES = ("kinematics", "strokes", "tremor", "spiral", "pressure", "force", "pipeline",
           "preprocess.sample_order", "preprocess.clock", "preprocess.segments",
           "preprocess.resample", "preprocess.filters", "preprocess.orientation",
           "review_signals", "registry", "families", "features", "stroke_table")


def test_pytest_collects_the_analysis_doctests():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    options = config["tool"]["pytest"]["ini_options"]
    assert "--doctest-modules" in options["addopts"].split()
    assert any(path in options["testpaths"] for path in ("src/kinewrite",
                                                          "src/kinewrite/analysis"))


def _public_functions():
    for name in MODULES:
        module = importlib.import_module(f"kinewrite.analysis.{name}")
        for attr in module.__all__:
            obj = getattr(module, attr)
            if inspect.isfunction(obj) and obj.__module__ == module.__name__:
                yield pytest.param(obj, id=f"{name}.{attr}")


@pytest.mark.parametrize("func", list(_public_functions()))
def test_public_function_has_a_runnable_example(func):
    if func.__name__ == "features_markdown":  # its example is docs/features.md itself
        pytest.skip("checked against docs/features.md in tests/analysis/test_registry.py")
    doc = inspect.getdoc(func) or ""
    assert "Examples\n--------" in doc, f"{func.__qualname__} has no Examples section"
    examples = doctest.DocTestParser().get_examples(doc)
    assert examples, f"{func.__qualname__}: Examples hold no doctest"
