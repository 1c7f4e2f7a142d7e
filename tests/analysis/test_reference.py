"""Reference ranges and plain labels (kinewrite.analysis.reference)."""

import math

import pytest

from kinewrite.analysis.features import FEATURES
from kinewrite.analysis.reference import (
    IDEALS,
    PLAIN_GROUPS,
    REFERENCES,
    Reference,
    assess,
    ideal_for,
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
        # a band cites a study, never the project's private notes, and is listed in the docs
        assert ref.source.strip() and "SCIENCE" not in ref.source, ref.feature


def test_every_band_is_cited_in_docs_features():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "features.md").read_text("utf-8")
    section = doc.split("## Reference bands", 1)[1].split("## References", 1)[0]
    for ref in REFERENCES:
        row = next(line for line in section.splitlines() if line.startswith(f"| `{ref.feature}`"))
        assert ref.source in row and ", ".join(ref.tasks) in row, ref.feature


def test_numbers_are_those_of_science_md():
    # docs/science.md §4: fluent adults 4.5-5 Hz; automation > 80 %; NIV ideal 1, > 2 non-automated
    f = reference_for("stroke_frequency_hz", "sentence")
    assert (f.low, f.high, f.better) == (4.5, 5.0, "higher")
    assert reference_for("automation_pct", "sentence").low == 80.0
    niv = reference_for("niv_mean", "free")
    assert (niv.low, niv.high) == (1.0, 2.0)
    # minimum-jerk NJ 18.97 is a theoretical floor: said in words, no band on any task
    assert ideal_for("normalized_jerk_median").value == pytest.approx(18.97)
    assert ideal_for("nca_mean").value == 2.0
    for ideal in IDEALS:
        assert reference_for(ideal.feature) is None, ideal.feature
    assert "floor" in plain_caption("normalized_jerk_median")
    # Elble (spirals): log10(pp cm) = 0.6 rating - 1.27 -> rating 0 at 10**-1.27 cm
    pp = reference_for("tremor_amplitude_pp_mm", "spiral").high
    assert math.log10(pp / 10.0) == pytest.approx(-1.27, abs=0.005)
    assert reference_for("tremor_amplitude_pp_mm", "sentence") is None
    rms = reference_for("tremor_amplitude_rms_mm", "spiral").high
    assert pp / rms == pytest.approx(2 * math.sqrt(2), rel=0.01)
    # §3: spiral speed healthy ~ 41 mm/s, only for spirals
    assert reference_for("speed_mean_mm_s", task="spiral").low == 41.0
    assert reference_for("speed_mean_mm_s", task="sentence") is None
    # pen pressure: healthy < 1 N in writing, only in newtons (a calibrated stylus)
    n = reference_for("pressure_mean_N", "sentence")
    assert (n.low, n.high, n.unit, n.better) == (None, 1.0, "N", "lower")
    assert reference_for("pressure_mean_N", "circles") is None


def test_no_invented_numbers():
    # pressure as a fraction of the tablet range depends on the stylus -> no band
    for name in ("pressure_mean", "pressure_p90", "pressure_sd_N", "in_air_ratio",
                 "peak_vertical_velocity_cv", "tremor_frequency_hz", "duration_s"):
        assert reference_for(name) is None, name
    assert reference_for("no_such_feature") is None


def test_writing_rhythm_only_for_handwriting_not_paced_loops():
    # a 2.5 Hz loop train is drawn at the pace asked for: the 4.5-5 Hz band of fluent
    # handwriting does not apply, so it is not "outside" anything
    for name in ("stroke_frequency_hz", "automation_pct", "niv_mean"):
        assert reference_for(name, task="loops") is None, name
        assert assess(name, 2.5, "loops") is None, name
    assert reference_for("stroke_frequency_hz", task="spiral") is None
    assert reference_for("stroke_frequency_hz", task="sentence") is not None


def test_assess_directions():
    assert assess("stroke_frequency_hz", 4.6, "sentence") == "inside"
    assert assess("stroke_frequency_hz", 1.1, "sentence") == "worse"  # the documented WC case
    assert assess("stroke_frequency_hz", 6.0, "sentence") == "better"
    assert assess("tremor_amplitude_pp_mm", 2.0, "spiral") == "worse"
    assert assess("tremor_amplitude_pp_mm", 0.1, "spiral") == "inside"
    assert assess("niv_mean", 3.0, "sentence") == "worse"
    assert assess("pressure_mean_N", 1.8, "sentence") == "worse"
    assert assess("pressure_mean_N", 0.7, "sentence") == "inside"
    assert assess("pressure_mean", 0.5) is None
    assert assess("stroke_frequency_hz", float("nan")) is None


def test_range_text_has_units():
    assert reference_for("stroke_frequency_hz").range_text() == "4.5–5 Hz"
    assert reference_for("tremor_amplitude_pp_mm").range_text() == "< 0.537 mm"
    assert reference_for("automation_pct").range_text() == "80–100%"
    assert reference_for("pressure_mean_N").range_text() == "< 1 N"


def test_reference_validates():
    with pytest.raises(ValueError, match="low 2 > high 1"):
        Reference("x", "x", "x", 2, 1, "1", "lower", "a study", ("spiral",))
    with pytest.raises(ValueError, match="needs low or high"):
        Reference("x", "x", "x", None, None, "1", "lower", "a study", ("spiral",))
    with pytest.raises(ValueError, match="needs a source"):
        Reference("x", "x", "x", 1, 2, "1", "lower", "", ("spiral",))


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
