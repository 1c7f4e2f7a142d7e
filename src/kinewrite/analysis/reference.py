"""Reference values of healthy writers and plain-language names of the features.

Two things the progress view, the review view and the report need beside a number:

- a **plain label** a patient understands ("writing rhythm", "tremor size", "pen pressure")
  with a one-sentence caption, the technical name (unit-suffixed registry name) staying one
  click away: :func:`plain_label`, :func:`plain_caption`, :data:`PLAIN_GROUPS`
  (:mod:`.plain_names`);
- a **reference range** drawn as a band, *only where a published source gives a number for
  that task* (:func:`reference_for`). A feature without one has no band: we never invent
  one. Every band names its source, and ``docs/features.md`` ("Reference bands") lists them
  all with the tasks they apply to (generated from :data:`REFERENCES`). The published
  numbers, their sources and the theoretical :data:`IDEALS` that are never drawn as bands
  are in :mod:`.reference_bands`.

This module says where a value lies against its band (:func:`assess`) and re-exports the
names of both (``from kinewrite.analysis.reference import plain_label, reference_for``).
"""

from __future__ import annotations

import math

from .plain_names import PLAIN_GROUPS, plain_caption, plain_label
from .reference_bands import (
    IDEALS,
    REFERENCES,
    Ideal,
    Reference,
    bands_markdown,
    ideal_for,
    reference_for,
)

__all__ = [
    "IDEALS",
    "PLAIN_GROUPS",
    "REFERENCES",
    "Ideal",
    "Reference",
    "assess",
    "bands_markdown",
    "ideal_for",
    "plain_caption",
    "plain_label",
    "reference_for",
]


def assess(name: str, value: float, task: str | None = None) -> str | None:
    """Where `value` lies against the reference of `name`.

    Returns
    -------
    {"inside", "better", "worse"} or None
        ``"inside"`` within the healthy range (for a single typical value: within 10 % of
        it), ``"better"``/``"worse"`` outside it in the improving/worsening direction,
        ``None`` without a reference or for a non-finite value.

    Examples
    --------
    >>> assess("stroke_frequency_hz", 1.1, "sentence")
    'worse'
    >>> assess("tremor_amplitude_pp_mm", 0.2, "spiral")
    'inside'
    """
    ref = reference_for(name, task)
    if ref is None or not math.isfinite(value):
        return None
    low, high = ref.low, ref.high
    if ref.is_point:
        assert low is not None
        tol = 0.1 * abs(low)
        low, high = low - tol, low + tol
    if (low is None or value >= low) and (high is None or value <= high):
        return "inside"
    above = high is not None and value > high
    if ref.better == "inside":
        return "worse"
    if ref.better == "higher":
        return "better" if above else "worse"
    return "worse" if above else "better"
