"""Typed run parameters: one frozen dataclass per section of conf/defaults.yaml.

Field names are the YAML keys, so `config.inventory.review_cycle_days` reads
the key `inventory.review_cycle_days`. retail_synth.spec.configuration validates the
merged YAML layers and builds these objects; code on the data path reads them
instead of string-keyed dicts, so a misspelt key fails at import, not in a task.
Every class is frozen and defined at module level: a RunConfig pickles into
Spark tasks and cannot be changed on the way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from retail_synth.spec.distributions import (
    Categorical,
    LogNormal,
    Normal,
    Poisson,
    Uniform,
    Zipf,
)

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_V = TypeVar("_V")

FORECAST_PAD_DAYS = 64          # calendar look-ahead past the last day; configuration keeps lead time + review cycle below it

NO_OUTAGE = "none"          # scenario.outage_location_id of a run without an outage


@dataclass(frozen=True)
class Segment:
    """One customer segment: its share of customers, order rate and return probability (basket size: distributions)."""

    share: float
    orders_per_30_days: float
    return_probability: float


class Named(Mapping[str, _V], Generic[_V]):
    """Values by name, in their declared order; read-only, hashable and picklable."""

    def __init__(self, values: Mapping[str, _V]):
        self._values = dict(values)

    def __getitem__(self, name: str) -> _V:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __hash__(self) -> int:
        return hash(tuple(self._values.items()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._values!r})"


class Segments(Named[Segment]):
    """Customer segments (Segment) by name, in their declared order."""

    member = Segment


class ByName(Named[_V]):
    """Declared distributions by the name of what they belong to: a segment, a channel code."""


@dataclass(frozen=True)
class CustomerHistoryParams:
    """How customers change during the run (customers.history): segment reviews by ordered spend, moves, opt-ins."""

    review_window_days: int
    review_every_months: int
    loyal_spend_floor: float
    premium_spend_floor: float
    vip_spend_floor: float
    demotion_share: float
    move_yearly_rate: float
    email_opt_out_yearly_rate: float
    email_opt_in_yearly_rate: float
    sms_opt_out_yearly_rate: float
    sms_opt_in_yearly_rate: float

    def spend_floors(self) -> dict[str, float]:
        """The rungs of the segment ladder, lowest first, with the ordered spend that reaches each."""
        return {"regular": 0.0, "loyal": self.loyal_spend_floor, "premium": self.premium_spend_floor,
                "vip": self.vip_spend_floor}


@dataclass(frozen=True)
class CustomerParams:
    customer_count: int
    standard_store_customers: int
    segments: Segments
    digital_return_uplift_rate: float
    history_years: int
    history: CustomerHistoryParams


@dataclass(frozen=True)
class ProductParams:
    product_count: int
    active_share: float


@dataclass(frozen=True)
class LocationParams:
    location_count: int


@dataclass(frozen=True)
class DemandParams:
    weekend_uplift_rate: float
    holiday_uplift_rate: float
    peak_season_uplift_rate: float
    sale_period_uplift_rate: float
    black_friday_demand_factor: float
    cyber_monday_demand_factor: float
    channel_loyalty_rate: float


@dataclass(frozen=True)
class PricingParams:
    promotion_discount_rate: float
    promotion_product_share: float
    clearance_discount_rate: float
    clearance_window_days: int


@dataclass(frozen=True)
class InventoryParams:
    target_stockout_rate: float
    store_lead_time_days_min: int
    store_lead_time_days_max: int
    warehouse_lead_time_days_min: int
    warehouse_lead_time_days_max: int
    review_cycle_days: int
    store_minimum_lot_units: int
    warehouse_minimum_lot_units: int
    low_inventory_threshold_count: int
    overstock_cover_days: int
    safety_adjust_rate: float


@dataclass(frozen=True)
class CartParams:
    abandonment_base_rate: float
    low_inventory_uplift_rate: float
    low_inventory_reason_share: float
    recovery_email_sent_rate: float
    recovery_email_open_rate: float
    recovery_email_click_rate: float
    recovery_purchase_rate: float
    recovery_delay_days_min: int
    recovery_delay_days_max: int


@dataclass(frozen=True)
class ReturnParams:
    restock_delay_days_min: int
    restock_delay_days_max: int
    exchange_share: float


@dataclass(frozen=True)
class ForecastParams:
    forecast_days: int
    history_days: int
    confidence_probability: float
    smoothing_rate: float
    model_version: str


@dataclass(frozen=True)
class EventParams:
    browse_lookback_days: int
    browse_bounce_share: float
    browse_views_min: int
    browse_views_max: int
    browse_cart_item_share: float
    search_entry_share: float


@dataclass(frozen=True)
class OutputParams:
    batch_rows: int
    products_per_block: int
    parallel_writes: int
    max_rows: int


@dataclass(frozen=True)
class SparkParams:
    driver_memory: str
    partitions: int
    cart_exchange: str
    walk_blocks_per_task: int


@dataclass(frozen=True)
class GuardParams:
    protected_patterns: tuple[str, ...]


@dataclass(frozen=True)
class ScenarioParams:
    """What a scenario changes beyond ordinary keys: peak, growth, an outage, a promotion shock, and its promises."""

    peak_demand_factor: float
    growth_monthly_rate: float
    outage_location_id: str
    outage_first_day: int
    outage_days: int
    outage_extra_lead_days: int
    shock_product_share: float
    shock_discount_rate: float
    shock_demand_factor: float
    shock_first_day: int
    shock_days: int
    promised_peak_factor: float
    promised_growth_factor: float

    @property
    def has_outage(self) -> bool:
        return self.outage_location_id != NO_OUTAGE


@dataclass(frozen=True)
class AnomalyParams:
    """Rates and sizes of the injected anomalies that gold_anomaly_label describes."""

    shrinkage_rate: float
    shrinkage_units_max: int
    late_delivery_rate: float
    late_delivery_days_min: int
    late_delivery_days_max: int
    demand_spike_rate: float
    demand_spike_factor_min: float
    demand_spike_factor_max: float
    demand_spike_days: int
    price_error_rate: float
    price_error_factor_min: float
    price_error_factor_max: float
    price_error_days: int


@dataclass(frozen=True)
class RealismRange:
    """The published range of one realism figure, and where it comes from (docs/validation.md, "The realism scorecard").

    An information figure has no range (both None): no publication gives one, so it is reported, never judged.
    """

    source: str
    value_min: float | None = None
    value_max: float | None = None

    @property
    def is_information(self) -> bool:
        return self.value_min is None and self.value_max is None


class Realism(Named[RealismRange]):
    """Realism ranges (RealismRange) by figure: one per contracts/realism/<figure>.sql."""

    member = RealismRange


@dataclass(frozen=True)
class PaymentMethods:
    """Payment method of an order, by the kind of its channel."""

    store: Categorical
    digital: Categorical


@dataclass(frozen=True)
class SizeComparison:
    """One declaration per ordered size against the recommended one (index: sign(ordered - recommended) + 1)."""

    smaller: Categorical
    same: Categorical
    larger: Categorical

    def rows(self) -> tuple[Categorical, Categorical, Categorical]:
        return self.smaller, self.same, self.larger


@dataclass(frozen=True)
class DistributionParams:
    """The `distributions:` section: every behavioural draw, declared once (src/retail_synth/spec/distributions.py)."""

    product_popularity: Zipf | LogNormal
    brand: Categorical
    price_jitter: Uniform | Normal
    basket_lines: ByName[Uniform | Categorical]      # by segment
    quantity: Categorical
    payment_method: PaymentMethods
    preferred_channel: Categorical
    acquisition_channel: Categorical
    size_profile_tops: Categorical
    size_profile_bottoms: Categorical
    ordered_size: Categorical
    return_reason: SizeComparison
    kept_fit: SizeComparison
    abandonment_stage: Categorical
    abandonment_reason: Categorical
    session_source: ByName[Categorical]              # by channel code
    session_device: ByName[Categorical]              # by channel code
    browse_sessions: Poisson


@dataclass(frozen=True)
class RunConfig:
    """A validated run: the top-level keys, one object per section, and the derived horizon and preset name."""

    seed: int
    start_date: dt.date
    end_date: dt.date
    warmup_days: int
    plan_days: int          # days from start_date the run lays its plans over (windows, life cycles, growth)
    customers: CustomerParams
    products: ProductParams
    locations: LocationParams
    demand: DemandParams
    pricing: PricingParams
    inventory: InventoryParams
    carts: CartParams
    returns: ReturnParams
    forecast: ForecastParams
    events: EventParams
    output: OutputParams
    spark: SparkParams
    guard: GuardParams
    scenario: ScenarioParams
    anomalies: AnomalyParams
    realism: Realism
    distributions: DistributionParams
    horizon_days: int       # days start_date..end_date, both included
    preset: str             # the preset, the config file's stem, both as preset+stem, or "defaults"
    scenario_name: str      # the scenario of conf/scenarios (normal-ops unless --scenario)

    @property
    def simulated_days(self) -> int:
        """Warm-up plus horizon: the days the walk simulates."""
        return self.warmup_days + self.horizon_days

    @property
    def planned_days(self) -> int:
        """Warm-up plus plan: the calendar days the plans refer to, whether or not the run reaches them."""
        return self.warmup_days + self.plan_days


def settings(node: DataclassInstance | Mapping[str, object], prefix: str = "") -> dict[str, object]:
    """Every parameter by its dotted key: what a run's journal records and configured quickstart bounds read."""
    items = [(f.name, getattr(node, f.name)) for f in fields(node)] if is_dataclass(node) else list(node.items())
    flat: dict[str, object] = {}
    for key, value in items:
        if (is_dataclass(value) and not isinstance(value, type)) or isinstance(value, Mapping):
            flat.update(settings(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = list(value) if isinstance(value, tuple) else value
    return flat
