-- check: inventory_constrained_on_stockout_days
-- description: Partly filled sale lines whose selling location did not end that day out of stock.
-- bound: value = 0
-- A partial fill empties the location that filled the line (location_key), and stock only arrives at
-- the start of a day, so that product-location-day must be a stockout row.
SELECT count_if(i.is_stockout IS DISTINCT FROM true) AS value
FROM gold_sales_fact AS s
LEFT JOIN gold_inventory_fact AS i
  ON i.product_key = s.product_key AND i.location_key = s.location_key AND i.date_key = s.date_key
WHERE s.is_inventory_constrained;
