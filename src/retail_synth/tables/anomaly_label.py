"""gold_anomaly_label: every anomaly the run injected, one row each, from the walk of the block it touched.

Shrinkage and late deliveries are what the walk found when it applied them
(units really on hand, receipts really due); demand spikes and price errors
are the plan of the block's products; a node outage is the whole network's,
so the block holding the first product carries its one row. A label is
written by the run that simulates its end day: a plan window or a late
receipt still running after the last written day has no row yet. Each label
matches its facts (contracts/quickstart/anomaly_*.sql):
  shrinkage       an 'adjustment' movement out of location_key on start_date_key of `magnitude` units
  late_delivery   a receipt at the position on end_date_key, `magnitude` days after start_date_key
  demand_spike    the product's lines multiplied by about `magnitude` from start to end
  price_error     the product's lines sold at `magnitude` x list price from start to end
  node_outage     no receipt and no sale at location_key from start to end
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from retail_synth.model.simulation.disruptions import NO_DAY, Disruptions
from retail_synth.model.simulation.walk import BlockResult
from retail_synth.spec.ids import joined
from retail_synth.tables.arrow_batches import record_batch, row_chunks
from retail_synth.tables.views import AnomalyView

TABLE = "gold_anomaly_label"
VIEW = AnomalyView
ANOMALY_TYPES = ("shrinkage", "late_delivery", "demand_spike", "price_error", "node_outage")
SCENARIO_SOURCE = "SCENARIO"
NONE = -1


def anomaly_ids(kind: np.ndarray, location: np.ndarray, product: np.ndarray, start_day: np.ndarray) -> np.ndarray:
    """type (3 bits), location + 1 (12), product + 1 (24), start day (20): unique per anomaly."""
    return ((((kind.astype(np.int64) + 1) << 12 | (location + 1)) << 24 | (product + 1)) << 20) | start_day


def _planned(first: np.ndarray, products: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(product, plan cycle) of each planned window [product, cycle] of `products`, product by product."""
    product, cycle = np.nonzero(first[products] != NO_DAY)
    return products[product], cycle


def labels(plan: Disruptions, r: BlockResult) -> dict[str, np.ndarray]:
    """The block's anomalies that end on a day its walk simulated, as arrays: kind, product and location (indices,
    NONE), start and end day, magnitude."""
    products = np.arange(r.product_lo, r.product_hi)
    spiking, spike_cycle = _planned(plan.spike_first, products)
    erring, error_cycle = _planned(plan.price_error_first, products)
    shrunk, late_receipts = r.shrinkage["position"], _late_receipts(r)
    late = late_receipts["position"]
    has_outage = int(plan.outage_location >= 0 and r.product_lo == 0)
    parts = [
        # kind, rows, product, location, start day, end day, magnitude
        (0, len(shrunk), r.position_product[shrunk], r.position_location[shrunk], r.shrinkage["day"],
         r.shrinkage["day"], r.shrinkage["units"]),
        (1, len(late), r.position_product[late], r.position_location[late], late_receipts["due_day"],
         late_receipts["arrival_day"], late_receipts["arrival_day"] - late_receipts["due_day"]),
        (2, len(spiking), spiking, NONE, plan.spike_first[spiking, spike_cycle], plan.spike_last[spiking, spike_cycle],
         plan.spike_factor[spiking, spike_cycle]),
        (3, len(erring), erring, NONE, plan.price_error_first[erring, error_cycle],
         plan.price_error_last[erring, error_cycle], plan.price_error_factor[erring, error_cycle]),
        (4, has_outage, NONE, plan.outage_location, plan.outage.first, plan.outage.last, plan.outage.days),
    ]
    names = ("kind", "product", "location", "start", "end", "magnitude")
    found = {
        name: np.concatenate([np.broadcast_to(np.asarray(part[column], np.float64 if name == "magnitude" else np.int64),
                                              (part[1],)) for part in parts])
        for column, name in zip((0, 2, 3, 4, 5, 6), names, strict=True)
    }
    ended = (found["end"] >= r.first_day) & (found["end"] < r.stop_day)      # the days this walk simulated
    return {name: values[ended] for name, values in found.items()}


def _late_receipts(r: BlockResult) -> dict[str, np.ndarray]:
    """The late receipts a walk may see arrive: those made late before it (its start state's), then its own."""
    if r.start_state is None:
        return r.late_receipts
    carried = r.start_state.late_receipts
    return {name: np.concatenate([carried[name], values]) for name, values in r.late_receipts.items()}


def _descriptions(kind: np.ndarray, magnitude: np.ndarray) -> pa.Array:
    amount = np.where(kind <= 1, magnitude.astype(np.int64).astype(str), np.char.mod("%.2f", magnitude))
    what = np.array(["units found missing or damaged at a stock count", "days late: a replenishment receipt",
                     "x demand: an unplanned demand spike", "x list price: a pricing error",
                     "days out of service: the node receives and ships nothing"], dtype=object)[kind]
    return joined(amount, what, sep=" ")


def batches(view: AnomalyView, result: BlockResult, etl_timestamp: dt.datetime, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The block's anomaly labels, at most batch_rows rows a batch."""
    found = labels(view.disruptions, result)
    for lo, hi in row_chunks(len(found["kind"]), batch_rows):
        kind, product, location = found["kind"][lo:hi], found["product"][lo:hi], found["location"][lo:hi]
        start, end, magnitude = found["start"][lo:hi], found["end"][lo:hi], found["magnitude"][lo:hi]
        columns = {
            "anomaly_id": anomaly_ids(kind, location, product, start),
            "anomaly_type": np.asarray(ANOMALY_TYPES, dtype=object)[kind],
            "scenario": view.scenario_name,
            "product_key": pa.array(view.product_key[np.maximum(product, 0)], mask=product < 0),
            "location_key": pa.array(view.location_key[np.maximum(location, 0)], mask=location < 0),
            "customer_key": pa.nulls(hi - lo, pa.int32()),
            "start_date_key": view.date_key[start],
            "end_date_key": view.date_key[end],
            "magnitude": magnitude,
            "description": _descriptions(kind, magnitude),
            "source_system": SCENARIO_SOURCE,
        }
        yield record_batch(TABLE, columns, hi - lo, etl_timestamp)
