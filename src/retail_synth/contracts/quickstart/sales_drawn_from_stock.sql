-- check: sales_drawn_from_stock
-- description: Product-location-days with sales where the first line's inventory_at_purchase differs from end-of-day on hand plus the units sold.
-- bound: value = 0
-- The first line served at a position sees the whole start-of-day stock (the largest
-- inventory_at_purchase of the day), and only sales take stock out during the day.
WITH daily_sales AS (
  SELECT product_key, location_key, date_key,
         max(inventory_at_purchase) AS start_of_day_stock,
         sum(quantity_sold) AS units_sold
  FROM gold_sales_fact
  GROUP BY product_key, location_key, date_key
)
SELECT count_if(i.quantity_on_hand IS NULL OR d.start_of_day_stock <> i.quantity_on_hand + d.units_sold) AS value
FROM daily_sales AS d
LEFT JOIN gold_inventory_fact AS i
  ON i.product_key = d.product_key AND i.location_key = d.location_key AND i.date_key = d.date_key;
