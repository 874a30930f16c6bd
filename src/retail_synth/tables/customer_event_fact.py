"""gold_customer_event_fact: the clickstream sessions of the carts, from the cart decision table.

Spark-free and vectorised: `batches` turns a batch of cart decision rows
(carts.CART_DECISION_SCHEMA) into the events of their sessions. Every draw is
hashed from (seed, stream, cart id, session code[, event position]), so a
cart's sessions do not depend on how the decision table is batched.

Sessions (session code in brackets; ids carry the cart's date key and order number)
  * cart session [C], one per cart of the horizon (day >= warmup_days):
      entry (page_view of the home page, or a search for the first item's
      product type), then product_view + add_to_cart per cart line (line
      order), then
        - checked_out_sold: checkout + purchase. The purchase event is the
          checkout complete of the order: event_label = its transaction_id
          in gold_sales_fact (keys.transaction_ids of the cart's day and
          order number);
        - abandoned: checkout only when the cart's abandonment_stage
          (keys.abandonment_stages, as its abandonment row) is past 'cart';
          never a purchase;
        - neither (checked out but nothing could be sold): checkout, no purchase.
  * recovery session [R], one per recovered cart whose recovery_day is in the
    horizon (the cart itself may be in the warm-up): page_view of the
    restored cart (from the recovery email: utm email / email /
    cart_recovery), checkout, purchase with event_label = the recovered
    order's transaction_id (day = recovery_day, order number =
    demand.recovered_order_numbers, slot = demand.order_slots).
  * browse sessions [B1, B2, ...]: distributions.browse_sessions (Poisson)
    per horizon cart, by the same customer on the same channel, on the cart's
    day or up to events.browse_lookback_days before (never before the first
    horizon day): an entry page and, unless the session bounces
    (events.browse_bounce_share), browse_views_min..max product views
    (an item of the cart with events.browse_cart_item_share, else a product
    drawn by popularity among those on sale that day). No add_to_cart.
  So every digital order of gold_sales_fact has exactly one purchase event
  (its checkout complete), and every cart's add_to_cart / checkout events
  carry event_label = its cart_id (CART-<date_key>-<order>, the cart_id of
  gold_cart_abandonment_fact): an abandoned cart's session is the one whose
  add_to_cart events have its cart_id, and it has no purchase event.

Vocabulary: event_type 'page_view', 'search', 'product_view', 'add_to_cart',
'checkout' (checkout start, event_action 'checkout_start') and 'purchase'
(checkout complete, event_action 'checkout_complete'); 'remove_from_cart' is
never produced.

Time: the last event of a cart or recovery session falls in the order's
quarter-hour slot (so a purchase has the time_key of its sales lines), a
browse session starts in a hashed digital slot; each event lasts
time_on_page_seconds (1..MAX_DWELL_SECONDS, exponential by event type; 0 on
the session's last event) before the next one, so timestamps increase
strictly within a session, and sessions are clipped to stay within their day.
date_key and time_key are computed from event_timestamp (UTC).
Events are horizon-only, and every customer was acquired before start_date
(customers.build_customer_dim), so no event precedes its customer's
acquisition_date.

Attributes constant within a session: channel (the cart's), device_type /
browser / operating_system (a hashed profile of the channel per customer and
channel: APP_IOS -> mobile or tablet / app / ios, WEB_DESKTOP -> desktop /
chrome, edge, safari or firefox / windows or macos, ...), utm_* (a hashed
traffic source of the channel; recovery sessions come from the email),
geo_city / geo_region (the customer's, as in gold_customer_dim) and
geo_country 'US'. location_key is NULL (carts are online); referrer_url is
the previous event's page_url, the source's site for a session's first event,
and NULL for direct, email and push visits and app events.

bounce_flag: the session has one event. conversion_flag: the session ends in
a purchase (set on every event of the session).
"""

from __future__ import annotations

import datetime as dt
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from retail_synth.model.simulation.demand import (
    DIGITAL_SLOT_WEIGHTS,
    order_ids,
    order_slots,
    recovered_order_numbers,
)
from retail_synth.model.simulation.pricing import sale_amounts
from retail_synth.model.simulation.world import World, guided_search
from retail_synth.spec import hashing
from retail_synth.spec.contracts import arrow_schema
from retail_synth.spec.distributions import conditional_draw
from retail_synth.spec.ids import (
    SLOT_SECONDS,
    date_keys,
    joined,
    padded,
    product_ids,
    time_keys,
)
from retail_synth.spec.vocabulary import (
    DEVICE_NAMES,
    DEVICES,
    DRAWN_SOURCES,
    RECOVERY_SOURCE,
    SOURCES,
)
from retail_synth.tables.arrow_batches import null_unless, record_batch
from retail_synth.tables.keys import (
    abandonment_stages,
    cart_ids,
    order_references,
    transaction_ids,
)

TABLE = "gold_customer_event_fact"
EVENTS_PER_CART = 10                 # rough events per decision row (about 9.7 by default): sizes the carts per output batch

# ---- sessions
CART_SESSION, RECOVERY_SESSION, BROWSE_SESSION = 0, 1, 2
SESSION_CODE_BASE = 1000             # hashed session code = kind * this + browse number
PRODUCT_REDRAWS = 8                  # redraws of a browse product not on sale that day

# ---- events: type, category, action, mean seconds on the page
PAGE_VIEW, SEARCH, PRODUCT_VIEW, ADD_TO_CART, CHECKOUT, PURCHASE = range(6)
EVENT_TYPES = ("page_view", "search", "product_view", "add_to_cart", "checkout", "purchase")
EVENT_CATEGORIES = ("navigation", "navigation", "engagement", "commerce", "commerce", "commerce")
EVENT_ACTIONS = ("view", "submit", "view", "click", "checkout_start", "checkout_complete")
MEAN_DWELL_SECONDS = (25.0, 20.0, 50.0, 15.0, 120.0, 30.0)
MAX_DWELL_SECONDS = 600
SECONDS_PER_DAY = 86_400
EVENT_NUMBER_DIGITS = 3

SITE = "https://shop.example.com"
APP_SITE = "app://shop"




def _group_positions(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(group of each element, position of the element in its group) of groups of `counts` elements."""
    group = np.repeat(np.arange(len(counts)), counts)
    first = np.cumsum(counts) - counts
    return group, np.arange(len(group)) - first[group]


def _browse_products(world: World, cart, code, view, day, cart_first, cart_items, flat_products) -> np.ndarray:
    """Product of browse view `view` of a session: an item of its cart, or drawn by popularity among products on sale."""
    seed = world.seed
    pick = np.floor(hashing.uniform(seed, "events.browse_item", cart, code, view) * cart_items).astype(np.int64)
    item = cart_first + np.minimum(pick, np.maximum(cart_items - 1, 0))
    from_cart = (hashing.uniform(seed, "events.browse_from_cart", cart, code, view)
                 < world.config.events.browse_cart_item_share) & (cart_items > 0)
    cdf, guide = world.popularity_cdf, world.popularity_guide
    product = guided_search(cdf, guide, hashing.uniform(seed, "events.browse_product", cart, code, view))
    bad = np.flatnonzero((day < world.launch_day[product]) | (day >= world.end_of_life_day[product]))
    for attempt in range(1, PRODUCT_REDRAWS + 1):
        if len(bad) == 0:
            break
        redraw = guided_search(cdf, guide, hashing.uniform(seed, "events.browse_product", cart[bad], code[bad], view[bad], attempt))
        ok = (day[bad] >= world.launch_day[redraw]) & (day[bad] < world.end_of_life_day[redraw])
        product[bad[ok]] = redraw[ok]
        bad = bad[~ok]
    if len(flat_products):
        product = np.where(from_cart, flat_products[np.minimum(item, len(flat_products) - 1)], product)
    return product.astype(np.int64)


def batches(world: World, decisions: pa.RecordBatch, etl_timestamp: dt.datetime, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The events of the carts of a batch of the decision table (CART_DECISION_SCHEMA), at most batch_rows a batch.

    Carts are taken EVENTS_PER_CART to a batch row, and a batch that still
    comes out longer is sliced (zero-copy). The contract has no etl_timestamp
    column: the argument is accepted for symmetry with the other producers.
    """
    batch_rows = max(1, int(batch_rows))
    carts = max(1, batch_rows // EVENTS_PER_CART)
    for lo in range(0, decisions.num_rows, carts):
        events = _session_events(world, decisions.slice(lo, carts))
        for start in range(0, max(events.num_rows, 1), batch_rows):
            yield events.slice(start, batch_rows)


def _session_events(world: World, decisions: pa.RecordBatch) -> pa.RecordBatch:
    """The events of the sessions of the carts in `decisions`."""
    seed, warmup = world.seed, world.warmup_days
    ev, declared = world.config.events, world.config.distributions
    col = {name: decisions.column(name) for name in decisions.schema.names}
    num = {name: col[name].to_numpy(zero_copy_only=False) for name in
           ("cart", "day", "order", "customer", "channel", "slot", "items", "cart_value",
            "abandoned", "checked_out_sold", "recovered", "recovery_day")}
    products = col["products"]
    lengths = pc.list_value_length(products).to_numpy(zero_copy_only=False).astype(np.int64)
    flat_products = products.flatten().to_numpy(zero_copy_only=False).astype(np.int64)
    cart_first = np.cumsum(lengths) - lengths

    # ---------------------------------------------------------------- sessions
    in_horizon = np.flatnonzero(num["day"] >= warmup)
    recovered = np.flatnonzero(num["recovered"] & (num["recovery_day"] >= warmup))
    browse_count = declared.browse_sessions.draw(seed, "events.browse_sessions", num["cart"][in_horizon])
    browse_row, browse_number = _group_positions(browse_count)
    row = np.concatenate([in_horizon, recovered, in_horizon[browse_row]])
    kind = np.concatenate([np.full(len(in_horizon), CART_SESSION), np.full(len(recovered), RECOVERY_SESSION),
                           np.full(len(browse_row), BROWSE_SESSION)])
    number = np.concatenate([np.zeros(len(in_horizon) + len(recovered), np.int64), browse_number + 1])
    order_of_sessions = np.lexsort((number, kind, row))
    row, kind, number = row[order_of_sessions], kind[order_of_sessions], number[order_of_sessions]
    n_sessions = len(row)
    if n_sessions == 0:
        return pa.RecordBatch.from_pylist([], schema=arrow_schema(TABLE))

    cart = num["cart"][row]
    code = kind * SESSION_CODE_BASE + number
    customer = num["customer"][row].astype(np.int64)
    channel = num["channel"][row].astype(np.int64)
    cart_day = num["day"][row].astype(np.int64)
    is_cart, is_recovery, is_browse = kind == CART_SESSION, kind == RECOVERY_SESSION, kind == BROWSE_SESSION
    lookback = hashing.integers(seed, "events.browse_day", 0, ev.browse_lookback_days, cart, code)
    day = np.where(is_recovery, num["recovery_day"][row],
                   np.where(is_browse, np.maximum(cart_day - lookback, warmup), cart_day)).astype(np.int64)

    sold = num["checked_out_sold"][row]
    abandoned = num["abandoned"][row]
    stage = abandonment_stages(seed, declared.abandonment_stage, cart)   # as the abandonment row: 0 = 'cart'
    has_checkout = is_recovery | (is_cart & (~abandoned | (stage > 0)))
    has_purchase = is_recovery | (is_cart & sold)
    items = np.where(is_cart, num["items"][row], 0).astype(np.int64)
    bounce = hashing.uniform(seed, "events.bounce", cart, code) < ev.browse_bounce_share
    views = hashing.integers(seed, "events.browse_views", ev.browse_views_min, ev.browse_views_max, cart, code)
    views = np.where(is_browse & ~bounce, views, 0)
    counts = 1 + 2 * items + has_checkout + has_purchase + views
    searched = ~is_recovery & (hashing.uniform(seed, "events.search_entry", cart, code) < ev.search_entry_share)

    row_first, row_items = cart_first[row], lengths[row]
    first_product = np.where(
        is_browse,
        _browse_products(world, cart, code, np.zeros(n_sessions, np.int64), day, row_first, row_items, flat_products),
        flat_products[np.minimum(row_first, max(len(flat_products) - 1, 0))] if len(flat_products) else 0,
    )
    by_channel = [declared.session_source[str(c)] for c in world.channel_code]
    source = conditional_draw(by_channel, DRAWN_SOURCES, seed, "events.source",
                              channel, hashing.hash64(seed, "events.source_id", cart, code).view(np.int64))
    source = np.where(is_recovery, RECOVERY_SOURCE, source)
    by_channel = [declared.session_device[str(c)] for c in world.channel_code]
    device = conditional_draw(by_channel, DEVICE_NAMES, seed, "events.device",
                              channel, hashing.hash64(seed, "events.device_id", world.customer_key[customer], channel).view(np.int64))
    is_app = np.array([d[1] == "app" for d in DEVICES])[device]

    # ---------------------------------------------------------------- events
    sess, pos = _group_positions(counts)
    n = len(sess)
    it = items[sess]
    in_lines = (pos >= 1) & (pos <= 2 * it)
    tail = pos - 2 * it                               # 1: checkout, 2: purchase (cart and recovery sessions)
    etype = np.select(
        [pos == 0, in_lines, is_browse[sess], tail == 1],
        [np.where(searched[sess], SEARCH, PAGE_VIEW), np.where((pos - 1) % 2 == 0, PRODUCT_VIEW, ADD_TO_CART),
         PRODUCT_VIEW, CHECKOUT],
        default=PURCHASE,
    )
    is_product = (etype == PRODUCT_VIEW) | (etype == ADD_TO_CART)
    line = np.where(in_lines, (pos - 1) // 2, 0)
    browse_view = np.flatnonzero(is_browse[sess] & (pos >= 1))
    product = np.full(n, -1, np.int64)
    lines = np.flatnonzero(in_lines)
    product[lines] = flat_products[row_first[sess[lines]] + line[lines]]
    s = sess[browse_view]
    product[browse_view] = _browse_products(world, cart[s], code[s], pos[browse_view] - 1, day[s], row_first[s],
                                            row_items[s], flat_products)
    product_safe = np.maximum(product, 0)

    # time: dwell on each page, the session's last page 0
    u = hashing.uniform(seed, "events.dwell", cart[sess], code[sess], pos)
    dwell = np.minimum(1 + np.floor(-np.log1p(-u) * np.asarray(MEAN_DWELL_SECONDS)[etype]), MAX_DWELL_SECONDS)
    last = pos == counts[sess] - 1
    dwell = np.where(last, 0.0, dwell)
    elapsed_all = np.cumsum(dwell) - dwell            # seconds since the batch's first event, before this one
    session_first = np.cumsum(counts) - counts
    elapsed = (elapsed_all - elapsed_all[session_first][sess]).astype(np.int64)
    duration = elapsed[session_first + counts - 1]    # first to last event of each session
    recovery_order = recovered_order_numbers(num["recovery_day"][row].astype(np.int64) - cart_day, num["order"][row])
    recovery_slot = order_slots(seed, order_ids(world.epoch_day[np.maximum(day, 0)], recovery_order), True)
    browse_slot = hashing.choice(seed, "events.browse_slot", DIGITAL_SLOT_WEIGHTS, cart, code)
    slot = np.where(is_recovery, recovery_slot, np.where(is_browse, browse_slot, num["slot"][row])).astype(np.int64)
    anchor = slot * SLOT_SECONDS + hashing.integers(seed, "events.second", 0, SLOT_SECONDS - 1, cart, code)
    start = np.where(is_browse, anchor, anchor - duration)          # cart and recovery sessions end in the order's slot
    start = np.clip(start, 0, SECONDS_PER_DAY - 1 - duration)
    seconds = world.days[day].astype("datetime64[s]")[sess] + (start[sess] + elapsed).astype("timedelta64[s]")
    event_date = seconds.astype("datetime64[D]")
    second_of_day = (seconds - event_date).astype(np.int64)

    # ---------------------------------------------------------------- ids and text
    cart_order = num["order"][row]
    cart_id = cart_ids(world, cart_day, cart_order)
    code_text = pc.if_else(pa.array(is_browse), joined("B", number, sep=""),
                           pa.array(np.where(is_recovery, "R", "C").astype(object), pa.string()))
    session_id = joined(order_references("SES", world, cart_day, cart_order), code_text)
    transaction = transaction_ids(world, day, np.where(is_recovery, recovery_order, cart_order))
    take = pa.array(sess)
    product_id = product_ids(world.product_key[product_safe])
    term = pa.array(world.product_type[first_product].astype(object), pa.string())
    app = pa.array(is_app[sess])
    site = pc.if_else(app, pa.scalar(APP_SITE), pa.scalar(SITE))
    static_path = np.array(["/", "/search", "", "", "/checkout", "/checkout/confirmation"], dtype=object)[etype]
    static_path = np.where(is_recovery[sess] & (etype == PAGE_VIEW), "/cart", static_path)
    path = pc.case_when(
        pc.make_struct(pa.array(is_product), pa.array(etype == SEARCH)),
        joined("/products/", product_id, sep=""),
        joined("/search?q=", pc.replace_substring(term, " ", "+").take(take), sep=""),
        pa.array(static_path, pa.string()),
    )
    page_url = joined(site, path, sep="")
    first_referrer = pa.array([s[3] for s in SOURCES.values()], pa.string()).take(pa.array(source[sess]))
    previous = page_url.take(pa.array(np.maximum(np.arange(n) - 1, 0)))
    referrer = pc.if_else(pa.array(pos == 0), first_referrer, previous)
    referrer = null_unless(~is_app[sess], referrer)
    label = pc.case_when(
        pc.make_struct(pa.array(etype == PRODUCT_VIEW), pa.array((etype == ADD_TO_CART) | (etype == CHECKOUT)
                                                                 | (is_recovery[sess] & (etype == PAGE_VIEW))),
                       pa.array(etype == PURCHASE), pa.array(etype == SEARCH)),
        product_id, cart_id.take(take), transaction.take(take), pa.scalar("search_results"), pa.scalar("home"),
    )
    unit_price = sale_amounts(world, product_safe, day[sess], np.ones(n))[2]
    value = np.select([is_product, etype == PURCHASE], [unit_price, num["cart_value"][row][sess]], default=0.0)
    digital = world.channel_is_digital[channel]
    home_store = world.location_key[world.customer_home[customer]]
    source_parts = list(zip(*SOURCES.values()))

    def per_session(values) -> np.ndarray:
        return np.asarray(values, dtype=object)[sess]

    columns = {
        "event_id": joined(order_references("EVT", world, cart_day, cart_order).take(take), code_text.take(take),
                           padded(pos + 1, EVENT_NUMBER_DIGITS)),
        "session_id": session_id.take(take),
        "customer_key": world.customer_key[customer][sess],
        "product_key": pa.array(world.product_key[product_safe], mask=~is_product),
        "location_key": pa.array(home_store[sess], mask=digital[sess]),
        "channel_key": world.channel_key[channel][sess],
        "date_key": date_keys(event_date),
        "time_key": time_keys(second_of_day // SLOT_SECONDS),
        "event_timestamp": pa.array(seconds.astype("datetime64[us]"), pa.timestamp("us", tz="UTC")),
        "event_type": np.asarray(EVENT_TYPES, dtype=object)[etype],
        "event_category": np.asarray(EVENT_CATEGORIES, dtype=object)[etype],
        "event_action": np.asarray(EVENT_ACTIONS, dtype=object)[etype],
        "event_label": label,
        "event_value": np.round(value, 2),
        "time_on_page_seconds": dwell,
        "bounce_flag": (counts == 1)[sess],
        "conversion_flag": has_purchase[sess],
        "page_url": page_url,
        "referrer_url": referrer,
        "search_term": null_unless(etype == SEARCH, term.take(take)),
        "utm_source": per_session(np.asarray(source_parts[0], dtype=object)[source]),
        "utm_medium": per_session(np.asarray(source_parts[1], dtype=object)[source]),
        "utm_campaign": per_session(np.asarray(source_parts[2], dtype=object)[source]),
        "device_type": per_session(np.asarray([d[0] for d in DEVICES], dtype=object)[device]),
        "browser": per_session(np.asarray([d[1] for d in DEVICES], dtype=object)[device]),
        "operating_system": per_session(np.asarray([d[2] for d in DEVICES], dtype=object)[device]),
        "geo_city": per_session(world.customer_geo_city[customer]),
        "geo_region": per_session(world.customer_geo_region[customer]),
        "geo_country": "US",
    }
    return record_batch(TABLE, columns, n)

