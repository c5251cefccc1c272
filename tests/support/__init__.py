"""Shared test helpers, importable as ``support.*`` from any test (pyproject puts tests/ on the path)."""
