# benchmarks/__init__.py: marks benchmarks/ as a package so run.py can import its siblings.
"""Reproducible performance scripts; the entry point is ``python benchmarks/run.py``."""
