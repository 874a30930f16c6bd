-- check: abandoned_carts_without_session
-- description: Abandoned carts without a session that adds to cart (event_label = cart_id) and never completes checkout.
-- bound: value = 0
WITH cart_sessions AS (
  SELECT event_label AS cart_id, session_id
  FROM gold_customer_event_fact
  WHERE event_type = 'add_to_cart'
),
completed AS (
  SELECT DISTINCT session_id FROM gold_customer_event_fact WHERE event_action = 'checkout_complete'
),
abandon_sessions AS (
  SELECT DISTINCT s.cart_id
  FROM cart_sessions AS s LEFT ANTI JOIN completed AS c ON c.session_id = s.session_id
)
SELECT count_if(s.cart_id IS NULL) AS value
FROM gold_cart_abandonment_fact AS a LEFT JOIN abandon_sessions AS s ON s.cart_id = a.cart_id;
