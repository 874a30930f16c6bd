"""gold_customer_event_fact: the clickstream sessions of the carts, from the cart decision table.

`batches` hands a batch of cart decision rows (carts.CART_DECISION_SCHEMA) to
src/retail_synth/model/simulation/sessions.py, which decides the sessions and
their events (kinds, lengths, products, times, traffic: every draw), and
spells them as the contract's columns.

Ids carry the cart's date key and order number and a session code: C for the
cart session, R for the recovery session, B1, B2, ... for browse sessions
(SES-<date_key>-<order>-<code>, events EVT-...-<code>-<position from 001>).
  So every digital order of gold_sales_fact has exactly one purchase event
  (its checkout complete: event_label = its transaction_id, keys.transaction_ids
  of the session's day and the cart's or the recovered order's number), and
  every cart's add_to_cart / checkout events carry event_label = its cart_id
  (CART-<date_key>-<order>, the cart_id of gold_cart_abandonment_fact): an
  abandoned cart's session is the one whose add_to_cart events have its
  cart_id, and it has no purchase event.

Vocabulary: event_type 'page_view', 'search', 'product_view', 'add_to_cart',
'checkout' (checkout start, event_action 'checkout_start') and 'purchase'
(checkout complete, event_action 'checkout_complete'); 'remove_from_cart' is
never produced.

date_key and time_key are computed from event_timestamp (UTC). Events are
horizon-only, and every customer was acquired before start_date
(customers.build_customer_dim), so no event precedes its customer's
acquisition_date.

Attributes constant within a session: channel (the cart's), device_type /
browser / operating_system (the drawn device profile: APP_IOS -> mobile or
tablet / app / ios, WEB_DESKTOP -> desktop / chrome, edge, safari or firefox /
windows or macos, ...), utm_* (the drawn traffic source; recovery sessions
come from the email), geo_city / geo_region (the home of the customer's
version in effect that day) and geo_country 'US'. location_key is NULL (carts are
online); referrer_url is the previous event's page_url, the source's site for
a session's first event, and NULL for direct, email and push visits and app
events. page_url: the home page, /search?q=<product type of the first item>,
/products/<product_id>, /cart (a recovery session's entry), /checkout,
/checkout/confirmation.

bounce_flag: the session has one event. conversion_flag: the session ends in
a purchase (set on every event of the session).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from retail_synth.model.simulation import sessions as model
from retail_synth.model.simulation.sessions import (
    ADD_TO_CART,
    CHECKOUT,
    PAGE_VIEW,
    PRODUCT_VIEW,
    PURCHASE,
    SEARCH,
    Browsing,
    CartRows,
)
from retail_synth.spec.contracts import arrow_schema
from retail_synth.spec.ids import (
    SLOT_SECONDS,
    date_keys,
    joined,
    padded,
    product_ids,
    time_keys,
)
from retail_synth.spec.vocabulary import DEVICES, SOURCES
from retail_synth.tables.arrow_batches import null_unless, record_batch
from retail_synth.tables.keys import cart_ids, order_references, transaction_ids
from retail_synth.tables.views import EventView

TABLE = "gold_customer_event_fact"
VIEW = EventView
EVENTS_PER_CART = 10                 # rough events per decision row (about 9.7 by default): sizes the carts per output batch

# ---- by event type (sessions.PAGE_VIEW ..): type, category, action, page of the static pages
EVENT_TYPES = ("page_view", "search", "product_view", "add_to_cart", "checkout", "purchase")
EVENT_CATEGORIES = ("navigation", "navigation", "engagement", "commerce", "commerce", "commerce")
EVENT_ACTIONS = ("view", "submit", "view", "click", "checkout_start", "checkout_complete")
STATIC_PATHS = ("/", "/search", "", "", "/checkout", "/checkout/confirmation")
EVENT_NUMBER_DIGITS = 3

SITE = "https://shop.example.com"
APP_SITE = "app://shop"
IS_APP = np.array([d[1] == "app" for d in DEVICES])             # by device: native app events


def batches(view: EventView, decisions: pa.RecordBatch, etl_timestamp: dt.datetime,  # noqa: ARG001
            batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The events of the carts of a batch of the decision table (CART_DECISION_SCHEMA), at most batch_rows a batch.

    Carts are taken EVENTS_PER_CART to a batch row, and a batch that still
    comes out longer is sliced (zero-copy). The contract has no etl_timestamp
    column: the argument is accepted for symmetry with the other producers.
    """
    batch_rows = max(1, int(batch_rows))
    carts = max(1, batch_rows // EVENTS_PER_CART)
    for lo in range(0, decisions.num_rows, carts):
        events = _session_events(view, decisions.slice(lo, carts))
        for start in range(0, max(events.num_rows, 1), batch_rows):
            yield events.slice(start, batch_rows)


def _session_events(view: EventView, decisions: pa.RecordBatch) -> pa.RecordBatch:
    """The events of the sessions of the carts in `decisions`."""
    carts = CartRows.of(decisions)
    browsing = model.browsing(view.sessions, carts)
    if browsing is None:
        return pa.RecordBatch.from_pylist([], schema=arrow_schema(TABLE))
    columns = {**_ids_and_keys(view, browsing), **_pages(view, browsing), **_visitor(view, browsing)}
    return record_batch(TABLE, columns, len(browsing.events.session))


def _session_references(view: EventView, browsing: Browsing) -> tuple[pa.Array, pa.Array]:
    """(SES-<date_key>-<order> stem of each session's cart, its session code C, R, B1, B2, ...)."""
    s = browsing.sessions
    code = pc.if_else(pa.array(s.is_browse), joined("B", s.number, sep=""),
                      pa.array(np.where(s.is_recovery, "R", "C").astype(object), pa.string()))
    return order_references("SES", view.date_key, s.cart_day, s.cart_order), code


def _ids_and_keys(view: EventView, browsing: Browsing) -> dict:
    s, e = browsing.sessions, browsing.events
    take = pa.array(e.session)
    stem, code = _session_references(view, browsing)
    event_date = e.timestamp.astype("datetime64[D]")
    second_of_day = (e.timestamp - event_date).astype(np.int64)
    is_product = (e.type == PRODUCT_VIEW) | (e.type == ADD_TO_CART)
    customer, day = _customer_days(view, browsing)
    return {
        "event_id": joined(order_references("EVT", view.date_key, s.cart_day, s.cart_order).take(take),
                           code.take(take), padded(e.position + 1, EVENT_NUMBER_DIGITS)),
        "session_id": joined(stem, code).take(take),
        "customer_key": view.customer_versions.key_on(customer, day),
        "product_key": pa.array(view.product_key[np.maximum(e.product, 0)], mask=~is_product),
        "location_key": pa.array(view.location_key[view.customer_versions.home_on(customer, day)],
                                 mask=view.channel_is_digital[s.channel][e.session]),
        "channel_key": view.channel_key[s.channel][e.session],
        "date_key": date_keys(event_date),
        "time_key": time_keys(second_of_day // SLOT_SECONDS),
        "event_timestamp": pa.array(e.timestamp.astype("datetime64[us]"), pa.timestamp("us", tz="UTC")),
        "event_type": np.asarray(EVENT_TYPES, dtype=object)[e.type],
        "event_category": np.asarray(EVENT_CATEGORIES, dtype=object)[e.type],
        "event_action": np.asarray(EVENT_ACTIONS, dtype=object)[e.type],
        "event_value": np.round(e.value, 2),
        "time_on_page_seconds": e.dwell,
        "bounce_flag": (s.events == 1)[e.session],
        "conversion_flag": s.has_purchase[e.session],
    }


def _pages(view: EventView, browsing: Browsing) -> dict:
    """page_url, referrer_url, event_label and search_term: what each event looked at."""
    s, e = browsing.sessions, browsing.events
    take, etype = pa.array(e.session), e.type
    is_product = (etype == PRODUCT_VIEW) | (etype == ADD_TO_CART)
    recovery_entry = s.is_recovery[e.session] & (etype == PAGE_VIEW)
    product_id = product_ids(view.product_key[np.maximum(e.product, 0)])
    term = pa.array(view.product_type[s.first_product].astype(object), pa.string())
    app = pa.array(IS_APP[s.device][e.session])
    site = pc.if_else(app, pa.scalar(APP_SITE), pa.scalar(SITE))
    static_path = np.where(recovery_entry, "/cart", np.array(STATIC_PATHS, dtype=object)[etype])
    path = pc.case_when(
        pc.make_struct(pa.array(is_product), pa.array(etype == SEARCH)),
        joined("/products/", product_id, sep=""),
        joined("/search?q=", pc.replace_substring(term, " ", "+").take(take), sep=""),
        pa.array(static_path, pa.string()),
    )
    page_url = joined(site, path, sep="")
    first_referrer = pa.array([source[3] for source in SOURCES.values()], pa.string()).take(pa.array(s.source[e.session]))
    previous = page_url.take(pa.array(np.maximum(np.arange(len(etype)) - 1, 0)))
    referrer = pc.if_else(pa.array(e.position == 0), first_referrer, previous)
    cart_id = cart_ids(view.date_key, s.cart_day, s.cart_order)
    transaction = transaction_ids(view.date_key, s.day, np.where(s.is_recovery, s.recovery_order, s.cart_order))
    label = pc.case_when(
        pc.make_struct(pa.array(etype == PRODUCT_VIEW),
                       pa.array((etype == ADD_TO_CART) | (etype == CHECKOUT) | recovery_entry),
                       pa.array(etype == PURCHASE), pa.array(etype == SEARCH)),
        product_id, cart_id.take(take), transaction.take(take), pa.scalar("search_results"), pa.scalar("home"),
    )
    return {
        "event_label": label,
        "page_url": page_url,
        "referrer_url": null_unless(~IS_APP[s.device][e.session], referrer),
        "search_term": null_unless(etype == SEARCH, term.take(take)),
    }


def _customer_days(view: EventView, browsing: Browsing) -> tuple[np.ndarray, np.ndarray]:
    """(customer index, simulation day) of each event: its customer's version is the one in effect that day."""
    e = browsing.events
    day = (e.timestamp.astype("datetime64[D]") - np.datetime64(view.days[0], "D")).astype(np.int64)
    return browsing.sessions.customer[e.session], day


def _visitor(view: EventView, browsing: Browsing) -> dict:
    """The session's traffic source, device and geography (the home city of the customer's version), on each event."""
    s, e = browsing.sessions, browsing.events
    home = view.customer_versions.home_on(*_customer_days(view, browsing))
    source_parts = list(zip(*SOURCES.values(), strict=True))

    def per_event(by_session: np.ndarray) -> np.ndarray:
        return np.asarray(by_session, dtype=object)[e.session]

    return {
        "utm_source": per_event(np.asarray(source_parts[0], dtype=object)[s.source]),
        "utm_medium": per_event(np.asarray(source_parts[1], dtype=object)[s.source]),
        "utm_campaign": per_event(np.asarray(source_parts[2], dtype=object)[s.source]),
        "device_type": per_event(np.asarray([d[0] for d in DEVICES], dtype=object)[s.device]),
        "browser": per_event(np.asarray([d[1] for d in DEVICES], dtype=object)[s.device]),
        "operating_system": per_event(np.asarray([d[2] for d in DEVICES], dtype=object)[s.device]),
        "geo_city": np.asarray(view.location_city, dtype=object)[home],
        "geo_region": np.asarray(view.location_region, dtype=object)[home],
        "geo_country": "US",
    }
