"""What became of an abandoned cart beyond the walk's decision: the stage it was left at, why, how long it sat.

The walk decides whether a cart is abandoned and recovered (carts.py); the
rest of gold_cart_abandonment_fact is drawn here, each attribute hashed from
(seed, stream, cart id) alone, so a cart's row does not depend on how the
decision table is batched. The stage is also read by the cart's event
session (sessions.py), which reaches checkout only past the 'cart' stage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retail_synth.model.simulation.carts import email_funnel
from retail_synth.spec import hashing
from retail_synth.spec.distributions import Categorical
from retail_synth.spec.run_config import CartParams
from retail_synth.spec.vocabulary import ABANDONMENT_STAGES

MEAN_MINUTES_IN_CART = 25.0
LOW_INVENTORY_REASON = "low_inventory"


@dataclass(frozen=True)
class AbandonmentInputs:
    """The run's parameters of the abandonment draws."""

    seed: int
    carts: CartParams                 # low_inventory_reason_share and the recovery email rates
    stages: Categorical               # distributions.abandonment_stage
    reasons: Categorical              # distributions.abandonment_reason


@dataclass(frozen=True)
class AbandonedCarts:
    """One entry per abandoned cart, in the order of the cart ids given."""

    stage: np.ndarray                 # index into ABANDONMENT_STAGES
    suspected_reason: np.ndarray      # str: 'low_inventory' or a declared abandonment_reason label
    minutes_in_cart: np.ndarray       # float64, 1 decimal
    email_sent: np.ndarray            # bool; each funnel step implies the previous
    email_opened: np.ndarray
    email_clicked: np.ndarray


def abandonment_stages(seed: int, stages: Categorical, cart: np.ndarray) -> np.ndarray:
    """Index into ABANDONMENT_STAGES of each cart, drawn from `stages` by its cart id (0 = left at the cart)."""
    return stages.draw_from(ABANDONMENT_STAGES, seed, "carts.stage", cart)


def abandoned_carts(inputs: AbandonmentInputs, cart: np.ndarray, low_items: np.ndarray) -> AbandonedCarts:
    """The drawn attributes of abandoned carts, given their ids and their lines low on inventory.

    A low-inventory cart blames stock with carts.low_inventory_reason_share;
    every other cart has a declared reason.
    """
    seed = inputs.seed
    sent, opened, clicked, _ = email_funnel(seed, inputs.carts, cart)
    low = low_items > 0
    blamed_on_stock = low & (hashing.uniform(seed, "carts.reason_low", cart) < inputs.carts.low_inventory_reason_share)
    other_reason = inputs.reasons.draw_labels(seed, "carts.reason", cart)
    minutes = np.round(-np.log1p(-hashing.uniform(seed, "carts.minutes", cart)) * MEAN_MINUTES_IN_CART, 1)
    return AbandonedCarts(
        stage=abandonment_stages(seed, inputs.stages, cart),
        suspected_reason=np.where(blamed_on_stock, LOW_INVENTORY_REASON, other_reason),
        minutes_in_cart=minutes,
        email_sent=sent,
        email_opened=opened,
        email_clicked=clicked,
    )
