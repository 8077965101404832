"""The benchmark harness of issue 8: ``make bench`` (``python -m bench``).

It builds a made-up estate on its own PostgreSQL database (``estate``), imports it through the
platform's importer, and measures the import, the aggregation against a hand-written SQL lower
bound (``reference``), the incremental jobs, the pages, the PDF report and a short load test
(``pages``, ``load``), then writes the results as JSON and as the table of ``docs/benchmarks.md``
(``results``). Nothing here is imported by the platform.
"""
