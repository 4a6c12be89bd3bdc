"""Benchmarks of thibaud-admin and the projects it generates, against their peers.

Run with ``nox -s bench`` (it installs the peers); not a test suite: nothing here
fails on a timing. ``python -m bench`` prints the table and writes RESULTS.md.
"""
