-- check: anomaly_demand_spikes_lift_demand
-- description: Sales lines of demand-spike products per day inside their spike windows, over the same products' lines per day on the other horizon days (pooled over every label).
-- bound: value >= 1.5
-- min_sample: 200
-- A spike multiplies the product's requests by `magnitude` (2 to 4 by default); stock planned for
-- normal demand runs out during the spike, so the lines that were served rise by less than the
-- requests. `sample` is the lines the other days lead us to expect inside the windows (0 without spikes).
-- A product spiked in several windows (one per plan cycle) counts the days of all of them as inside
-- and only its days outside every window as its baseline.
WITH horizon AS (
  SELECT DISTINCT date_key FROM gold_inventory_fact
),
spike_days AS (
  SELECT DISTINCT l.product_key, h.date_key
  FROM gold_anomaly_label AS l
  JOIN horizon AS h ON h.date_key BETWEEN l.start_date_key AND l.end_date_key
  WHERE l.anomaly_type = 'demand_spike'
),
spiked AS (
  SELECT product_key, count(*) AS days FROM spike_days GROUP BY product_key
),
lines AS (
  SELECT p.product_key, p.days,
         count(d.date_key) AS inside,
         count(s.date_key) - count(d.date_key) AS outside
  FROM spiked AS p
  LEFT JOIN gold_sales_fact AS s ON s.product_key = p.product_key
  LEFT JOIN spike_days AS d ON d.product_key = s.product_key AND d.date_key = s.date_key
  GROUP BY p.product_key, p.days
)
SELECT sum(inside) / sum(outside * days / (n.horizon_days - days)) AS value,
       coalesce(sum(outside * days / (n.horizon_days - days)), 0) AS sample
FROM lines CROSS JOIN (SELECT count(*) AS horizon_days FROM horizon) AS n;
