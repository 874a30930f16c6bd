-- check: store_sale_day_share
-- description: Share of store product-days with at least one sale: distinct (store, product, day) of the sale lines the stores filled over the store rows of gold_inventory_fact.
-- min_sample: 1000
-- Information: no published figure for fashion retail; the sample is the store product-days.
WITH positions AS (
  SELECT count(*) AS days
  FROM gold_inventory_fact AS i JOIN gold_location_dim AS l ON i.location_key = l.location_key
  WHERE l.location_type = 'store'
), selling AS (
  SELECT count(*) AS days
  FROM (SELECT DISTINCT s.location_key, s.product_key, s.date_key
        FROM gold_sales_fact AS s JOIN gold_location_dim AS l ON s.location_key = l.location_key
        WHERE l.location_type = 'store') AS d
)
SELECT s.days * 1.0 / p.days AS value, p.days AS sample FROM selling AS s CROSS JOIN positions AS p;
