"""Reporting: the results table, leaderboards, plots, Markdown and HTML pages, statistics, and
verdicts against published numbers.

``headline`` names each task kind's headline metric once; every other module reads it from there.
``dist-ombo report`` reads results and never rewrites a sweep's ``results.parquet``.
"""
