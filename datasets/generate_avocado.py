"""Regenerate datasets/avocado.csv, byte for byte, and its line in datasets/SHA256SUMS.

    .venv/bin/python datasets/generate_avocado.py           # rewrite avocado.csv and SHA256SUMS
    .venv/bin/python datasets/generate_avocado.py --check   # only compare; exit 1 if they differ

The market is synthetic: ``mlcheckup.scenarios.generate_avocado(seed=AVOCADO_SEED)`` with its
default avocado craze (see datasets/README.md for the model and the schema).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from mlcheckup.scenarios import AVOCADO_SEED, generate_avocado

HERE = Path(__file__).resolve().parent
CSV = HERE / "avocado.csv"
SUMS = HERE / "SHA256SUMS"


def avocado_csv_bytes() -> bytes:
    """The bundled CSV as bytes: ``generate_avocado`` written with fixed formats and ``\\n`` line ends."""
    table = generate_avocado(AVOCADO_SEED)
    text = table.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d", float_format="%.2f")
    return text.encode("utf-8")


def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def main(argv: list[str]) -> int:
    data = avocado_csv_bytes()
    line = f"{sha256(data)}  {CSV.name}\n"
    if "--check" in argv:
        same = CSV.read_bytes() == data and SUMS.read_text() == line
        print(f"{CSV.name}: {'identical' if same else 'DIFFERENT'} ({len(data)} bytes, sha256 {sha256(data)})")
        return 0 if same else 1
    CSV.write_bytes(data)
    SUMS.write_text(line)
    print(f"wrote {CSV.name} ({len(data)} bytes, sha256 {sha256(data)}) and {SUMS.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
