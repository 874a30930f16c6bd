-- check: size_fit_matches_apparel_sales
-- description: Difference between the size-fit bridge and the apparel sale lines: in row count plus in returned rows (is_returned against is_return).
-- bound: value = 0
WITH apparel AS (
  SELECT count(*) AS lines, count_if(s.is_return) AS returned
  FROM gold_sales_fact AS s JOIN gold_product_dim AS p ON p.product_key = s.product_key
  WHERE p.category_level_1 = 'apparel'
),
bridge AS (
  SELECT count(*) AS lines, count_if(is_returned) AS returned FROM gold_size_fit_bridge
)
SELECT abs(a.lines - b.lines) + abs(a.returned - b.returned) AS value FROM apparel AS a CROSS JOIN bridge AS b;
