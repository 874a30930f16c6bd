"""gold_customer_event_fact from the tiny run's cart decisions (no Spark)."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
import pyarrow as pa

from retail_synth.model.dimensions.channels import channel_keys
from retail_synth.model.dimensions.time_of_day import build_time_dim
from retail_synth.spec.contracts import arrow_schema
from retail_synth.tables import cart_abandonment_fact, customer_event_fact, sales_fact
from tests.support.simulated_worlds import tiny_decisions, tiny_dimensions
from tests.tables.tiny_tables import formatted, tiny_table


@lru_cache(maxsize=4)
def events(*assignments: str) -> pd.DataFrame:
    table = tiny_table(customer_event_fact.TABLE, *assignments)
    assert table.schema == arrow_schema(customer_event_fact.TABLE)
    frame = table.to_pandas()
    frame["position"] = frame["event_id"].str.rsplit("-", n=1).str[1].astype(int)
    return frame.sort_values(["session_id", "position"]).reset_index(drop=True)


def sales() -> pd.DataFrame:
    return tiny_table(sales_fact.TABLE).to_pandas()


def sessions(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.groupby("session_id").agg(
        n=("event_id", "size"),
        adds=("event_type", lambda t: (t == "add_to_cart").sum()),
        views=("event_type", lambda t: (t == "product_view").sum()),
        purchases=("event_type", lambda t: (t == "purchase").sum()),
        checkouts=("event_type", lambda t: (t == "checkout").sum()),
    )


def test_ids_are_unique_and_sessions_belong_to_one_customer_and_channel():
    ev = events()
    assert ev["event_id"].is_unique
    per_session = ev.groupby("session_id")[["customer_key", "channel_key"]].nunique()
    assert (per_session == 1).all().all()
    assert (ev.groupby("session_id")["position"].apply(lambda p: list(p) == list(range(1, len(p) + 1)))).all()


def test_every_digital_order_has_exactly_one_checkout_complete():
    ev, s = events(), sales()
    orders = s.loc[s["pos_terminal_id"].isna()].groupby("transaction_id").agg(date_key=("date_key", "first"),
                                                                              time_key=("time_key", "first"))
    purchases = ev.loc[ev["event_type"] == "purchase"]
    assert purchases["event_label"].is_unique
    assert set(purchases["event_label"]) == set(orders.index)
    assert len(orders) > 20
    joined = purchases.merge(orders, left_on="event_label", right_index=True, suffixes=("", "_sale"))
    assert len(joined) == len(purchases)
    assert (joined["date_key"] == joined["date_key_sale"]).all()
    # the session ends in the order's quarter hour unless it had to be moved to stay within the day
    assert (joined["time_key"] == joined["time_key_sale"]).mean() > 0.9
    assert (purchases["event_action"] == "checkout_complete").all() and purchases["conversion_flag"].all()


def test_recovered_orders_get_their_own_purchase_session():
    ev, s = events(), sales()
    recovery = ev.loc[ev["session_id"].str.endswith("-R")]
    assert len(recovery) > 0
    recovered_orders = set(s.loc[s["pos_terminal_id"].isna() & (s["order_number"].str[-7:].astype(int) > 1_000_000),
                                 "transaction_id"])
    assert set(recovery.loc[recovery["event_type"] == "purchase", "event_label"]) == recovered_orders
    assert (recovery["utm_campaign"] == "cart_recovery").all()


def test_every_abandoned_cart_has_a_session_with_cart_adds_and_no_purchase():
    ev = events()
    carts = tiny_table(cart_abandonment_fact.TABLE).to_pandas()
    adds = ev.loc[ev["event_type"] == "add_to_cart", ["session_id", "event_label"]].drop_duplicates()
    linked = carts.merge(adds, left_on="cart_id", right_on="event_label", how="left")
    assert linked["session_id"].notna().all() and linked["cart_id"].is_unique and linked["session_id"].is_unique
    summary = sessions(ev).loc[linked["session_id"]]
    assert (summary["purchases"] == 0).all()
    assert (summary["adds"].to_numpy() == linked["items_count"].to_numpy()).all()
    # the session reaches checkout exactly when the cart was abandoned past the cart stage
    assert ((summary["checkouts"].to_numpy() == 1) == (linked["abandonment_stage"].to_numpy() != "cart")).all()


def test_browse_only_sessions_exist_with_views_and_no_cart_adds():
    ev = events()
    s = sessions(ev)
    browse = s.loc[s.index.str.contains(r"-B\d+$")]
    assert len(browse) > 0.5 * (s.index.str.endswith("-C")).sum()
    assert (browse[["adds", "purchases", "checkouts"]] == 0).all().all()
    assert (browse["views"] > 0).mean() > 0.4 and (browse["n"] == 1).any()
    bounced = ev.loc[ev["session_id"].isin(browse.index[browse["n"] == 1])]
    assert bounced["bounce_flag"].all() and not ev.loc[~ev["session_id"].isin(bounced["session_id"]), "bounce_flag"].any()


def test_timestamps_increase_within_sessions_by_the_time_on_page():
    ev = events()
    t = ev["event_timestamp"].astype("int64") // 10**6
    same = ev["session_id"].eq(ev["session_id"].shift())
    step = (t - t.shift())[same]
    assert (step > 0).all()
    assert (step.to_numpy() == ev["time_on_page_seconds"].shift()[same].to_numpy()).all()
    last = ~ev["session_id"].eq(ev["session_id"].shift(-1))
    assert (ev.loc[last, "time_on_page_seconds"] == 0).all()
    assert (ev.groupby("session_id")["date_key"].nunique() == 1).all()


def test_date_and_time_keys_come_from_the_timestamp():
    ev = events()
    ts = ev["event_timestamp"].dt.tz_convert("UTC")
    assert (ev["date_key"] == ts.dt.year * 10000 + ts.dt.month * 100 + ts.dt.day).all()
    assert (ev["time_key"] == ts.dt.hour * 100 + ts.dt.minute // 15 * 15).all()
    assert set(ev["time_key"]) <= set(build_time_dim().column("time_key").to_pylist())


def test_events_are_in_the_horizon_and_after_the_customers_acquisition():
    config, dims = tiny_dimensions()
    ev = events()
    day = ev["event_timestamp"].dt.tz_convert("UTC").dt.date
    assert day.min() >= config.start_date and day.max() <= config.end_date
    customers = dims["gold_customer_dim"].to_pandas().set_index("customer_key")
    acquired = customers.loc[ev["customer_key"], "acquisition_date"].to_numpy()
    assert (day.to_numpy() >= acquired).all()


def test_device_and_geography_are_constant_within_a_session_and_geography_is_the_customers():
    _, dims = tiny_dimensions()
    ev = events()
    constant = ["device_type", "browser", "operating_system", "utm_source", "utm_medium", "utm_campaign",
                "geo_city", "geo_region", "geo_country", "channel_key"]
    assert (ev.groupby("session_id")[constant].nunique(dropna=False) == 1).all().all()
    customers = dims["gold_customer_dim"].to_pandas().set_index("customer_key")
    assert (ev["geo_city"].to_numpy() == customers.loc[ev["customer_key"], "geo_city"].to_numpy()).all()
    assert (ev["geo_region"].to_numpy() == customers.loc[ev["customer_key"], "geo_region"].to_numpy()).all()
    assert (ev["geo_country"] == "US").all()
    channels = dims["gold_channel_dim"].to_pandas().set_index("channel_key")["channel_code"]
    code = channels.loc[ev["channel_key"]].to_numpy()
    ios, desktop = code == "APP_IOS", code == "WEB_DESKTOP"
    assert ios.any() or desktop.any()
    assert (ev.loc[ios, "browser"] == "app").all() and (ev.loc[ios, "operating_system"] == "ios").all()
    assert (ev.loc[desktop, "device_type"] == "desktop").all()
    assert ev.loc[ev["browser"] == "app", "referrer_url"].isna().all()


def test_columns_are_filled_where_the_contract_needs_them():
    ev = events()
    product_events = ev["event_type"].isin(["product_view", "add_to_cart"])
    assert ev.loc[product_events, "product_key"].notna().all() and ev.loc[~product_events, "product_key"].isna().all()
    assert ev.loc[ev["event_type"] == "search", "search_term"].notna().all()
    assert ev.loc[ev["event_type"] != "search", "search_term"].isna().all()
    assert ev.loc[product_events, "event_label"].str.match(r"^(PRD|CART)-").all()
    assert (ev.loc[product_events, "event_value"] > 0).all()
    required = [c for c in ev.columns if c not in ("product_key", "location_key", "referrer_url", "search_term",
                                                    "utm_campaign")]
    assert ev[required].notna().all().all()
    assert set(ev["event_type"]) == {"page_view", "search", "product_view", "add_to_cart", "checkout", "purchase"}


def test_events_do_not_depend_on_how_the_decisions_are_batched():
    world, decisions = tiny_decisions()
    whole = events().drop(columns="position").sort_values("event_id").reset_index(drop=True)
    batches = [decisions.slice(lo, 53).combine_chunks().to_batches()[0] for lo in range(0, decisions.num_rows, 53)]
    pieces = formatted(customer_event_fact.TABLE, world, batches, batch_rows=100)
    pieces = pieces.to_pandas().sort_values("event_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(whole, pieces)


def test_volume_per_cart_stays_modest_and_follows_the_browse_setting():
    world, decisions = tiny_decisions()
    horizon_carts = int((decisions.column("day").to_numpy() >= world.warmup_days).sum())
    default = len(events()) / horizon_carts
    without_browsing = events("distributions.browse_sessions.mean=0.0")
    assert 6 < default < 12        # the full preset has about a million horizon carts: ~10 M events at most
    assert not without_browsing["session_id"].str.contains("-B").any()
    assert len(without_browsing) / horizon_carts < default - 1.5


def test_an_empty_decision_batch_gives_no_events():
    world, decisions = tiny_decisions()
    empty = pa.RecordBatch.from_pylist([], schema=decisions.schema)
    assert formatted(customer_event_fact.TABLE, world, [empty]).num_rows == 0


def test_sources_and_devices_follow_their_declarations_per_channel():
    frame = events("distributions.session_source.WEB_DESKTOP.weights={google_cpc: 1.0}",
                   "distributions.session_device.WEB_DESKTOP.weights={desktop_firefox_windows: 1.0}")
    desktop = frame[frame.channel_key == channel_keys(["WEB_DESKTOP"])[0]]
    drawn = desktop[desktop.utm_campaign != "cart_recovery"]
    assert len(drawn) > 0 and (drawn.utm_medium == "cpc").all() and (drawn.utm_source == "google").all()
    assert (desktop.browser == "firefox").all() and (desktop.operating_system == "windows").all()
