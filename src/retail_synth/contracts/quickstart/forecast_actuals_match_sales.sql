-- check: forecast_actuals_match_sales
-- description: Forecast rows whose actual_quantity is not the units sold for that product, location and day in gold_sales_fact, or whose actual_demand_quantity is below it.
-- bound: value = 0
WITH sold AS (
  SELECT product_key, location_key, date_key, sum(quantity_sold) AS units
  FROM gold_sales_fact GROUP BY product_key, location_key, date_key
)
SELECT count_if(f.actual_quantity <> coalesce(s.units, 0) OR f.actual_demand_quantity < f.actual_quantity) AS value
FROM gold_demand_forecast_fact AS f
LEFT JOIN sold AS s
  ON s.product_key = f.product_key AND s.location_key = f.location_key AND s.date_key = f.date_key;
