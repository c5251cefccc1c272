"""Shared test helpers (importable as ``support.*`` from any test: tests/ is on sys.path)."""
