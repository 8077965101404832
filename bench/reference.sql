-- The nine case-activity measures of shared/spec/measures.md, hand-written for PostgreSQL: the
-- practical lower bound the platform's aggregation is measured against (issue 8).
--
-- Every authority, and every team of it (children with a team), every calendar month, financial
-- quarter and financial year that has records, in two statements: one GROUP BY GROUPING SETS over
-- the three period types for the eight measures counted by a record's own date (window functions
-- for "previous referral" and "previous plan", the working-day calendar outcomes_calendarday for
-- working days and year shifts), and one for kinship_share at the end of each of the authority's
-- reporting periods (outcomes_reportingperiod, the periods the platform reports). Rows go to the
-- scratch table bench_reference; periods without records have no row here (the platform stores
-- them with 0).

DROP TABLE IF EXISTS bench_reference;

CREATE UNLOGGED TABLE bench_reference (
    authority_id bigint NOT NULL,
    team_id bigint,
    measure text NOT NULL,
    period_type text NOT NULL,
    period_start date NOT NULL,
    numerator integer NOT NULL,
    denominator integer NOT NULL
);

WITH events (authority_id, team_id, measure, day, hit) AS (
    SELECT c.authority_id, c.team_id, 'referrals', r.referral_date, 1
    FROM cases_referral r JOIN cases_child c ON c.id = r.child_id
  UNION ALL
    SELECT c.authority_id, c.team_id, 'rereferrals_12m', r.referral_date,
           (coalesce(lag(r.referral_date) OVER (PARTITION BY r.child_id ORDER BY r.referral_date)
                     >= y.one_year_before, false))::int
    FROM cases_referral r
    JOIN cases_child c ON c.id = r.child_id
    JOIN outcomes_calendarday y ON y.day = r.referral_date
  UNION ALL
    SELECT c.authority_id, c.team_id, 'cp_plan_starts', p.start_date, 1
    FROM cases_cpplan p JOIN cases_child c ON c.id = p.child_id
  UNION ALL
    SELECT c.authority_id, c.team_id, 'repeat_cp_plans', p.start_date,
           (row_number() OVER (PARTITION BY p.child_id ORDER BY p.start_date) > 1
            OR coalesce(p.previous_plans, 0) >= 1)::int
    FROM cases_cpplan p JOIN cases_child c ON c.id = p.child_id
  UNION ALL
    SELECT c.authority_id, c.team_id, 'cp_plans_ended_2y', p.end_date,
           (p.end_date >= y.two_years_after)::int
    FROM cases_cpplan p
    JOIN cases_child c ON c.id = p.child_id
    JOIN outcomes_calendarday y ON y.day = p.start_date
    WHERE p.end_date IS NOT NULL
  UNION ALL
    SELECT c.authority_id, c.team_id, 'assessments_45wd', a.authorisation_date,
           (e.working_day_number - s.working_day_number <= 45)::int
    FROM cases_assessment a
    JOIN cases_child c ON c.id = a.child_id
    JOIN outcomes_calendarday s ON s.day = a.start_date
    JOIN outcomes_calendarday e ON e.day = a.authorisation_date
    WHERE a.authorisation_date IS NOT NULL
  UNION ALL
    SELECT c.authority_id, c.team_id, 'icpc_15wd', s47.icpc_date,
           (e.working_day_number - s.working_day_number <= 15)::int
    FROM cases_section47 s47
    JOIN cases_child c ON c.id = s47.child_id
    JOIN outcomes_calendarday s ON s.day = s47.start_date
    JOIN outcomes_calendarday e ON e.day = s47.icpc_date
    WHERE s47.icpc_date IS NOT NULL
  UNION ALL
    SELECT c.authority_id, c.team_id, 'cla_starts', ce.start_date, 1
    FROM cases_careepisode ce JOIN cases_child c ON c.id = ce.child_id
    WHERE ce.reason_new_episode = 'S'
),
periods AS (
    SELECT e.authority_id, e.team_id, e.measure, e.hit, t.period_type,
           CASE t.period_type
               WHEN 'month' THEN date_trunc('month', e.day)::date
               WHEN 'quarter' THEN date_trunc('quarter', e.day)::date
               ELSE make_date(extract(year FROM e.day)::int - (extract(month FROM e.day) < 4)::int, 4, 1)
           END AS period_start
    FROM events e CROSS JOIN (VALUES ('month'), ('quarter'), ('year')) AS t (period_type)
)
INSERT INTO bench_reference
SELECT authority_id, team_id, measure, period_type, period_start, sum(hit), count(*)
FROM periods
GROUP BY GROUPING SETS (
    (authority_id, measure, period_type, period_start),
    (authority_id, team_id, measure, period_type, period_start)
)
HAVING grouping(team_id) = 1 OR team_id IS NOT NULL;

-- kinship_share: children looked after at each reporting period's end (an episode started on or
-- before it and not ended by it), counted once, with the placement of their latest such episode.
WITH looked_after AS (
    SELECT DISTINCT ON (ce.child_id, rp.period_type, rp.period_start)
           c.authority_id, c.team_id, rp.period_type, rp.period_start, ce.placement
    FROM cases_careepisode ce
    JOIN cases_child c ON c.id = ce.child_id
    JOIN outcomes_reportingperiod rp
      ON rp.authority_id = c.authority_id
     AND ce.start_date <= rp.period_end
     AND (ce.end_date IS NULL OR ce.end_date > rp.period_end)
    ORDER BY ce.child_id, rp.period_type, rp.period_start, ce.start_date DESC
)
INSERT INTO bench_reference
SELECT authority_id, team_id, 'kinship_share', period_type, period_start,
       sum((placement IN ('U1', 'U2', 'U3'))::int), count(*)
FROM looked_after
GROUP BY GROUPING SETS (
    (authority_id, period_type, period_start),
    (authority_id, team_id, period_type, period_start)
)
HAVING grouping(team_id) = 1 OR team_id IS NOT NULL;
