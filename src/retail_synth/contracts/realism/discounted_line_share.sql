-- check: discounted_line_share
-- description: Share of sales lines sold at a promotion or clearance discount.
-- min_sample: 1000
SELECT avg(CASE WHEN is_promotional OR is_clearance THEN 1.0 ELSE 0.0 END) AS value, count(*) AS sample
FROM gold_sales_fact;
