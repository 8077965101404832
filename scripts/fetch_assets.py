"""Fetch the front-end files the pages use (Bootstrap 5) from the npm registry into static/vendor/.

The tarball is checked against its published sha512 before anything is unpacked; the files are
not kept in the repository. Run by `make install`; does nothing when the files are already there.
"""

import base64
import hashlib
import io
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
            "package/dist/js/bootstrap.bundle.min.js": "js/bootstrap.bundle.min.js",
            "package/LICENSE": "LICENSE",
        },
    },
]

VENDOR = Path(__file__).resolve().parent.parent / "static" / "vendor"


def fetch(asset: dict) -> None:
    target = VENDOR / asset["name"]
    if all((target / name).exists() for name in asset["files"].values()):
        return
    with urllib.request.urlopen(asset["url"], timeout=60) as response:
        data = response.read()
    digest = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != asset["sha512"]:
        sys.exit(f"{asset['url']}: checksum mismatch, refusing to unpack.")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member, name in asset["files"].items():
            source = archive.extractfile(member)
            if source is None:
                sys.exit(f"{asset['url']}: {member} is missing from the package.")
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(source.read())
    print(f"fetched {asset['name']} into {target}")


if __name__ == "__main__":
    for item in ASSETS:
        fetch(item)
