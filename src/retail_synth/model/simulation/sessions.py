"""The browsing sessions of the carts and the events of each session (gold_customer_event_fact's model).

Spark-free and vectorised: `browsing` turns a batch of cart decision rows
(carts.CART_DECISION_SCHEMA) into sessions and their events. Every draw is
hashed from (seed, stream, cart id, session code[, event position]), so a
cart's sessions do not depend on how the decision table is batched.

Sessions (a session's code is kind * SESSION_CODE_BASE + browse number).
A run writes the sessions of the days it simulates, from its first written
day (max(first_day, warmup_days)): a cart's cart and browse sessions with the
cart, a recovery session on its recovery day. So a run continued from a
state writes the recovery sessions of the carts abandoned before it, and the
browse sessions of its own carts even when dated before its first day.
  * cart session, one per cart of the horizon (day >= the first written day): entry
    (page view of the home page, or a search for the first item's product
    type), then product_view + add_to_cart per cart line (line order), then
      - checked out and sold: checkout + purchase (the order's checkout complete);
      - abandoned: checkout only when the cart's abandonment stage
        (abandonment.abandonment_stages, as its abandonment row) is past
        'cart'; never a purchase;
      - neither (checked out but nothing could be sold): checkout, no purchase.
  * recovery session, one per recovered cart whose recovery_day is on or
    after the first written day (the cart itself may be in the warm-up, or
    in the run before): page view of the
    restored cart (from the recovery email), checkout, purchase of the
    recovered order (day = recovery_day, order number =
    demand.recovered_order_numbers, slot = demand.order_slots).
  * browse sessions 1, 2, ...: distributions.browse_sessions (Poisson) per
    horizon cart, by the same customer on the same channel, on the cart's
    day or up to events.browse_lookback_days before (never before the first
    horizon day): an entry page and, unless the session bounces
    (events.browse_bounce_share), browse_views_min..max product views (an
    item of the cart with events.browse_cart_item_share, else a product
    drawn by popularity among those on sale that day). No add_to_cart.

Time: the last event of a cart or recovery session falls in the order's
quarter-hour slot (so a purchase has the time of its sales lines), a browse
session starts in a hashed digital slot; each event lasts its dwell
(1..MAX_DWELL_SECONDS, exponential by event type; 0 on the session's last
event) before the next one, so timestamps increase strictly within a
session, and sessions are clipped to stay within their day.

Traffic: a session's source is drawn by its channel (recovery sessions come
from the email), its device by customer and channel (the same every visit).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from retail_synth.model.simulation.abandonment import abandonment_stages
from retail_synth.model.simulation.demand import (
    DIGITAL_SLOT_WEIGHTS,
    order_ids,
    order_slots,
    recovered_order_numbers,
)
from retail_synth.model.simulation.pricing import PriceBook, sale_amounts
from retail_synth.model.simulation.world import guided_search
from retail_synth.spec import hashing
from retail_synth.spec.distributions import Categorical, Poisson, conditional_draw
from retail_synth.spec.ids import SLOT_SECONDS
from retail_synth.spec.run_config import EventParams
from retail_synth.spec.vocabulary import DEVICE_NAMES, DRAWN_SOURCES, RECOVERY_SOURCE

CART_SESSION, RECOVERY_SESSION, BROWSE_SESSION = 0, 1, 2
SESSION_CODE_BASE = 1000             # hashed session code = kind * this + browse number
PRODUCT_REDRAWS = 8                  # redraws of a browse product not on sale that day

# event types, and the mean seconds spent on the page of each
PAGE_VIEW, SEARCH, PRODUCT_VIEW, ADD_TO_CART, CHECKOUT, PURCHASE = range(6)
MEAN_DWELL_SECONDS = (25.0, 20.0, 50.0, 15.0, 120.0, 30.0)
MAX_DWELL_SECONDS = 600
SECONDS_PER_DAY = 86_400
NO_PRODUCT = -1


@dataclass(frozen=True)
class SessionInputs:
    """The run's parameters and arrays the sessions are drawn from."""

    seed: int
    warmup_days: int                             # the first horizon day (start_date): browse sessions start on or after it
    first_day: int                               # the run's first simulated day (0, or where a continuation resumes)
    events: EventParams
    browse_sessions: Poisson                     # distributions.browse_sessions, per horizon cart
    abandonment_stage: Categorical               # distributions.abandonment_stage
    source_by_channel: tuple[Categorical, ...]   # distributions.session_source of each channel index
    device_by_channel: tuple[Categorical, ...]   # distributions.session_device of each channel index
    customer_key: np.ndarray                     # a device is hashed by customer key
    popularity_cdf: np.ndarray                   # browse products are drawn by popularity
    popularity_guide: np.ndarray
    launch_day: np.ndarray                       # ... among the products on sale that day
    end_of_life_day: np.ndarray
    days: np.ndarray                             # datetime64[D] per simulation day
    prices: PriceBook                            # the value of a product event

    @property
    def first_written_day(self) -> int:
        """The first day whose sessions this run writes (a browse session is written with its cart)."""
        return max(self.first_day, self.warmup_days)


@dataclass(frozen=True)
class CartRows:
    """The cart decision rows of a batch as numpy arrays (columns of carts.CART_DECISION_SCHEMA)."""

    cart: np.ndarray
    day: np.ndarray
    order: np.ndarray
    customer: np.ndarray
    channel: np.ndarray
    slot: np.ndarray
    items: np.ndarray
    cart_value: np.ndarray
    abandoned: np.ndarray
    checked_out_sold: np.ndarray
    recovered: np.ndarray
    recovery_day: np.ndarray
    lines: np.ndarray                # int64 products (lines) of each cart
    first_line: np.ndarray           # int64 index in `products` of each cart's first line
    products: np.ndarray             # int64 product index of every line, cart after cart

    @classmethod
    def of(cls, decisions: pa.RecordBatch) -> CartRows:
        numbers = {name: decisions.column(name).to_numpy(zero_copy_only=False) for name in
                   ("cart", "day", "order", "customer", "channel", "slot", "items", "cart_value",
                    "abandoned", "checked_out_sold", "recovered", "recovery_day")}
        products = decisions.column("products")
        lines = pc.list_value_length(products).to_numpy(zero_copy_only=False).astype(np.int64)
        flat = products.flatten().to_numpy(zero_copy_only=False).astype(np.int64)
        return cls(**numbers, lines=lines, first_line=np.cumsum(lines) - lines, products=flat)


@dataclass(frozen=True)
class Sessions:
    """One entry per session, ordered by (cart row, kind, browse number)."""

    row: np.ndarray                  # the session's cart: index into the CartRows
    kind: np.ndarray                 # CART_SESSION, RECOVERY_SESSION or BROWSE_SESSION
    number: np.ndarray               # browse number (1, 2, ...), 0 for cart and recovery sessions
    cart: np.ndarray                 # cart id
    code: np.ndarray                 # kind * SESSION_CODE_BASE + number: a session's id within its cart
    customer: np.ndarray             # int64 customer index
    channel: np.ndarray              # int64 channel index
    cart_day: np.ndarray             # int64 simulation day of the cart
    cart_order: np.ndarray           # order number of the cart within its day
    day: np.ndarray                  # int64 simulation day of the session
    recovery_order: np.ndarray       # int64 order number of the recovered order (recovery sessions)
    items: np.ndarray                # int64 cart lines viewed and added (cart sessions; 0 elsewhere)
    events: np.ndarray               # int64 events of the session
    has_purchase: np.ndarray         # bool: the session ends in a purchase
    searched: np.ndarray             # bool: the session starts with a search
    first_product: np.ndarray        # int64 product searched for (the first item, or the first browse view)
    source: np.ndarray               # index into vocabulary.SOURCES
    device: np.ndarray               # index into vocabulary.DEVICES

    @property
    def is_recovery(self) -> np.ndarray:
        return self.kind == RECOVERY_SESSION

    @property
    def is_browse(self) -> np.ndarray:
        return self.kind == BROWSE_SESSION


@dataclass(frozen=True)
class Events:
    """One entry per event, session after session, in the order the customer made them."""

    session: np.ndarray              # index into the Sessions
    position: np.ndarray             # int64 0-based position in the session
    type: np.ndarray                 # PAGE_VIEW .. PURCHASE
    product: np.ndarray              # int64 product index of product events, NO_PRODUCT elsewhere
    dwell: np.ndarray                # float64 seconds on the page before the next event (0 on the last)
    timestamp: np.ndarray            # datetime64[s] UTC
    value: np.ndarray                # float64 unit price (product events), cart value (purchase), else 0


@dataclass(frozen=True)
class Browsing:
    """The sessions of a batch of carts and their events."""

    sessions: Sessions
    events: Events


def group_positions(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(group of each element, position of the element in its group) of groups of `counts` elements."""
    group = np.repeat(np.arange(len(counts)), counts)
    first = np.cumsum(counts) - counts
    return group, np.arange(len(group)) - first[group]


def browsing(inputs: SessionInputs, carts: CartRows) -> Browsing | None:
    """The sessions and events of the carts of a decision batch; None when they have none."""
    row, kind, number = _session_rows(inputs, carts)
    if len(row) == 0:
        return None
    sessions = _sessions(inputs, carts, row, kind, number)
    return Browsing(sessions, _events(inputs, carts, sessions))


def _session_rows(inputs: SessionInputs, carts: CartRows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cart row, kind, browse number) of every session of the batch, ordered by cart row, kind and number."""
    first = inputs.first_written_day
    in_horizon = np.flatnonzero(carts.day >= first)
    recovered = np.flatnonzero(carts.recovered & (carts.recovery_day >= first))
    browse_count = inputs.browse_sessions.draw(inputs.seed, "events.browse_sessions", carts.cart[in_horizon])
    browse_row, browse_number = group_positions(browse_count)
    row = np.concatenate([in_horizon, recovered, in_horizon[browse_row]])
    kind = np.concatenate([np.full(len(in_horizon), CART_SESSION), np.full(len(recovered), RECOVERY_SESSION),
                           np.full(len(browse_row), BROWSE_SESSION)])
    number = np.concatenate([np.zeros(len(in_horizon) + len(recovered), np.int64), browse_number + 1])
    order_of_sessions = np.lexsort((number, kind, row))
    return row[order_of_sessions], kind[order_of_sessions], number[order_of_sessions]


def _sessions(inputs: SessionInputs, carts: CartRows, row: np.ndarray, kind: np.ndarray,
              number: np.ndarray) -> Sessions:
    """The sessions of (cart row, kind, browse number): their day, length, entry and traffic."""
    seed, ev = inputs.seed, inputs.events
    cart = carts.cart[row]
    code = kind * SESSION_CODE_BASE + number
    cart_day = carts.day[row].astype(np.int64)
    is_recovery, is_browse = kind == RECOVERY_SESSION, kind == BROWSE_SESSION
    lookback = hashing.integers(seed, "events.browse_day", 0, ev.browse_lookback_days, cart, code)
    day = np.where(is_recovery, carts.recovery_day[row],
                   np.where(is_browse, np.maximum(cart_day - lookback, inputs.warmup_days), cart_day)).astype(np.int64)
    items, events, has_purchase = _session_lengths(inputs, carts, row, kind, cart, code)
    searched = ~is_recovery & (hashing.uniform(seed, "events.search_entry", cart, code) < ev.search_entry_share)
    first_product = np.where(
        is_browse,
        _browse_products(inputs, carts, cart, code, np.zeros(len(row), np.int64), day, row),
        carts.products[np.minimum(carts.first_line[row], max(len(carts.products) - 1, 0))] if len(carts.products) else 0,
    )
    customer = carts.customer[row].astype(np.int64)
    channel = carts.channel[row].astype(np.int64)
    source, device = _traffic(inputs, cart, code, customer, channel, is_recovery)
    recovery_order = recovered_order_numbers(carts.recovery_day[row].astype(np.int64) - cart_day, carts.order[row])
    return Sessions(row=row, kind=kind, number=number, cart=cart, code=code, customer=customer, channel=channel,
                    cart_day=cart_day, cart_order=carts.order[row], day=day, recovery_order=recovery_order,
                    items=items, events=events, has_purchase=has_purchase, searched=searched, first_product=first_product,
                    source=source, device=device)


def _session_lengths(inputs: SessionInputs, carts: CartRows, row: np.ndarray, kind: np.ndarray, cart: np.ndarray,
                     code: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cart lines, events, has_purchase) of each session: entry, 2 per cart line, checkout, purchase, browse views."""
    seed, ev = inputs.seed, inputs.events
    is_cart, is_recovery, is_browse = kind == CART_SESSION, kind == RECOVERY_SESSION, kind == BROWSE_SESSION
    stage = abandonment_stages(seed, inputs.abandonment_stage, cart)   # as the abandonment row: 0 = 'cart'
    has_checkout = is_recovery | (is_cart & (~carts.abandoned[row] | (stage > 0)))
    has_purchase = is_recovery | (is_cart & carts.checked_out_sold[row])
    items = np.where(is_cart, carts.items[row], 0).astype(np.int64)
    bounce = hashing.uniform(seed, "events.bounce", cart, code) < ev.browse_bounce_share
    views = hashing.integers(seed, "events.browse_views", ev.browse_views_min, ev.browse_views_max, cart, code)
    views = np.where(is_browse & ~bounce, views, 0)
    return items, 1 + 2 * items + has_checkout + has_purchase + views, has_purchase


def _traffic(inputs: SessionInputs, cart: np.ndarray, code: np.ndarray, customer: np.ndarray, channel: np.ndarray,
             is_recovery: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(source, device) of each session, drawn by its channel; the device keyed by customer and channel."""
    seed = inputs.seed
    source = conditional_draw(inputs.source_by_channel, DRAWN_SOURCES, seed, "events.source",
                              channel, hashing.hash64(seed, "events.source_id", cart, code).view(np.int64))
    source = np.where(is_recovery, RECOVERY_SOURCE, source)
    device_id = hashing.hash64(seed, "events.device_id", inputs.customer_key[customer], channel).view(np.int64)
    device = conditional_draw(inputs.device_by_channel, DEVICE_NAMES, seed, "events.device", channel, device_id)
    return source, device


def _browse_products(inputs: SessionInputs, carts: CartRows, cart: np.ndarray, code: np.ndarray, view: np.ndarray,
                     day: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Product of browse view `view` of a session: an item of its cart, or drawn by popularity among products on sale."""
    seed = inputs.seed
    cart_first, cart_items, flat_products = carts.first_line[row], carts.lines[row], carts.products
    pick = np.floor(hashing.uniform(seed, "events.browse_item", cart, code, view) * cart_items).astype(np.int64)
    item = cart_first + np.minimum(pick, np.maximum(cart_items - 1, 0))
    from_cart = (hashing.uniform(seed, "events.browse_from_cart", cart, code, view)
                 < inputs.events.browse_cart_item_share) & (cart_items > 0)
    cdf, guide = inputs.popularity_cdf, inputs.popularity_guide
    launch, end_of_life = inputs.launch_day, inputs.end_of_life_day
    product = guided_search(cdf, guide, hashing.uniform(seed, "events.browse_product", cart, code, view))
    bad = np.flatnonzero((day < launch[product]) | (day >= end_of_life[product]))
    for attempt in range(1, PRODUCT_REDRAWS + 1):
        if len(bad) == 0:
            break
        redraw = guided_search(cdf, guide, hashing.uniform(seed, "events.browse_product", cart[bad], code[bad], view[bad],
                                                           attempt))
        ok = (day[bad] >= launch[redraw]) & (day[bad] < end_of_life[redraw])
        product[bad[ok]] = redraw[ok]
        bad = bad[~ok]
    if len(flat_products):
        product = np.where(from_cart, flat_products[np.minimum(item, len(flat_products) - 1)], product)
    return product.astype(np.int64)


def _events(inputs: SessionInputs, carts: CartRows, sessions: Sessions) -> Events:
    """Every event of the sessions: its type, product, dwell, time and value."""
    session, position = group_positions(sessions.events)
    event_type, line = _event_types(sessions, session, position)
    product = _event_products(inputs, carts, sessions, session, position, line)
    dwell, timestamp = _event_times(inputs, carts, sessions, session, position, event_type)
    is_product = (event_type == PRODUCT_VIEW) | (event_type == ADD_TO_CART)
    unit_price = sale_amounts(inputs.prices, np.maximum(product, 0), sessions.day[session],
                              np.ones(len(session)))[2]
    value = np.select([is_product, event_type == PURCHASE],
                      [unit_price, carts.cart_value[sessions.row][session]], default=0.0)
    return Events(session=session, position=position, type=event_type, product=product, dwell=dwell,
                  timestamp=timestamp, value=value)


def _event_types(sessions: Sessions, session: np.ndarray, position: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(type, cart line or -1) of each event, from its position in its session."""
    items = sessions.items[session]
    in_lines = (position >= 1) & (position <= 2 * items)
    tail = position - 2 * items                     # 1: checkout, 2: purchase (cart and recovery sessions)
    event_type = np.select(
        [position == 0, in_lines, sessions.is_browse[session], tail == 1],
        [np.where(sessions.searched[session], SEARCH, PAGE_VIEW),
         np.where((position - 1) % 2 == 0, PRODUCT_VIEW, ADD_TO_CART), PRODUCT_VIEW, CHECKOUT],
        default=PURCHASE,
    )
    return event_type, np.where(in_lines, (position - 1) // 2, -1)


def _event_products(inputs: SessionInputs, carts: CartRows, sessions: Sessions, session: np.ndarray,
                    position: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Product of each event: the cart line's, a browse view's draw, NO_PRODUCT on other pages."""
    product = np.full(len(session), NO_PRODUCT, np.int64)
    lines = np.flatnonzero(line >= 0)
    product[lines] = carts.products[carts.first_line[sessions.row[session[lines]]] + line[lines]]
    browse_view = np.flatnonzero(sessions.is_browse[session] & (position >= 1))
    s = session[browse_view]
    product[browse_view] = _browse_products(inputs, carts, sessions.cart[s], sessions.code[s], position[browse_view] - 1,
                                            sessions.day[s], sessions.row[s])
    return product


def _event_times(inputs: SessionInputs, carts: CartRows, sessions: Sessions, session: np.ndarray,
                 position: np.ndarray, event_type: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(dwell seconds, timestamp) of each event: a session ends in its order's slot or starts in a drawn one."""
    seed, counts = inputs.seed, sessions.events
    cart, code, day = sessions.cart, sessions.code, sessions.day
    u = hashing.uniform(seed, "events.dwell", cart[session], code[session], position)
    dwell = np.minimum(1 + np.floor(-np.log1p(-u) * np.asarray(MEAN_DWELL_SECONDS)[event_type]), MAX_DWELL_SECONDS)
    dwell = np.where(position == counts[session] - 1, 0.0, dwell)          # the session's last page
    elapsed_all = np.cumsum(dwell) - dwell            # seconds since the batch's first event, before this one
    session_first = np.cumsum(counts) - counts
    elapsed = (elapsed_all - elapsed_all[session_first][session]).astype(np.int64)
    duration = elapsed[session_first + counts - 1]    # first to last event of each session
    recovery_slot = order_slots(seed, order_ids(inputs.days.astype(np.int64)[np.maximum(day, 0)],
                                                sessions.recovery_order), True)
    browse_slot = hashing.choice(seed, "events.browse_slot", DIGITAL_SLOT_WEIGHTS, cart, code)
    slot = np.where(sessions.is_recovery, recovery_slot,
                    np.where(sessions.is_browse, browse_slot, carts.slot[sessions.row])).astype(np.int64)
    anchor = slot * SLOT_SECONDS + hashing.integers(seed, "events.second", 0, SLOT_SECONDS - 1, cart, code)
    start = np.where(sessions.is_browse, anchor, anchor - duration)   # cart and recovery sessions end in the slot
    start = np.clip(start, 0, SECONDS_PER_DAY - 1 - duration)
    timestamp = inputs.days[day].astype("datetime64[s]")[session] + (start[session] + elapsed).astype("timedelta64[s]")
    return dwell, timestamp
