-- check: customer_segments_follow_spend
-- description: Segment changes that break the review rule: a segment changed by no review (segment_spend NULL), a review that changed nothing, or a promotion (demotion) to a higher rung with less spend than one to a lower rung.
-- bound: value = 0
-- The rule (customers.history): at a review, a customer climbs to the highest rung whose floor the window's ordered
-- spend reaches, or drops to the highest rung whose floor times demotion_share it reaches. Both are ladders, so the
-- spend bands of the rungs reached must not overlap, whatever the floors: this checks the rule without them.
WITH versions AS (
  SELECT segment, segment_spend,
         lag(segment) OVER (PARTITION BY customer_id ORDER BY effective_date, customer_key) AS previous_segment,
         CASE segment WHEN 'regular' THEN 0 WHEN 'loyal' THEN 1 WHEN 'premium' THEN 2 WHEN 'vip' THEN 3 ELSE -1 END AS rung
  FROM gold_customer_dim
), ranked AS (
  SELECT *, CASE previous_segment WHEN 'regular' THEN 0 WHEN 'loyal' THEN 1 WHEN 'premium' THEN 2 WHEN 'vip' THEN 3
            ELSE -1 END AS previous_rung
  FROM versions
  WHERE previous_segment IS NOT NULL
), reviews AS (
  SELECT rung, segment_spend, rung > previous_rung AS promoted FROM ranked WHERE segment_spend IS NOT NULL
), bands AS (
  SELECT promoted, rung, min(segment_spend) AS low, max(segment_spend) AS high FROM reviews GROUP BY promoted, rung
)
SELECT (SELECT count(*) FROM ranked
        WHERE (segment_spend IS NULL AND segment <> previous_segment)
           OR (segment_spend IS NOT NULL AND (segment = previous_segment OR rung < 0)))
     + (SELECT count(*) FROM bands AS a JOIN bands AS b ON a.promoted = b.promoted AND a.rung < b.rung AND a.high >= b.low)
       AS value;
