"""Benchmarks for the registrar: ``python -m bench <name>``.

A benchmark prints a table beside a baseline measured in the same run on the same database;
it never asserts timings (it is not a test).
"""
