"""Benchmarks of automl; every script runs from the repo root as ``python -m benchmarks.<name>``.

See ``benchmarks/README.md`` for what each one measures; ``benchmarks.common`` holds what they
share.
"""
