"""A synthetic weekly avocado market, with a documented "avocado craze".

Eight US regions × two types (conventional, organic), one row per region, type and week. The
numbers are invented but shaped like the Hass Avocado Board's retail scan data: supply peaks in
late April and is lowest in late October; prices move against supply (``price ∝ supply^-0.5``);
the Super Bowl and Cinco de Mayo weeks sell more at the same price; promotions lower the price
by 8 % and lift volume by 10 %. There is no long-term trend, so every change in the data after
the reference years is a documented incident:

* :class:`AvocadoCraze`: a demand surge ramps in, raises volumes and prices, makes promotions
  rare and turns the price–supply slope from −0.5 to +0.3 (concept shift: the same volume now
  means a higher price);
* :class:`SupplyShock`: a bumper harvest floods some regions with avocados; prices fall along
  the usual curve (covariate shift: the price model keeps working).

Taught in lesson 04 (tabular drift); the bundled
``datasets/avocado.csv`` is ``generate_avocado()`` with its defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import _validate
from ..errors import ValidationError
from ._scenario import Incident, child_rng

#: (region, region_code, conventional avocados sold per week, organic share, price offset in USD)
REGIONS = (
    ("California", 1, 6_200_000, 0.045, 0.08),
    ("West", 2, 6_600_000, 0.040, -0.02),
    ("Plains", 3, 1_900_000, 0.030, 0.06),
    ("SouthCentral", 4, 5_800_000, 0.025, -0.22),
    ("Southeast", 5, 3_900_000, 0.030, 0.02),
    ("GreatLakes", 6, 3_600_000, 0.035, 0.00),
    ("Midsouth", 7, 2_900_000, 0.035, 0.05),
    ("Northeast", 8, 4_600_000, 0.045, 0.22),
)
TYPES = ("conventional", "organic")
BASE_PRICE = {"conventional": 1.12, "organic": 1.62}
ORIGINS = ("Mexico", "California", "Peru", "Chile")
#: Share of volume by size (PLU 4046 small, 4225 large, 4770 extra large) and sold in bags.
SIZE_MIX = {"conventional": (0.34, 0.38, 0.025, 0.255), "organic": (0.22, 0.40, 0.010, 0.370)}
#: log-price change per unit of log-supply change before any craze.
PRICE_SLOPE = -0.5
PROMO_RATE = 0.25

#: Seed of the bundled ``datasets/avocado.csv``.
AVOCADO_SEED = 2015
MARKET_START = pd.Timestamp("2015-01-04")
MARKET_WEEKS = 261
#: First week of production: 2015-2016 are the reference (training) years.
PRODUCTION_START = pd.Timestamp("2017-01-01")
#: Columns of the market table, in order.
AVOCADO_COLUMNS = (
    "date", "year", "month", "region", "region_code", "type", "origin", "promo",
    "average_price", "total_volume", "plu4046", "plu4225", "plu4770", "bags",
)
#: Inputs of the price model (see :func:`avocado_price_model`) and its target.
AVOCADO_FEATURES = ("region", "type", "promo", "total_volume")
AVOCADO_TARGET = "average_price"
_VOLUME_COLUMNS = "total_volume, plu4046, plu4225, plu4770, bags"


def as_sunday(value) -> pd.Timestamp:
    """``value`` as a Timestamp, which must be a Sunday (market weeks start on Sundays)."""
    stamp = pd.Timestamp(value)
    if stamp.day_of_week != 6:
        raise ValidationError(
            f"avocado weeks start on Sundays, got {stamp:%Y-%m-%d} (a {stamp:%A}); "
            f"pass a Sunday such as {stamp + pd.offsets.Week(weekday=6):%Y-%m-%d}"
        )
    return stamp


@dataclass(frozen=True)
class AvocadoCraze:
    """A demand surge: more avocados sold at higher prices, and a new price–volume relation.

    Parameters
    ----------
    start : date-like
        The Sunday the craze begins to ramp in.
    weeks : int
        How long it lasts, ramps included.
    ramp_weeks : int
        Weeks to ramp in to full strength (and, at the end, out again).
    volume_boost : float
        Volume multiplier at full strength.
    price_boost : float
        Price multiplier at full strength.
    slope : float
        log-price change per unit of log-supply change at full strength (−0.5 before).
    promo_rate : float
        Share of weeks with a promotion at full strength (0.25 before).

    Examples
    --------
    >>> craze = AvocadoCraze(start="2018-04-01", weeks=20, ramp_weeks=4)
    >>> craze.intensity(pd.date_range("2018-03-25", periods=4, freq="W-SUN")).tolist()
    [0.0, 0.25, 0.5, 0.75]
    """

    start: object = "2018-04-01"
    weeks: int = 52
    ramp_weeks: int = 8
    volume_boost: float = 1.3
    price_boost: float = 1.2
    slope: float = 0.3
    promo_rate: float = 0.08

    def __post_init__(self) -> None:
        checked = {"weeks": _validate.whole("weeks", self.weeks, 1, hint="e.g. weeks=52"),
                   "ramp_weeks": _validate.whole("ramp_weeks", self.ramp_weeks, 1, hint="e.g. ramp_weeks=8"),
                   "volume_boost": _validate.number("volume_boost", self.volume_boost, 0),
                   "price_boost": _validate.number("price_boost", self.price_boost, 0),
                   "slope": _validate.number("slope", self.slope),
                   "promo_rate": _validate.fraction("promo_rate", self.promo_rate)}
        for name, value in checked.items():
            object.__setattr__(self, name, value)  # frozen: store the canonical value

    def intensity(self, dates: pd.DatetimeIndex) -> np.ndarray:
        """Strength of the craze in each week, 0..1: a trapezoid from ``start`` over ``weeks``."""
        week = np.asarray((dates - as_sunday(self.start)) / pd.Timedelta(days=7))
        rise = (week + 1) / self.ramp_weeks
        fall = (self.weeks - week) / self.ramp_weeks
        return np.clip(np.minimum(rise, fall), 0.0, 1.0) * ((week >= 0) & (week < self.weeks))

    def incident(self) -> Incident:
        """The craze as a row of the incident table."""
        start = as_sunday(self.start)
        return Incident(
            pattern="gradual", shift="concept", cause="avocado craze", start=start,
            end=start + pd.Timedelta(weeks=self.weeks),
            affected=f"average_price, promo, {_VOLUME_COLUMNS}; the price-volume relation",
            severity=self.volume_boost, unit="volume multiplier at full strength", share=1.0,
            description=(
                f"The avocado craze: demand ramps in over {self.ramp_weeks} weeks to volumes ×{self.volume_boost:g} "
                f"and prices ×{self.price_boost:g}, promotions fall from {PROMO_RATE:.0%} to {self.promo_rate:.0%} "
                f"of weeks, and price now rises with supply (slope {PRICE_SLOPE:+g} → {self.slope:+g}); "
                f"it fades out over the last {self.ramp_weeks} of its {self.weeks} weeks."
            ),
        )


@dataclass(frozen=True)
class SupplyShock:
    """A bumper harvest: far more (Mexican) avocados in some regions; prices follow the usual curve.

    Parameters
    ----------
    start : date-like
        The Sunday the extra fruit arrives.
    weeks : int
        How long it lasts.
    factor : float
        Volume multiplier in the affected regions.
    regions : tuple of str
        The affected regions.

    Examples
    --------
    >>> shock = SupplyShock(start="2018-04-01", weeks=2)
    >>> shock.active(pd.date_range("2018-03-25", periods=4, freq="W-SUN")).tolist()
    [0.0, 1.0, 1.0, 0.0]
    >>> shock.incident().share  # three of the eight regions
    0.375
    """

    start: object = "2018-04-01"
    weeks: int = 8
    factor: float = 1.5
    regions: tuple = ("California", "West", "SouthCentral")

    def __post_init__(self) -> None:
        object.__setattr__(self, "weeks", _validate.whole("weeks", self.weeks, 1, hint="e.g. weeks=8"))
        object.__setattr__(self, "factor", _validate.number("factor", self.factor, 0))

    def active(self, dates: pd.DatetimeIndex) -> np.ndarray:
        """1.0 in the weeks of the shock, else 0.0."""
        start = as_sunday(self.start)
        return ((dates >= start) & (dates < start + pd.Timedelta(weeks=self.weeks))).astype(float)

    def incident(self) -> Incident:
        """The shock as a row of the incident table."""
        start = as_sunday(self.start)
        unknown = sorted(set(self.regions) - {region for region, *_ in REGIONS})
        if unknown:
            raise ValidationError(
                f"SupplyShock regions {unknown} are not in the market; choose from {[r for r, *_ in REGIONS]}"
            )
        regions = ", ".join(self.regions)
        return Incident(
            pattern="sudden", shift="covariate", cause="bumper harvest", start=start,
            end=start + pd.Timedelta(weeks=self.weeks),
            affected=f"{_VOLUME_COLUMNS}, origin, average_price in {regions}",
            severity=self.factor, unit="volume multiplier", share=len(self.regions) / len(REGIONS),
            description=(
                f"A bumper Mexican harvest: volumes ×{self.factor:g} in {regions} for {self.weeks} weeks; "
                f"prices fall along the usual curve (×{self.factor ** PRICE_SLOPE:.2f}), so a price model keeps working."
            ),
        )


#: The craze in the bundled dataset.
DEFAULT_CRAZE = AvocadoCraze()


def _holidays(dates: pd.DatetimeIndex) -> np.ndarray:
    super_bowl = (dates.month == 2) & (dates.day <= 7)
    cinco_de_mayo = ((dates.month == 4) & (dates.day >= 29)) | ((dates.month == 5) & (dates.day <= 5))
    return 0.22 * np.asarray(super_bowl) + 0.15 * np.asarray(cinco_de_mayo)


def _origin_weights(months: np.ndarray, regions: np.ndarray, shocked: np.ndarray) -> np.ndarray:
    """Probability of each origin, shape (weeks, series, 4): California fruit in summer, Peru, Chile."""
    west = np.isin(regions, ["California", "West"])[None, :]
    summer = ((months >= 4) & (months <= 9))[:, None]
    california = np.where(summer, np.where(west, 0.35, 0.15), 0.0)
    peru = np.where(((months >= 6) & (months <= 8))[:, None], 0.10, 0.0) * np.ones_like(california)
    chile = np.where(np.isin(months, [10, 11, 12, 1])[:, None], 0.06, 0.0) * np.ones_like(california)
    others = np.stack([california, peru, chile], axis=-1) * np.where(shocked > 0, 0.1, 1.0)[..., None]
    return np.concatenate([1.0 - others.sum(axis=-1, keepdims=True), others], axis=-1)


def generate_avocado(
    seed: int = AVOCADO_SEED,
    *,
    craze: AvocadoCraze | None = DEFAULT_CRAZE,
    shock: SupplyShock | None = None,
    start=MARKET_START,
    weeks: int = MARKET_WEEKS,
) -> pd.DataFrame:
    """Generate the weekly avocado market table (columns :data:`AVOCADO_COLUMNS`).

    Random draws do not depend on ``craze`` or ``shock``: the same seed without them gives the
    market as it would have been, row for row (a counterfactual).

    Parameters
    ----------
    seed : int
        Seed of every random draw.
    craze : AvocadoCraze or None
        The demand surge (the bundled data's by default); None for none.
    shock : SupplyShock or None
        A supply shock; none by default.
    start : date-like
        First week (a Sunday).
    weeks : int
        Number of weeks.

    Returns
    -------
    pandas.DataFrame
        ``weeks × 16`` rows ordered by date, region_code and type. Prices in USD per avocado
        (2 decimals), volumes in avocados sold that week (integers), ``promo`` 0/1.

    Examples
    --------
    >>> market = generate_avocado(weeks=52)
    >>> market.shape, market["region_code"].nunique(), round(float(market["average_price"].mean()), 1)
    ((832, 14), 8, 1.4)
    """
    seed = _validate.whole("seed", seed, 0, hint="for example seed=0")
    weeks = _validate.whole("weeks", weeks, 1, hint=f"e.g. weeks={MARKET_WEEKS}")
    dates = pd.date_range(as_sunday(start), periods=weeks, freq="W-SUN")
    series = [(region, code, volume * (share if kind == "organic" else 1.0), BASE_PRICE[kind] + offset, kind)
              for region, code, volume, share, offset in REGIONS for kind in TYPES]
    regions = np.array([item[0] for item in series])
    n_weeks, n_series = len(dates), len(series)
    shape = (n_weeks, n_series)

    # every draw, in a fixed order, whatever the incidents
    walk = child_rng(seed, 3, 0).standard_normal(shape)
    price_noise = 0.035 * child_rng(seed, 3, 1).standard_normal(shape)
    promo_draw = child_rng(seed, 3, 2).random(shape)
    origin_draw = child_rng(seed, 3, 3).random(shape)
    mix_alpha = np.array([SIZE_MIX[item[4]] for item in series])[None] * 400.0
    mix = child_rng(seed, 3, 4).gamma(np.broadcast_to(mix_alpha, (*shape, 4)))
    mix /= mix.sum(axis=-1, keepdims=True)

    supply = np.zeros(shape)  # AR(1) weekly supply noise, sd 0.10, autocorrelation 0.7
    supply[0] = 0.10 * walk[0]
    for week in range(1, n_weeks):
        supply[week] = 0.7 * supply[week - 1] + 0.10 * np.sqrt(1 - 0.7**2) * walk[week]
    doy = np.asarray(dates.day_of_year, dtype=float)
    supply += (0.14 * np.cos(2 * np.pi * (doy - 110) / 365.25))[:, None]

    craze_on = craze.intensity(dates)[:, None] if craze else np.zeros((n_weeks, 1))
    craze = craze or AvocadoCraze()  # its settings are multiplied by craze_on = 0
    shocked = np.zeros(shape)
    if shock:
        shock.incident()  # validates the regions
        shocked = shock.active(dates)[:, None] * np.isin(regions, shock.regions)[None, :]
        supply += shocked * np.log(shock.factor)

    promo = promo_draw < PROMO_RATE + (craze.promo_rate - PROMO_RATE) * craze_on
    slope = PRICE_SLOPE + (craze.slope - PRICE_SLOPE) * craze_on
    log_volume = (np.log([item[2] for item in series])[None] + supply + _holidays(dates)[:, None]
                  + craze_on * np.log(craze.volume_boost) + 0.10 * promo)
    log_price = (np.log([item[3] for item in series])[None] + slope * supply + craze_on * np.log(craze.price_boost)
                 - 0.08 * promo + price_noise)

    weights = _origin_weights(np.asarray(dates.month), regions, shocked)
    origin = (origin_draw[..., None] > np.cumsum(weights, axis=-1)[..., :-1]).sum(axis=-1)
    parts = np.round(np.exp(log_volume)[..., None] * mix).astype(np.int64)
    flat = {
        "date": np.repeat(dates.strftime("%Y-%m-%d").to_numpy(), n_series),
        "year": np.repeat(dates.year.to_numpy(), n_series).astype(np.int64),
        "month": np.repeat(dates.month.to_numpy(), n_series).astype(np.int64),
        "region": np.tile(regions, n_weeks),
        "region_code": np.tile([item[1] for item in series], n_weeks),
        "type": np.tile([item[4] for item in series], n_weeks),
        "origin": np.asarray(ORIGINS)[origin].ravel(),
        "promo": promo.astype(np.int64).ravel(),
        "average_price": np.round(np.exp(log_price), 2).ravel(),
        "total_volume": parts.sum(axis=-1).ravel(),
    }
    for number, name in enumerate(("plu4046", "plu4225", "plu4770", "bags")):
        flat[name] = parts[..., number].ravel()
    table = pd.DataFrame(flat, columns=list(AVOCADO_COLUMNS))
    table["date"] = pd.to_datetime(table["date"])
    return table


def load_avocado(path=None) -> pd.DataFrame:
    """Read the bundled ``datasets/avocado.csv`` (see ``datasets/README.md``), dates parsed.

    Examples
    --------
    >>> market = load_avocado()
    >>> market["date"].min().date(), market["date"].max().date(), len(market)
    (datetime.date(2015, 1, 4), datetime.date(2019, 12, 29), 4176)
    """
    if path is None:
        from ..paths import datasets_dir

        path = datasets_dir() / "avocado.csv"
    return pd.read_csv(path, parse_dates=["date"])


def split_avocado(table: pd.DataFrame, production_start=PRODUCTION_START) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split the market into reference weeks (before ``production_start``) and production weeks.

    Examples
    --------
    >>> reference, production = split_avocado(load_avocado())
    >>> reference["year"].unique().tolist(), len(production)
    ([2015, 2016], 2512)
    """
    early = table["date"] < pd.Timestamp(production_start)
    return table[early].reset_index(drop=True), table[~early].reset_index(drop=True)


def _model_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {"series": frame["region"].astype(str) + "/" + frame["type"].astype(str),
         "promo": frame["promo"].to_numpy(dtype=float),
         "log_volume": np.log(frame["total_volume"].to_numpy(dtype=float))}
    )


def avocado_price_model():
    """An unfitted scikit-learn model of ``average_price`` from :data:`AVOCADO_FEATURES`.

    A linear model of log price on log volume, promotion and one level per region and type:
    the relation the market follows before the craze. Fit it on the reference weeks.

    Examples
    --------
    >>> from sklearn.metrics import mean_absolute_error
    >>> reference, production = split_avocado(load_avocado())
    >>> features = list(AVOCADO_FEATURES)
    >>> model = avocado_price_model().fit(reference[features], reference["average_price"])
    >>> bool(mean_absolute_error(reference["average_price"], model.predict(reference[features])) < 0.06)
    True
    """
    from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

    columns = ColumnTransformer(
        [("series", OneHotEncoder(handle_unknown="ignore"), ["series"]), ("numbers", "passthrough", ["promo", "log_volume"])]
    )
    inputs = FunctionTransformer(_model_inputs)
    return TransformedTargetRegressor(
        regressor=make_pipeline(inputs, columns, LinearRegression()), func=np.log, inverse_func=np.exp
    )
