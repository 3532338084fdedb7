"""Regenerate datasets/payments.csv, byte for byte, and its checksum file payments.csv.sha256.

    .venv/bin/python datasets/generate_payments.py           # rewrite payments.csv and payments.csv.sha256
    .venv/bin/python datasets/generate_payments.py --check   # only compare; exit 1 if they differ

The payments are synthetic: ``mlcheckup.projects.generate_payments(seed=PAYMENTS_SEED)`` (see
datasets/README.md for the model and the schema).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from mlcheckup.projects import PAYMENTS_SEED, generate_payments

HERE = Path(__file__).resolve().parent
CSV = HERE / "payments.csv"
SUMS = HERE / "payments.csv.sha256"   # SHA256SUMS is rewritten whole by generate_avocado.py


def payments_csv_bytes() -> bytes:
    """The bundled CSV as bytes: fixed formats and ``\\n`` line ends."""
    table = generate_payments(PAYMENTS_SEED)
    text = table.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%dT%H:%M:%S", float_format="%.2f")
    return text.encode("utf-8")


def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def main(argv: list[str]) -> int:
    data = payments_csv_bytes()
    line = f"{sha256(data)}  {CSV.name}\n"
    if "--check" in argv:
        same = CSV.is_file() and CSV.read_bytes() == data and SUMS.is_file() and SUMS.read_text() == line
        print(f"{CSV.name}: {'identical' if same else 'DIFFERENT'} ({len(data)} bytes, sha256 {sha256(data)})")
        return 0 if same else 1
    CSV.write_bytes(data)
    SUMS.write_text(line)
    print(f"wrote {CSV.name} ({len(data)} bytes, sha256 {sha256(data)}) and {SUMS.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
