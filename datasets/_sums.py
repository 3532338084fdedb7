"""The one checksum file of datasets/: ``SHA256SUMS``, one ``<sha256>  <name>`` line per bundled file.

Each generator owns its own line and leaves the others as they are, so
``cd datasets && sha256sum -c SHA256SUMS`` checks every bundled file at once.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

SUMS = Path(__file__).resolve().parent / "SHA256SUMS"


def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def _lines() -> dict[str, str]:
    if not SUMS.is_file():
        return {}
    pairs = (line.split("  ", 1) for line in SUMS.read_text().splitlines() if line.strip())
    return {name: digest for digest, name in pairs}


def recorded(name: str) -> str | None:
    """The digest SHA256SUMS records for ``name``, or None."""
    return _lines().get(name)


def record(name: str, data: bytes) -> None:
    """Write ``name``'s digest into SHA256SUMS, keeping every other file's line (sorted by name)."""
    lines = _lines() | {name: sha256(data)}
    SUMS.write_text("".join(f"{digest}  {file}\n" for file, digest in sorted(lines.items())))


def check(path: Path, data: bytes) -> int:
    """Compare ``path`` and its SHA256SUMS line with ``data``; print one line; 0 if both match, else 1."""
    same = path.is_file() and path.read_bytes() == data and recorded(path.name) == sha256(data)
    print(f"{path.name}: {'identical' if same else 'DIFFERENT'} ({len(data)} bytes, sha256 {sha256(data)})")
    return 0 if same else 1


def write(path: Path, data: bytes) -> int:
    """Write ``data`` to ``path`` and its line to SHA256SUMS; print one line; 0."""
    path.write_bytes(data)
    record(path.name, data)
    print(f"wrote {path.name} ({len(data)} bytes, sha256 {sha256(data)}) and its line in {SUMS.name}")
    return 0
