"""Pure array functions of the analysis core: no Qt, no files, no state."""
