"""The session file and the study folder: the one reader (:mod:`.reader`) and the one writer
(:mod:`.writer`) of the session format, whose names live in :mod:`.schema`; atomic changes
and repairs (:mod:`.recovery`), hostile-file checks (:mod:`.trust`), the study and its
signed index (:mod:`.study`, :mod:`.study_index`). Storage imports neither analysis nor Qt:
it stores what it is given (docs/architecture.md §3)."""
