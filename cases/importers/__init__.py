"""Importers for the statutory returns, one module per format, each a pipeline:
detect (does this file look like my format?) → parse (records, with a problem for each record that
cannot be used) → store (``cases.importers.store``: bulk upsert by identity, all or nothing)."""
