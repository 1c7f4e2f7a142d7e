"""The feature registry is the one source of names, units, docs and export headers."""

import re
from pathlib import Path

import numpy as np
import pytest

from kinewrite import FEATURES, TASKS, extract_features, feature_names
from kinewrite.analysis.families import FamilyInputs
from kinewrite.analysis.features import REFERENCES, Feature, features_markdown
from kinewrite.analysis.pipeline import prepare
from kinewrite.analysis.registry import (
    RegistryError,
    families_for,
    family_feature_names,
    family_names,
    register_family,
    registered_families,
    validate_registry,
)
from kinewrite.simulate import simulate_trial

DOC = Path(__file__).resolve().parents[2] / "docs" / "features.md"

#: The names issue #2 requires, every one of them.
REQUIRED = """duration_s pen_down_time_s in_air_time_s on_surface_strokes pen_lifts path_length_mm
speed_mean_mm_s speed_cv acceleration_mean_mm_s2 jerk_mean_mm_s3 stroke_count
stroke_frequency_hz stroke_duration_median_s niv_mean automation_pct nca_mean
peak_vertical_velocity_cv normalized_jerk_median ldlj_median tremor_detected
tremor_frequency_hz tremor_amplitude_pp_mm tremor_axis_deg pressure_mean pressure_cv
pressure_p90 pressure_saturation_pct pressure_slope_per_s speed_drift_ratio
pressure_drift_ratio size_drift_ratio sample_rate_hz timestamp_jitter_ms gap_count""".split()
SPIRAL_ONLY = """spiral_tightness_mm_per_rad spiral_smoothness_1 spiral_smoothness_2
spiral_zero_crossing_rate spiral_loop_spacing_cv""".split()

UNIT_SUFFIX = {"s": "_s", "ms": "_ms", "mm": "_mm", "mm/s": "_mm_s", "mm/s²": "_mm_s2",
               "mm/s³": "_mm_s3", "Hz": "_hz", "deg": "_deg", "%": "_pct", "1/s": "_per_s",
               "mm/rad": "", "mm/rad²": "", "1/turn": "", "1": "", "N": "_N"}


def test_docs_are_generated_from_the_registry():
    assert DOC.read_text(encoding="utf-8") == features_markdown(), (
        "docs/features.md is stale: run kinewrite features > docs/features.md"
    )


def test_required_names_are_registered_with_their_tasks():
    names = feature_names()
    assert len(names) == len(set(names))
    for name in REQUIRED:
        assert name in feature_names("sentence"), name
    for name in SPIRAL_ONLY:
        assert name in feature_names("spiral")
        assert name not in feature_names("loops")


def test_every_name_carries_its_unit():
    for f in FEATURES:
        assert f.unit in UNIT_SUFFIX, f"{f.name}: unit {f.unit!r} not known"
        assert f.name.endswith(UNIT_SUFFIX[f.unit]), f"{f.name} lacks suffix for {f.unit}"
        assert f.definition and f.reference in REFERENCES
        assert re.fullmatch(r"[a-z0-9_]+(_N)?", f.name)


def test_extract_returns_exactly_the_registry_for_each_task():
    for task in TASKS:
        trial = simulate_trial(task, 4.0 if task != "spiral" else 8.0, seed=1)
        out = extract_features(trial.recording, task=task)
        assert list(out) == feature_names(task)
        assert all(isinstance(v, float) for v in out.values())
        assert all(np.isfinite(v) or np.isnan(v) for v in out.values())


def test_every_registered_feature_has_a_computing_family_and_vice_versa():
    validate_registry()  # the shipped registry is whole
    computers = registered_families()
    assert list(computers) == family_names()  # one function per family, registry order
    orphan_feature = Feature("orphan_s", "s", TASKS, "A feature nobody computes.", "SCIENCE",
                             "nowhere")
    with pytest.raises(RegistryError, match=r"'orphan_s'.*'nowhere'"):
        validate_registry((*FEATURES, orphan_feature))
    with pytest.raises(RegistryError, match="'stray'"):
        validate_registry(FEATURES, {**computers, "stray": computers["timing"]})
    missing = {k: v for k, v in computers.items() if k != "tremor"}
    with pytest.raises(RegistryError, match=r"'tremor_detected'.*'tremor'"):
        validate_registry(FEATURES, missing)
    with pytest.raises(RegistryError, match="registered twice"):
        register_family("timing")(lambda inputs: {})


def test_each_family_computes_exactly_its_listed_features():
    for task in TASKS:
        trial = simulate_trial(task, 4.0 if task != "spiral" else 8.0, seed=2)
        inputs = FamilyInputs(prepare(trial.recording, task))
        ran = []
        for family, compute in families_for(task):
            ran.append(family)
            assert set(compute(inputs)) == set(family_feature_names(family, task)), family
        assert ran == [f for f in family_names() if family_feature_names(f, task)]
        assert ("spiral" in ran) == (task == "spiral")
