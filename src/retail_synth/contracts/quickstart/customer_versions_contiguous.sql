-- check: customer_versions_contiguous
-- description: Customer versions that do not start the day after the previous version of the same customer_id expired: an overlap, a gap, or a version after one left open.
-- bound: value = 0
WITH versions AS (
  SELECT effective_date,
         lag(expiration_date) OVER (PARTITION BY customer_id ORDER BY effective_date, customer_key) AS previous_expiration,
         row_number() OVER (PARTITION BY customer_id ORDER BY effective_date, customer_key) AS version
  FROM gold_customer_dim
)
SELECT count(*) AS value
FROM versions
WHERE version > 1 AND (previous_expiration IS NULL OR date_add(previous_expiration, 1) <> effective_date);
