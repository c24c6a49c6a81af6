"""`make static`: a .gz beside every compressible file in static/, for nginx's gzip_static
(compressed once at build time, at the best level, instead of per request)."""

import gzip
import sys
from pathlib import Path

COMPRESSIBLE = {".css", ".js", ".svg", ".json", ".txt", ".xml", ".html"}


def compress(folder: Path) -> int:
    """Write or refresh file.gz for each compressible file; returns how many were written."""
    written = 0
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix not in COMPRESSIBLE:
            continue
        target = path.with_name(path.name + ".gz")
        if target.exists() and target.stat().st_mtime >= path.stat().st_mtime:
            continue
        target.write_bytes(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))
        written += 1
    return written


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "static")
    print(f"compressed {compress(root)} file(s) in {root}/")
