-- check: customer_changed_share
-- description: Share of customers who get a new version (a segment review, a move or a subscription change) in a year: the share with a version opened inside the horizon, annualised as 1 - (1 - share)^(365 / days).
-- min_sample: 1000
-- The horizon is the span of gold_sales_fact's dates; the sample is the customers.
WITH horizon AS (
  SELECT min(d.calendar_date) AS first_date, datediff(max(d.calendar_date), min(d.calendar_date)) + 1 AS days
  FROM (SELECT min(date_key) AS first_key, max(date_key) AS last_key FROM gold_sales_fact) AS s
  JOIN gold_date_dim AS d ON d.date_key IN (s.first_key, s.last_key)
), customers AS (
  SELECT c.customer_id, max(CASE WHEN c.effective_date >= h.first_date AND c.effective_date > c.acquisition_date
                                 THEN 1 ELSE 0 END) AS changed
  FROM gold_customer_dim AS c CROSS JOIN horizon AS h
  GROUP BY c.customer_id
)
SELECT 1 - power(1 - avg(changed * 1.0), 365.0 / max(h.days)) AS value, count(*) AS sample
FROM customers CROSS JOIN horizon AS h;
