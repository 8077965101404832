"""The importers, in the order formats are tried when detecting a file's format.

Each importer module provides:
- ``detect(head: bytes, filename: str) -> str | None``: the ``ImportFormat`` value when the first
  bytes of the file (up to 64 KiB) look like its format, else None;
- ``parse(path: Path, file_format: str, filename: str) -> Batch``: the records, with a problem for
  each record that cannot be used; raises ``FileRejected`` when the file cannot be read at all;
- optionally ``parse_chunks(path, file_format, filename) -> Iterator[Batch]``: the same records as
  batches of a few thousand children, read as they are stored, for files that can be large.
"""

from cases.importers import annex_a, cin_census, ssda903

IMPORTERS = [cin_census, ssda903, annex_a]
