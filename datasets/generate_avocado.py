"""Regenerate datasets/avocado.csv, byte for byte, and its line in datasets/SHA256SUMS.

    .venv/bin/python datasets/generate_avocado.py           # rewrite avocado.csv and its SHA256SUMS line
    .venv/bin/python datasets/generate_avocado.py --check   # only compare; exit 1 if they differ

The market is synthetic: ``mlcheckup.scenarios.generate_avocado(seed=AVOCADO_SEED)`` with its
default avocado craze (see datasets/README.md for the model and the schema).
"""

from __future__ import annotations

import sys
from pathlib import Path

from mlcheckup.scenarios import AVOCADO_SEED, generate_avocado

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the checksum helper beside this script
import _sums  # noqa: E402

CSV = HERE / "avocado.csv"


def avocado_csv_bytes() -> bytes:
    """The bundled CSV as bytes: ``generate_avocado`` written with fixed formats and ``\\n`` line ends."""
    table = generate_avocado(AVOCADO_SEED)
    text = table.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d", float_format="%.2f")
    return text.encode("utf-8")



def main(argv: list[str]) -> int:
    data = avocado_csv_bytes()
    return _sums.check(CSV, data) if "--check" in argv else _sums.write(CSV, data)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
