"""Regenerate datasets/payments.csv, byte for byte, and its line in datasets/SHA256SUMS.

    .venv/bin/python datasets/generate_payments.py           # rewrite payments.csv and its SHA256SUMS line
    .venv/bin/python datasets/generate_payments.py --check   # only compare; exit 1 if they differ

The payments are synthetic: ``mlcheckup.projects.generate_payments(seed=PAYMENTS_SEED)`` (see
datasets/README.md for the model and the schema).
"""

from __future__ import annotations

import sys
from pathlib import Path

from mlcheckup.projects import PAYMENTS_SEED, generate_payments

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the checksum helper beside this script
import _sums  # noqa: E402

CSV = HERE / "payments.csv"


def payments_csv_bytes() -> bytes:
    """The bundled CSV as bytes: fixed formats and ``\\n`` line ends."""
    table = generate_payments(PAYMENTS_SEED)
    text = table.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%dT%H:%M:%S", float_format="%.2f")
    return text.encode("utf-8")



def main(argv: list[str]) -> int:
    data = payments_csv_bytes()
    return _sums.check(CSV, data) if "--check" in argv else _sums.write(CSV, data)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
