"""What an online deployment costs: instance-hours times the hourly price of its VM size (SKU).

A managed online deployment bills every instance it runs, per hour and pro rata, from the
moment it is provisioned (warming up included) to the moment it is removed, whatever the
traffic. So its cost is ``instance-hours × price per hour`` of the SKU; nothing else here
(storage, Log Analytics ingestion, App Insights) is counted.

The prices are ILLUSTRATIVE: approximate pay-as-you-go list prices for Linux VMs in East US,
in US dollars per hour, as read on :data:`PRICE_DATE` from :data:`PRICE_SOURCE`. Prices change
and differ by region, currency, agreement and reservation; Azure Machine Learning adds no
surcharge on the VM price of a managed online endpoint (see the Azure ML pricing page). For a
real budget, use the Azure pricing calculator.

Direction: ``*_usd`` values are costs, lower is better.

Taught in lesson 03, §5.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .errors import ValidationError

__all__ = ["PRICES", "PRICE_DATE", "PRICE_SOURCE", "cost_usd", "instance_hours", "price_per_hour"]

#: When the prices below were read (they are illustrative, not a quote).
PRICE_DATE = "2026-12-01"
#: Where such prices are published (VM sizes billed by a managed online endpoint).
PRICE_SOURCE = ("https://azure.microsoft.com/pricing/details/machine-learning/ and "
                "https://azure.microsoft.com/pricing/details/virtual-machines/linux/ (East US, pay as you go)")
#: Illustrative USD per instance-hour of the VM sizes a managed online deployment can use.
PRICES = {
    "Standard_F2s_v2": 0.085,    # 2 vCPU, 4 GiB
    "Standard_F4s_v2": 0.169,    # 4 vCPU, 8 GiB
    "Standard_DS2_v2": 0.146,    # 2 vCPU, 7 GiB
    "Standard_DS3_v2": 0.293,    # 4 vCPU, 14 GiB (the Azure ML docs' usual example)
    "Standard_DS4_v2": 0.585,    # 8 vCPU, 28 GiB
    "Standard_E4s_v3": 0.252,    # 4 vCPU, 32 GiB
    "Standard_NC6s_v3": 3.06,    # 6 vCPU, 1 V100 GPU
}


def price_per_hour(sku: str) -> float:
    """The illustrative USD price of one instance-hour of ``sku`` (a key of :data:`PRICES`).

    Raises
    ------
    ValidationError
        If the SKU is not in the table.

    Examples
    --------
    >>> price_per_hour("Standard_DS3_v2")
    0.293
    """
    if sku not in PRICES:
        raise ValidationError(f"no price for the VM size {sku!r}; use one of {sorted(PRICES)} "
                              "(or add yours to cost.PRICES from the Azure pricing page)")
    return PRICES[sku]


def instance_hours(instances_per_minute: Iterable[float]) -> float:
    """Instance-hours of a per-minute instance count (each value is billed for one minute).

    Parameters
    ----------
    instances_per_minute : array-like of shape (n_minutes,)
        Instances provisioned during each minute (warming-up instances count: they are billed).

    Returns
    -------
    float
        The sum divided by 60; 0 is best.

    Examples
    --------
    >>> instance_hours([2] * 90)
    3.0
    """
    values = np.asarray(list(instances_per_minute), dtype=float)
    if values.size and (not np.all(np.isfinite(values)) or values.min() < 0):
        raise ValidationError("instances_per_minute must hold finite counts >= 0 "
                              f"(got a minimum of {np.nanmin(values)!r}); pass replay.minutes['instances']")
    return float(values.sum() / 60.0)


def cost_usd(instances_per_minute: Iterable[float], sku: str = "Standard_DS3_v2") -> float:
    """The illustrative cost in USD of running these instances of ``sku``, minute by minute.

    Examples
    --------
    >>> round(cost_usd([3] * 24 * 60, "Standard_DS3_v2"), 2)   # 3 instances for a day
    21.1
    """
    return instance_hours(instances_per_minute) * price_per_hour(sku)
