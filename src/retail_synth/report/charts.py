"""The report's charts, drawn from small pandas frames into base64 PNGs (no Spark here).

Each function takes the aggregate the report computed and returns the PNG as
a base64 string, ready for `<img src="data:image/png;base64,...">`, so the
HTML file carries its pictures and can be mailed or opened offline.
"""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.ticker import MaxNLocator, PercentFormatter

WIDE = (10, 3.6)
INK, ACCENT, MUTED, ALERT = "#1f4e79", "#e07b39", "#9aa5b1", "#c0392b"
ANOMALY_COLORS = {"shrinkage": "#8e44ad", "late_delivery": "#d4ac0d"}   # other types mark no single position


def _encoded(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _date_axis(ax) -> None:
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=10))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %d"))
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)


def percent(share: float) -> str:
    """A share as a percentage without trailing zeros: 0.05 -> 5%, 0.005 -> 0.5%."""
    return f"{round(share * 100, 6):g}%"


def stockout_rate_chart(daily: pd.DataFrame, band: tuple[float, float]) -> str:
    """daily: calendar_date, stockout_rate; the target band is shaded."""
    fig, ax = plt.subplots(figsize=WIDE)
    ax.axhspan(*band, color=ACCENT, alpha=0.12, label=f"target band {percent(band[0])} to {percent(band[1])}")
    ax.plot(daily["calendar_date"], daily["stockout_rate"], color=INK, linewidth=1.8, label="share of positions out of stock")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(0, max(band[1] * 1.5, float(daily["stockout_rate"].max()) * 1.1))
    ax.set_ylabel("positions out of stock")
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, frameon=False, fontsize=9)
    _date_axis(ax)
    return _encoded(fig)


def trajectory_chart(on_hand: pd.DataFrame, inflows: pd.DataFrame, anomalies: pd.DataFrame | None = None) -> str:
    """on_hand: position, calendar_date, quantity_on_hand; inflows: position, calendar_date, movement_type, quantity;
    anomalies (optional): position, anomaly_type, start, end.

    One panel per position (in name order): end-of-day on hand as steps, supplier receipts
    and return restocks marked on the day they arrive, stockout days marked, anomalies shaded.
    """
    positions = sorted(on_hand["position"].unique())
    fig, axes = plt.subplots(len(positions), 1, figsize=(10, 2.3 * len(positions)), sharex=True, squeeze=False)
    for ax, position in zip(axes[:, 0], positions, strict=True):
        days = on_hand[on_hand["position"] == position]
        ax.step(days["calendar_date"], days["quantity_on_hand"], where="post", color=INK, linewidth=1.5,
                label="on hand (end of day)")
        out = days[days["quantity_on_hand"] == 0]
        ax.scatter(out["calendar_date"], out["quantity_on_hand"], color=ALERT, marker="s", s=14, zorder=3, label="stockout day")
        level = days.set_index("calendar_date")["quantity_on_hand"]
        for kind, marker, size, color, label in (("return", "o", 22, "#2e8b57", "return restock"),
                                                 ("receipt", "^", 70, ACCENT, "supplier receipt")):
            moved = inflows[(inflows["position"] == position) & (inflows["movement_type"] == kind)]
            ax.scatter(moved["calendar_date"], level.reindex(moved["calendar_date"]).to_numpy(), marker=marker,
                       s=size, color=color, edgecolor="white", linewidth=0.6, zorder=4, label=label)
        if anomalies is not None:
            for mark in anomalies[anomalies["position"] == position].itertuples():
                ax.axvspan(pd.Timestamp(mark.start) - pd.Timedelta(hours=12), pd.Timestamp(mark.end) + pd.Timedelta(hours=12),
                           color=ANOMALY_COLORS.get(mark.anomaly_type, MUTED), alpha=0.25, zorder=0,
                           label=f"anomaly: {mark.anomaly_type}")
        ax.set_title(position, fontsize=9, loc="left")
        ax.set_ylim(bottom=-0.04 * max(1, days["quantity_on_hand"].max()))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("units")
        _date_axis(ax)
    legend: dict[str, Artist] = {}                  # every panel's entries once (anomaly types differ by panel)
    for ax in axes[:, 0]:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            legend.setdefault(label, handle)
    fig.legend(legend.values(), legend.keys(), loc="upper center", ncol=4, frameon=False, fontsize=9,
               bbox_to_anchor=(0.5, 1.02))
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return _encoded(fig)


def sales_and_stockouts_chart(daily: pd.DataFrame) -> str:
    """daily: calendar_date, units_sold (bars, left axis), stockout_positions (line, right axis)."""
    fig, ax = plt.subplots(figsize=WIDE)
    ax.bar(daily["calendar_date"], daily["units_sold"], color=MUTED, width=0.8, label="units sold")
    ax.set_ylabel("units sold")
    right = ax.twinx()
    right.plot(daily["calendar_date"], daily["stockout_positions"], color=ALERT, linewidth=1.8,
               label="positions out of stock")
    right.set_ylabel("positions out of stock")
    right.set_ylim(bottom=0)
    right.spines[["top"]].set_visible(False)
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax.legend(handles, ["units sold", "positions out of stock"], loc="lower left", bbox_to_anchor=(0, 1.0),
              ncol=2, frameon=False, fontsize=9)
    _date_axis(ax)
    return _encoded(fig)


def demand_vs_sales_chart(daily: pd.DataFrame) -> str:
    """daily: calendar_date, demand_units (requested, lost attempts included), sold_units."""
    fig, ax = plt.subplots(figsize=WIDE)
    ax.fill_between(daily["calendar_date"], daily["sold_units"], daily["demand_units"], color=ALERT, alpha=0.25,
                    label="not sold: stock short")
    ax.plot(daily["calendar_date"], daily["demand_units"], color=INK, linewidth=1.6, label="units requested (demand)")
    ax.plot(daily["calendar_date"], daily["sold_units"], color=ACCENT, linewidth=1.6, label="units sold")
    ax.set_ylim(bottom=0)
    ax.set_ylabel("units")
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3, frameon=False, fontsize=9)
    _date_axis(ax)
    return _encoded(fig)


def abandonment_chart(by_class: pd.DataFrame) -> str:
    """by_class: low_inventory (bool), abandoned, orders; bars of abandoned / (abandoned + orders)."""
    rate = by_class["abandoned"] / (by_class["abandoned"] + by_class["orders"])
    labels = ["holds a low-inventory item" if flag else "no low-inventory item" for flag in by_class["low_inventory"]]
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    bars = ax.bar(labels, rate, color=[ALERT if flag else INK for flag in by_class["low_inventory"]], width=0.55)
    ax.bar_label(bars, labels=[f"{r:.1%}" for r in rate], padding=3)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(0, min(1.0, float(rate.max()) * 1.2))
    ax.set_ylabel("carts abandoned")
    ax.spines[["top", "right"]].set_visible(False)
    return _encoded(fig)
