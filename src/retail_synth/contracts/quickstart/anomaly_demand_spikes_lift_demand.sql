-- check: anomaly_demand_spikes_lift_demand
-- description: Sales lines of demand-spike products per day inside their spike windows, over the same products' lines per day on the other horizon days (pooled over every label).
-- bound: value >= 1.5
-- min_sample: 200
-- A spike multiplies the product's requests by `magnitude` (2 to 4 by default); stock planned for
-- normal demand runs out during the spike, so the lines that were served rise by less than the
-- requests. `sample` is the lines the other days lead us to expect inside the windows (0 without spikes).
WITH horizon AS (
  SELECT count(DISTINCT date_key) AS horizon_days FROM gold_inventory_fact
),
spikes AS (
  SELECT product_key, start_date_key, end_date_key,
         datediff(to_date(cast(end_date_key AS string), 'yyyyMMdd'),
                  to_date(cast(start_date_key AS string), 'yyyyMMdd')) + 1 AS days
  FROM gold_anomaly_label WHERE anomaly_type = 'demand_spike'
),
lines AS (
  SELECT p.product_key, p.days,
         count_if(s.date_key BETWEEN p.start_date_key AND p.end_date_key) AS inside,
         count_if(s.date_key NOT BETWEEN p.start_date_key AND p.end_date_key) AS outside
  FROM spikes AS p
  LEFT JOIN gold_sales_fact AS s ON s.product_key = p.product_key
  GROUP BY p.product_key, p.days
)
SELECT sum(inside) / sum(outside * days / (h.horizon_days - days)) AS value,
       coalesce(sum(outside * days / (h.horizon_days - days)), 0) AS sample
FROM lines CROSS JOIN horizon AS h;
