"""The test suite; tests/<package>/ mirrors the code (see ARCHITECTURE.md)."""
