"""Fetch the front-end files the pages use (Bootstrap 5) from the npm registry into static/vendor/.

The tarball is checked against its published sha512 before anything is unpacked; the files are
not kept in the repository. Run by `make install`, the Dockerfile and scripts/test_production.sh;
does nothing when the files are already there.

Each minified file is kept byte for byte as published, with the source map it names
(``sourceMappingURL``) taken from the same verified tarball: with ``DEBUG`` off, collectstatic's
manifest storage rewrites that reference to the map's hashed name and fails when the map is not
there. A fetched file that names a map not listed here is refused, so a version bump that adds one
fails now rather than at collectstatic.
"""

import base64
import hashlib
import io
import re
import sys
import tarfile
import urllib.request
from pathlib import Path

ASSETS = [
    {
        "name": "bootstrap",
        "url": "https://registry.npmjs.org/bootstrap/-/bootstrap-5.3.8.tgz",
        "sha512": "HP1SZDqaLDPwsNiqRqi5NcP0SSXciX2s9E+RyqJIIqGo+vJeN5AJVM98CXmW/Wux0nQ5L7jeWUdplCEf0Ee+tg==",
        "files": {
            "package/dist/css/bootstrap.min.css": "css/bootstrap.min.css",
            "package/dist/css/bootstrap.min.css.map": "css/bootstrap.min.css.map",
            "package/dist/js/bootstrap.bundle.min.js": "js/bootstrap.bundle.min.js",
            "package/dist/js/bootstrap.bundle.min.js.map": "js/bootstrap.bundle.min.js.map",
            "package/LICENSE": "LICENSE",
        },
    },
]

VENDOR = Path(__file__).resolve().parent.parent / "static" / "vendor"
# The comment a minifier leaves at the end of a file, in CSS (/*# ... */) or JavaScript (//# ...).
SOURCE_MAP = re.compile(rb"[#@]\s*sourceMappingURL=([^\s*]+)")


def missing_maps(files: dict[str, bytes]) -> list[str]:
    """The source maps that the .css and .js files among ``files`` (name -> content) name but that are
    not themselves among ``files``; inline ``data:`` maps need no file."""
    missing = []
    for name, content in files.items():
        if not name.endswith((".css", ".js")):
            continue
        for match in SOURCE_MAP.finditer(content):
            reference = match.group(1).decode()
            if reference.startswith("data:"):
                continue
            wanted = str(Path(name).parent / reference)
            if wanted not in files:
                missing.append(f"{name} names {reference}")
    return missing


def fetch(asset: dict) -> None:
    target = VENDOR / asset["name"]
    if all((target / name).exists() for name in asset["files"].values()):
        return
    with urllib.request.urlopen(asset["url"], timeout=60) as response:
        data = response.read()
    digest = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != asset["sha512"]:
        sys.exit(f"{asset['url']}: checksum mismatch, refusing to unpack.")
    files = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member, name in asset["files"].items():
            try:
                source = archive.extractfile(member)
            except KeyError:
                source = None
            if source is None:
                sys.exit(f"{asset['url']}: {member} is missing from the package.")
            files[name] = source.read()
    if problems := missing_maps(files):
        sys.exit(f"{asset['url']}: add the source maps to ASSETS: {'; '.join(problems)}.")
    for name, content in files.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_bytes(content)
    print(f"fetched {asset['name']} into {target}")


if __name__ == "__main__":
    for item in ASSETS:
        fetch(item)
