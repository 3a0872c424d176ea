"""Benchmarks of refusal_site, each run as a module: `.venv/bin/python -m bench.<name>`."""
