"""Reference ranges and plain labels (kinewrite.analysis.reference)."""

import math

import pytest

from kinewrite.analysis.features import FEATURES
from kinewrite.analysis.reference import (
    PLAIN_GROUPS,
    REFERENCES,
    Reference,
    assess,
    plain_caption,
    plain_label,
    reference_for,
)

REGISTRY = {f.name: f for f in FEATURES}


def test_every_reference_names_a_registered_feature_in_its_unit():
    for ref in REFERENCES:
        assert ref.feature in REGISTRY, ref.feature
        assert ref.unit == REGISTRY[ref.feature].unit, ref.feature
        assert set(ref.tasks) <= set(REGISTRY[ref.feature].tasks), ref.feature
        assert ref.source.startswith("SCIENCE.md §"), ref.feature


def test_numbers_are_those_of_science_md():
    # SCIENCE.md §4: fluent adults 4.5-5 Hz; automation > 80 %; NIV ideal 1, > 2 non-automated
    f = reference_for("stroke_frequency_hz")
    assert (f.low, f.high, f.better) == (4.5, 5.0, "higher")
    assert reference_for("automation_pct").low == 80.0
    assert (reference_for("niv_mean").low, reference_for("niv_mean").high) == (1.0, 2.0)
    # §4: minimum-jerk NJ 18.97
    assert reference_for("normalized_jerk_median").is_point
    assert reference_for("normalized_jerk_median").low == pytest.approx(18.97)
    # §5 Elble: log10(pp cm) = 0.6 rating - 1.27 -> rating 0 at 10**-1.27 cm
    pp = reference_for("tremor_amplitude_pp_mm").high
    assert math.log10(pp / 10.0) == pytest.approx(-1.27, abs=0.005)
    rms = reference_for("tremor_amplitude_rms_mm").high
    assert pp / rms == pytest.approx(2 * math.sqrt(2), rel=0.01)
    # §3: spiral speed healthy ~ 41 mm/s, only for spirals
    assert reference_for("speed_mean_mm_s", task="spiral").low == 41.0
    assert reference_for("speed_mean_mm_s", task="sentence") is None


def test_no_invented_numbers():
    # pressure: SCIENCE gives newtons, the registry stores fractions -> no band
    for name in ("pressure_mean", "in_air_ratio", "peak_vertical_velocity_cv",
                 "tremor_frequency_hz", "duration_s"):
        assert reference_for(name) is None, name
    assert reference_for("no_such_feature") is None


def test_writing_rhythm_only_for_writing_tasks():
    assert reference_for("stroke_frequency_hz", task="loops") is not None
    assert reference_for("stroke_frequency_hz", task="spiral") is None


def test_assess_directions():
    assert assess("stroke_frequency_hz", 4.6) == "inside"
    assert assess("stroke_frequency_hz", 1.1) == "worse"  # the documented WC case
    assert assess("stroke_frequency_hz", 6.0) == "better"
    assert assess("tremor_amplitude_pp_mm", 2.0) == "worse"
    assert assess("tremor_amplitude_pp_mm", 0.1) == "inside"
    assert assess("niv_mean", 3.0) == "worse"
    assert assess("pressure_mean", 0.5) is None
    assert assess("stroke_frequency_hz", float("nan")) is None


def test_range_text_has_units():
    assert reference_for("stroke_frequency_hz").range_text() == "4.5–5 Hz"
    assert reference_for("tremor_amplitude_pp_mm").range_text() == "< 0.537 mm"
    assert reference_for("automation_pct").range_text() == "80–100%"


def test_reference_validates():
    with pytest.raises(ValueError, match="low 2 > high 1"):
        Reference("x", "x", "x", 2, 1, "1", "lower", "SCIENCE.md §0")
    with pytest.raises(ValueError, match="needs low or high"):
        Reference("x", "x", "x", None, None, "1", "lower", "SCIENCE.md §0")


def test_plain_groups_and_labels():
    for label in ("writing rhythm", "smoothness", "pen pressure", "tremor", "writing speed"):
        assert label in PLAIN_GROUPS
    for names in PLAIN_GROUPS.values():
        for name in names:
            assert name in REGISTRY, name
            assert plain_label(name) != name, name  # every grouped feature has a plain label
            assert plain_caption(name)
    assert plain_label("stroke_frequency_hz") == "writing rhythm"
    assert plain_label("gap_count") == "gap_count"
    assert plain_caption("gap_count") == REGISTRY["gap_count"].definition
