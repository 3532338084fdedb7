"""cost: instance-hours times an illustrative, dated price per VM size."""

import pytest

from mlcheckup import cost
from mlcheckup.errors import ValidationError


def test_instance_hours_count_every_minute_billed():
    assert cost.instance_hours([2] * 90) == 3.0
    assert cost.instance_hours([]) == 0.0


def test_cost_is_hours_times_the_sku_price():
    assert cost.cost_usd([1] * 60, "Standard_DS3_v2") == pytest.approx(cost.PRICES["Standard_DS3_v2"])
    assert cost.cost_usd([4] * 30, "Standard_F2s_v2") == pytest.approx(2 * cost.PRICES["Standard_F2s_v2"])


def test_the_table_is_dated_and_cited():
    assert cost.PRICE_DATE[:4].isdigit() and "azure.microsoft.com/pricing" in cost.PRICE_SOURCE
    assert all(price > 0 for price in cost.PRICES.values())


def test_unknown_sku_and_negative_counts_are_refused_with_the_fix():
    with pytest.raises(ValidationError, match=r"Standard_XYZ.*use one of"):
        cost.price_per_hour("Standard_XYZ")
    with pytest.raises(ValidationError, match="finite counts >= 0"):
        cost.instance_hours([1, -1])
