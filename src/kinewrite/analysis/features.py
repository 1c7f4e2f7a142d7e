"""The feature registry and :func:`extract_features`.

Every feature is declared once in :data:`FEATURES` (:mod:`kinewrite.analysis.registry`)
with its name (unit-suffixed), unit, the tasks it applies to, a one-line definition, its
reference and the family computing it (:mod:`kinewrite.analysis.families`). The docs table
(``docs/features.md``), the export headers, the families run and the order of
:func:`extract_features`'s result all come from this one list. A feature that does not
apply to a trial is NaN, never 0.
"""

from __future__ import annotations

import numpy as np

from ..model import TASKS, Recording
from .families import FamilyInputs
from .pipeline import prepare
from .reference_bands import bands_markdown
from .registry import (
    ALL,
    FEATURES,
    REFERENCES,
    Feature,
    families_for,
    feature_names,
    validate_registry,
)

__all__ = ["ANALYSIS_VERSION", "FEATURES", "REFERENCES", "Feature", "extract_features",
           "feature_names", "features_markdown"]

#: Bumped whenever a definition or a default changes the numbers; cached features computed by
#: another version are recomputed.
ANALYSIS_VERSION = "2"

validate_registry()  # every listed feature has a computing family, and vice versa


def extract_features(
    recording: Recording,
    task: str = "free",
    *,
    rate_hz: float = 200.0,
    lowpass_hz: float = 12.0,
    nominal_rate_hz: float | None = None,
    guide_xy_mm: np.ndarray | None = None,
) -> dict[str, float]:
    """Every registered feature of one trial.

    Parameters
    ----------
    recording : Recording
    task : {"spiral", "loops", "sentence", "circles", "lines", "free"}
        The writing task; features depend on it (baseline rotation for writing tasks,
        stroke-rhythm exclusion in the tremor search, spiral indices).
    rate_hz : float, default 200
        Resampling rate of the kinematic branch.
    lowpass_hz : float, default 12
        Low-pass cut-off before differentiating.
    nominal_rate_hz : float, optional
        The device's nominal rate (for the gap threshold only).
    guide_xy_mm : ndarray, shape (m, 2), optional
        The guide shown while drawing a spiral, polyline vertices in the recording's mm
        frame (:func:`kinewrite.storage.calibration.trial_guide_mm`); without it the
        ``spiral_guide_*`` features are NaN.

    Returns
    -------
    dict of str to float
        One value per registered feature applying to `task`, in registry order; NaN where a
        feature does not apply to this trial (no pen lift, no pressure, too short...).

    Raises
    ------
    RecordingError
        If the pen never touches the surface.
    ValueError
        If `task` is unknown.

    Examples
    --------
    >>> from kinewrite.simulate import simulate_trial
    >>> trial = simulate_trial("loops", seconds=10, loop_hz=2.5, seed=1)
    >>> f = extract_features(trial.recording, task="loops")
    >>> round(f["stroke_frequency_hz"], 1)
    2.5
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    with np.errstate(all="ignore"):
        p = prepare(recording, task, rate_hz, lowpass_hz, nominal_rate_hz)
        inputs = FamilyInputs(p, guide_xy_mm)
        out: dict[str, float] = {}
        for _, compute in families_for(task):  # registry order
            out.update(compute(inputs))
    # a ratio or moment that overflows (degenerate input) has no meaning: NaN, never inf
    return {name: _finite_or_nan(out[name]) for name in feature_names(task)}


def _finite_or_nan(value: float) -> float:
    v = float(value)
    return v if np.isfinite(v) else NAN


NAN = float("nan")


def features_markdown() -> str:
    """The feature table of ``docs/features.md``, generated from the registry."""
    lines = [
        "# Features",
        "",
        "Generated from the registry `kinewrite.analysis.features.FEATURES` by "
        "`kinewrite features > docs/features.md`; a test keeps it current.",
        f"Analysis version {ANALYSIS_VERSION}. A feature that does not apply to a trial is NaN.",
        "Pressure is a fraction 0..1 of the device range (unit `1`); the `_N` features are "
        "the same pen-down force in newtons through the session's stylus profile, NaN when "
        "the stylus was not calibrated.",
        "",
        "| feature | unit | tasks | definition | reference |",
        "|---|---|---|---|---|",
    ]
    for f in FEATURES:
        tasks = "all" if f.tasks == ALL else ", ".join(f.tasks)
        lines.append(f"| `{f.name}` | {f.unit} | {tasks} | {f.definition} | {f.reference} |")
    lines += ["", bands_markdown().rstrip("\n"), "",
              "How much a measure varies between repeated trials of one visit, and which "
              "change between visits is beyond that noise: docs/measurement-error.md.",
              "", "## References", ""]
    for key in sorted({f.reference for f in FEATURES}):
        lines.append(f"- **{key}**: {REFERENCES[key]}")
    return "\n".join(lines) + "\n"
