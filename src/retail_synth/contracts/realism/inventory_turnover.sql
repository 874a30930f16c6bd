-- check: inventory_turnover
-- description: Inventory turnover at cost, annualised: cost of the units customers kept (sold, not returned) per year over the average stock value at cost.
-- min_sample: 28
-- Average stock is the mean over the horizon's days of the day's total inventory_value_cost; the sample is those days.
WITH horizon AS (
  SELECT count(DISTINCT date_key) AS days, sum(inventory_value_cost) / count(DISTINCT date_key) AS average_stock_cost
  FROM gold_inventory_fact
),
kept AS (
  SELECT sum(CASE WHEN s.is_return THEN 0 ELSE s.quantity_sold END * p.unit_cost) AS cost_of_goods_sold
  FROM gold_sales_fact AS s JOIN gold_product_dim AS p ON s.product_key = p.product_key
)
SELECT k.cost_of_goods_sold * 365.0 / h.days / h.average_stock_cost AS value, h.days AS sample
FROM horizon AS h CROSS JOIN kept AS k;
