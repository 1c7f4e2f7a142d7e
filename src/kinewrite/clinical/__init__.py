"""The clinical model: scales, treatment events and session metadata, with no storage and no Qt.

What the therapist's forms show and accept and what a session file stores about the patient's
state: :mod:`~kinewrite.clinical.scales` (ADDS, WCRS), :mod:`~kinewrite.clinical.events`
(botulinum toxin and other treatment events), :mod:`~kinewrite.clinical.metadata` (the
session fields), :mod:`~kinewrite.clinical.pseudonym` (the warning for name-like patient
codes). Storage imports this package (never the other way round); the sources of the scales
are cited in :mod:`kinewrite.clinical.scales`.
"""
