"""Tests of the bundled datasets: checksums, byte-identical regeneration, schema, sizes, docs."""

from __future__ import annotations

import hashlib
import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits

from mlcheckup import scenarios

DATASETS = Path(__file__).resolve().parents[1] / "datasets"
README = (DATASETS / "README.md").read_text()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sums() -> dict[str, str]:
    lines = (DATASETS / "SHA256SUMS").read_text().splitlines()
    return {name: digest for digest, name in (line.split("  ", 1) for line in lines if line.strip())}


def test_every_file_matches_its_checksum_and_the_readme_states_it():
    sums = _sums()
    assert "avocado.csv" in sums
    for name, digest in sums.items():
        data = (DATASETS / name).read_bytes()
        assert _sha256(data) == digest, f"datasets/{name} changed; regenerate it or update SHA256SUMS"
        assert digest in README, f"datasets/README.md does not state the SHA-256 of {name}"
        assert f"{len(data):,} bytes" in README, f"datasets/README.md does not state the size of {name}"


def _generator():
    spec = importlib.util.spec_from_file_location("generate_avocado", DATASETS / "generate_avocado.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_regeneration_is_byte_identical():
    generator = _generator()
    assert generator.avocado_csv_bytes() == (DATASETS / "avocado.csv").read_bytes()
    assert generator.main(["--check"]) == 0


def test_digits_are_the_documented_copy():
    digits = load_digits()
    assert digits.data.shape == (1797, 64) and digits.data.min() == 0 and digits.data.max() == 16
    assert _sha256(digits.data.astype("<f8").tobytes()) in README
    assert _sha256(digits.target.astype("<i8").tobytes()) in README
    reference = scenarios.digits_reference()
    assert reference.X.shape == (1078, 64) and np.bincount(reference.y).min() >= 104


def test_bundled_data_fits_the_budget():
    total = sum(path.stat().st_size for path in DATASETS.rglob("*") if path.is_file())
    assert total < 20 * 2**20, f"datasets/ holds {total / 2**20:.1f} MB; the budget is 20 MB"
    figures = sorted((DATASETS / "figures").glob("*.png"))
    assert {path.stem for path in figures} == set(scenarios.KINDS)
    assert sum(path.stat().st_size for path in figures) < 400_000
    for path in figures:
        assert f"(figures/{path.name})" in README, f"datasets/README.md does not show figures/{path.name}"


@pytest.fixture(scope="module")
def market():
    return scenarios.load_avocado()


def test_avocado_schema_is_as_documented(market):
    assert list(market.columns) == list(scenarios.AVOCADO_COLUMNS)
    for column in market.columns:
        assert f"`{column}`" in README, f"{column} is not documented in datasets/README.md"
    assert market.shape == (4176, 14)
    assert market["date"].dt.day_of_week.eq(6).all() and market["date"].nunique() == 261
    assert (market.groupby("date").size() == 16).all()
    assert set(market["type"]) == {"conventional", "organic"} and market["region"].nunique() == 8
    assert (market.groupby("region")["region_code"].nunique() == 1).all()
    parts = market[["plu4046", "plu4225", "plu4770", "bags"]].sum(axis=1)
    assert (market["total_volume"] == parts).all() and (parts > 0).all()
    assert market["average_price"].between(0.5, 3.0).all()
    assert set(market["promo"]) == {0, 1}


def test_azure_types_region_code_as_categorical_and_volume_as_numerical(market):
    reference, production = scenarios.split_avocado(market)
    assert len(reference) == 1664 and len(production) == 2512
    for column in ("region_code", "month", "year", "promo"):
        assert pd.api.types.is_integer_dtype(reference[column])
        assert reference[column].nunique(dropna=False) / len(reference) < 0.05, column
    for column in ("total_volume", "plu4046", "plu4225", "bags"):
        assert pd.api.types.is_integer_dtype(reference[column])
        assert reference[column].nunique(dropna=False) / len(reference) >= 0.05, column


def test_the_craze_is_where_the_readme_says(market):
    stated = re.search(r"demand surge from Sunday\s+(\d{4}-\d\d-\d\d) for (\d+) weeks", README)
    start, weeks = pd.Timestamp(stated.group(1)), int(stated.group(2))
    weekly = market.groupby("date").agg(price=("average_price", "mean"), volume=("total_volume", "sum"))
    before = weekly[(weekly.index >= start - pd.Timedelta(weeks=52)) & (weekly.index < start)]
    peak = weekly[(weekly.index >= start + pd.Timedelta(weeks=8)) & (weekly.index < start + pd.Timedelta(weeks=weeks - 8))]
    after = weekly[weekly.index >= start + pd.Timedelta(weeks=weeks)]
    assert peak["price"].mean() > 1.15 * before["price"].mean()
    assert peak["volume"].mean() > 1.2 * before["volume"].mean()
    assert after["price"].mean() == pytest.approx(before["price"].mean(), rel=0.05)


def _payments_generator():
    spec = importlib.util.spec_from_file_location("generate_payments", DATASETS / "generate_payments.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_payments_regenerate_byte_identical_and_match_the_readme():
    from mlcheckup.projects import PAYMENT_COLUMNS, load_payments

    generator = _payments_generator()
    assert generator.payments_csv_bytes() == (DATASETS / "payments.csv").read_bytes()
    assert generator.main(["--check"]) == 0
    data = (DATASETS / "payments.csv").read_bytes()
    assert _sums()["payments.csv"] == _sha256(data) and _sha256(data) in README
    assert f"{len(data):,} bytes" in README
    table = load_payments()
    assert list(table.columns) == list(PAYMENT_COLUMNS) and len(table) == 5000
    for column in table.columns:
        assert f"`{column}`" in README, f"{column} is not documented in datasets/README.md"
    assert 0.04 < table["fraud"].mean() < 0.09
    assert table["label_delay_hours"].between(24, 240).all() and table["hour"].between(0, 23).all()


def test_another_payments_seed_gives_other_payments():
    from mlcheckup.projects import generate_payments

    assert not generate_payments(1, rows=50).equals(generate_payments(2, rows=50))
    pd.testing.assert_frame_equal(generate_payments(1, rows=50), generate_payments(1, rows=50))
