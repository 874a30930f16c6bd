-- check: customer_one_current_version
-- description: Customers (customer_id) without exactly one current version.
-- bound: value = 0
SELECT count(*) AS value
FROM (
  SELECT customer_id
  FROM gold_customer_dim
  GROUP BY customer_id
  HAVING count_if(is_current) <> 1
) AS customers;
