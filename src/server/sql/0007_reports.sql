-- 0007_reports.sql - month-end reports: who ended each SLA clock, and the figures per organization
-- and per agent for a period [from, to) (baton_report; the Report RPC in svc_reports.c).
-- docs/reports.md defines every figure for people; the decisions it documents are the
-- comments marked "Decision:" below.

-- ---- Who ended a clock ----------------------------------------------------------
-- ticket_clock.ended_by / ended_org (0005) say whose act ended a clock and
-- for which organization; reports read clocks by when they ended.
CREATE INDEX ticket_clock_ended ON ticket_clock (ended_at) WHERE ended_at IS NOT NULL;

-- ---- Reports ----------------------------------------------------------------------
-- Reports read events of a few kinds within a period (taken, resolved,
-- passed, ...): by kind, then time.
CREATE INDEX event_kind_at ON event (kind, at);
-- Escalations decided within a period.
CREATE INDEX escalation_decided ON escalation (decided_at) WHERE decided_at IS NOT NULL;
-- Escalations raised within a period (escalation_org leads with org_id).
CREATE INDEX escalation_created ON escalation (created_at);

-- Hours of a range (0 when empty or NULL).
CREATE FUNCTION baton_report_hours(r tstzrange) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN r IS NULL OR isempty(r) THEN 0
                      ELSE extract(epoch FROM upper(r) - lower(r))::double precision / 3600 END $$;

-- The counted facts of [p_from, p_to) about the organizations p_orgs,
-- added up per organization it counts for, person it counts for (NULL:
-- the organization only) and figure (what): n is how many (each fact is
-- 1) or how many hours. baton_report puts them in rows. Events of one
-- ticket are written under the ticket's row lock, so their ids are in the
-- ticket's own order.
--
-- Cost (docs/benchmarks.md, "Reports"): the work grows with the period's
-- events, not the table. The events read by kind and time (acts) carry only
-- the columns used, so the set stays small however large the bodies; a
-- resolve's cycle is read in one pass over that ticket's events; and the
-- facts are summed here, so that only a few hundred rows leave.
CREATE FUNCTION baton_report_facts(p_from timestamptz, p_to timestamptz, p_orgs uuid[])
    RETURNS TABLE (org_id uuid, person uuid, what text, n double precision)
    LANGUAGE sql STABLE
    AS $$
WITH period AS (
    SELECT tstzrange(p_from, p_to) AS w
),
-- Decision: tickets_taken, tickets_resolved and ticket.passed hand-offs
-- count for the actor and the actor's organization (an in-house lead who
-- resolves a partner's ticket counts it for the in-house organization);
-- an act of batond itself (no actor) for the event's organization.
acts AS (
    SELECT e.id, e.kind, e.subject_id, e.body->'before'->>'owner' AS before_owner, e.actor_id,
           e.org_id AS ev_org, coalesce(p.org_id, e.org_id) AS act_org,
           -- An expiry's subject is its escalation, joined by key below as a
           -- uuid: a join on the id's text (not leakproof) is kept above
           -- escalation's row-level security, where it can use neither the
           -- key's index nor, with a partner's few rows expected, a hash.
           CASE WHEN e.kind = 'escalation.expired' AND baton_uuid_shaped(e.subject_id)
                THEN e.subject_id::uuid END AS escalation_id
      FROM event e
      LEFT JOIN principal p ON p.id = e.actor_id
     WHERE e.kind IN ('ticket.taken', 'ticket.resolved', 'ticket.passed', 'ticket.returned', 'ticket.handed_off',
                      'ticket.sla_breached', 'escalation.expired')
       AND e.at >= p_from AND e.at < p_to
),
-- A resolve's cycle: the events after the ticket's creation or last
-- reopening before the resolve, up to the resolve. One pass over the
-- ticket's events before the resolve finds where the cycle starts (the
-- window) and counts in it.
resolves AS (
    SELECT a.act_org, a.actor_id, cy.replies, cy.moves
      FROM acts a
     CROSS JOIN LATERAL (
           SELECT count(*) FILTER (WHERE c.kind = 'ticket.replied') AS replies,
                  -- Decision: a hand-off (passed, returned, handed_off) or an
                  -- escalation (ticket.escalated, raised by an agent; or an approval,
                  -- whoever raised it) in the cycle disqualifies a first-contact
                  -- resolution. An SLA breach does not, nor the escalation the SLA
                  -- worker raises with it until it is approved: those are the clock's
                  -- doing, not a hand-off by a person. A rejected agent escalation
                  -- still disqualifies (it was an escalation).
                  count(*) FILTER (WHERE c.kind IN ('ticket.passed', 'ticket.returned', 'ticket.handed_off',
                                                    'ticket.escalated', 'ticket.escalation_approved')) AS moves
             FROM (SELECT c.id, c.kind,
                          max(c.id) FILTER (WHERE c.kind IN ('ticket.created', 'ticket.reopened')) OVER () AS start_id
                     FROM event c
                    WHERE c.subject_id = a.subject_id AND c.id < a.id) c
            WHERE c.id > coalesce(c.start_id, 0)) cy
     -- Every figure of a resolve counts for the resolver's organization:
     -- those of others are not looked into.
     WHERE a.kind = 'ticket.resolved' AND a.act_org = ANY (p_orgs)
),
-- Decision: a hand-off is a ticket.passed (for who passed it, as above),
-- or batond's ticket.returned (untouched past the ownership timeout) or
-- ticket.handed_off (the owner's shift ended), which count for the
-- organization that lost the ticket (the event's) and for the owner who
-- lost it. An approved escalation moves the ticket too, but is counted as
-- an escalation, not as a hand-off.
handoffs AS (
    SELECT a.*,
           CASE WHEN a.kind = 'ticket.passed' THEN a.act_org ELSE a.ev_org END AS h_org,
           CASE WHEN a.kind = 'ticket.passed' THEN a.actor_id ELSE lost.id END AS h_person,
           lost.id AS lost_id, lost.handle AS lost_handle
      FROM acts a
      LEFT JOIN principal lost ON lost.handle = a.before_owner
     WHERE a.kind IN ('ticket.passed', 'ticket.returned', 'ticket.handed_off')
),
-- Decision: a hand-off is "without progress" (the hot potato) when the
-- owner who lost the ticket wrote no reply (ticket.replied) and no note
-- (ticket.noted) on it since they got it: since the last event that made
-- them the owner (their take, a pass to them, an approval giving it to
-- them). It counts on the same row as the hand-off. A queued ticket passed
-- on (no owner lost it) is never a hot potato.
hot AS (
    SELECT h.* FROM handoffs h
     WHERE h.lost_id IS NOT NULL AND h.h_org = ANY (p_orgs)
       AND NOT EXISTS (
           SELECT 1 FROM event c
            WHERE c.subject_id = h.subject_id AND c.id < h.id
              AND c.kind IN ('ticket.replied', 'ticket.noted') AND c.actor_id = h.lost_id
              AND c.id > coalesce((SELECT max(g.id) FROM event g
                                    WHERE g.subject_id = h.subject_id AND g.id < h.id
                                      AND g.body->'after'->>'owner' = h.lost_handle
                                      AND (g.body->'before'->>'owner') IS DISTINCT FROM h.lost_handle), 0))
),
-- Claims that promised seat-hours: not released before their slot
-- started. Decision: a claim promises its slot's hours inside the period,
-- up to the slot's cancellation if it was cancelled, whenever the claim was
-- made; it holds them until its release (a claim never released holds them
-- all). A seat taken over by a swap promises and holds from the swap on
-- (the claim the swap made), and the seat given away counts as released at
-- the swap: a swap after the start shows in the giver's row as promised
-- but not held for the rest of the shift.
claims AS (
    SELECT c.org_id, c.principal_id, s.id AS slot_id,
           c.during * tstzrange(cs.starts, s.cancelled_at) * pd.w AS promised,
           c.during * tstzrange(cs.starts, least(c.released_at, s.cancelled_at)) * pd.w AS held
      FROM claim c
      JOIN slot s ON s.id = c.slot_id
     CROSS JOIN period pd
     CROSS JOIN LATERAL (
           SELECT CASE WHEN c.via_swap IS NULL THEN lower(c.during)
                       ELSE greatest(lower(c.during), c.created_at) END AS starts) cs
     WHERE c.during && pd.w
       AND cs.starts < upper(c.during)
       AND (c.released_at IS NULL OR c.released_at > cs.starts)
       AND (s.cancelled_at IS NULL OR s.cancelled_at > cs.starts)
),
-- Decision: coverage-gap hours are, for every slot open to the
-- organization (baton_slot_open_to: its organizations or kinds, or every
-- partner when it names none), the seat-hours it wanted inside the period
-- (until its cancellation, if cancelled) less the seat-hours any claim held
-- in it, whoever's. A slot open to several organizations is a gap of each
-- of them. Organization rows only.
slots AS (
    SELECT s.id, s.seats, s.open_to_orgs, s.open_to_kinds,
           s.during * tstzrange(NULL, s.cancelled_at) * pd.w AS wanted
      FROM slot s CROSS JOIN period pd
     WHERE s.during && pd.w AND (s.cancelled_at IS NULL OR s.cancelled_at > lower(s.during))
)
SELECT f.org_id, f.person, f.what, sum(f.n)
  FROM (
    SELECT a.act_org AS org_id, a.actor_id AS person, 'tickets_taken' AS what, 1::double precision AS n
      FROM acts a WHERE a.kind = 'ticket.taken'
    UNION ALL
    SELECT r.act_org, r.actor_id, 'tickets_resolved', 1 FROM resolves r
    UNION ALL
    -- Decision: first-contact resolution: resolved with exactly one
    -- customer-facing reply (ticket.replied) in its cycle; touches are the
    -- replies in the cycles of the tickets resolved, both for the resolver.
    SELECT r.act_org, r.actor_id, 'first_contact_resolutions', 1 FROM resolves r
     WHERE r.replies = 1 AND r.moves = 0
    UNION ALL
    SELECT r.act_org, r.actor_id, 'touches', r.replies FROM resolves r WHERE r.replies > 0
    UNION ALL
    -- Decision: first_response and resolution clocks that ended in the
    -- period (met or missed; a resolve ends them too) count for the
    -- organization responsible when they ended and for the person whose act
    -- ended them; next-response clocks are not reported.
    SELECT k.ended_org, k.ended_by, k.clock || '_' || k.state, 1
      FROM ticket_clock k
     WHERE k.ended_at >= p_from AND k.ended_at < p_to
       AND k.clock IN ('first_response', 'resolution') AND k.state IN ('met', 'missed')
    UNION ALL
    SELECT h.h_org, h.h_person, 'handoffs', 1 FROM handoffs h
    UNION ALL
    SELECT h.h_org, h.h_person, 'handoffs_without_progress', 1 FROM hot h
    UNION ALL
    -- Decision: escalations count for the escalation's organization (the
    -- queue it was raised from) and for the person who raised it: raised
    -- when created in the period, approved or rejected when decided in it,
    -- expired per escalation.expired event in it (one escalation may expire
    -- at several levels). Those the SLA worker raised count for the
    -- organization only.
    SELECT x.org_id, x.raised_by, 'escalations_raised', 1 FROM escalation x
     WHERE x.created_at >= p_from AND x.created_at < p_to
    UNION ALL
    SELECT x.org_id, x.raised_by, 'escalations_' || x.state, 1 FROM escalation x
     WHERE x.decided_at >= p_from AND x.decided_at < p_to AND x.state IN ('approved', 'rejected')
    UNION ALL
    SELECT x.org_id, x.raised_by, 'escalations_expired', 1
      FROM acts a JOIN escalation x ON x.id = a.escalation_id
     WHERE a.kind = 'escalation.expired'
    UNION ALL
    -- Decision: a breach counts for the organization responsible (the
    -- event's) and for the ticket's owner at the time, if it had one.
    SELECT a.ev_org, o.id, 'sla_breaches', 1
      FROM acts a LEFT JOIN principal o ON o.handle = a.before_owner
     WHERE a.kind = 'ticket.sla_breached'
    UNION ALL
    SELECT c.org_id, c.principal_id, 'coverage_promised_hours', baton_report_hours(c.promised) FROM claims c
    UNION ALL
    SELECT c.org_id, c.principal_id, 'coverage_held_hours', baton_report_hours(c.held) FROM claims c
    UNION ALL
    SELECT g.org_id, NULL, 'coverage_gap_hours',
           greatest(0, s.seats * baton_report_hours(s.wanted)
                       - coalesce((SELECT sum(baton_report_hours(c.held * s.wanted)) FROM claims c
                                    WHERE c.slot_id = s.id), 0))
      FROM slots s
      JOIN unnest(p_orgs) AS g(org_id) ON baton_slot_open_to(s.open_to_orgs, s.open_to_kinds, g.org_id)
  ) f
 WHERE f.org_id = ANY (p_orgs)
 GROUP BY f.org_id, f.person, f.what
$$;

-- The report of [p_from, p_to): a row per organization (p_org, or every one
-- the caller sees), ordered by name, each followed, with p_by_agent, by a
-- row per person of it with anything counted, ordered by handle (agent ''
-- on organization rows). Nothing when the period is empty or longer than
-- 400 days.
--
-- Decision: which organizations come out is read in the caller's scope, so
-- row-level security keeps a partner to its own even if the handler erred
-- (and batond checks it first, svc_reports.c). Their figures are then
-- counted in scope all, restricted to those organizations: a partner's
-- figures need rows it cannot see (the replies of another organization in
-- its resolved tickets' cycles, other organizations' claims on the slots
-- open to it, the clocks of tickets it has since passed on), and must be
-- the same numbers a lead sees for it. Only the figures come out, never the
-- rows.
--
-- Shares are met / (met + missed) and 0 when there are none;
-- first_contact_resolution_rate and touches_per_resolved are per ticket
-- resolved, 0 when none was.
CREATE FUNCTION baton_report(p_from timestamptz, p_to timestamptz, p_org uuid, p_by_agent boolean)
    RETURNS TABLE (org text, agent text,
                   tickets_taken bigint, tickets_resolved bigint,
                   first_responses_met bigint, first_responses_missed bigint, first_response_within_sla double precision,
                   resolutions_met bigint, resolutions_missed bigint, resolution_within_sla double precision,
                   first_contact_resolutions bigint, first_contact_resolution_rate double precision,
                   touches_per_resolved double precision,
                   handoffs bigint, handoffs_without_progress bigint,
                   escalations_raised bigint, escalations_approved bigint, escalations_rejected bigint,
                   escalations_expired bigint, sla_breaches bigint,
                   coverage_promised_hours double precision, coverage_held_hours double precision,
                   coverage_gap_hours double precision)
    LANGUAGE plpgsql VOLATILE -- it widens the scope (set_config) and puts it back
    AS $$
#variable_conflict use_column
DECLARE
    orgs uuid[];
    prev text;
BEGIN
    IF p_from IS NULL OR p_to IS NULL OR p_to <= p_from OR p_to - p_from > interval '400 days' THEN
        RETURN;
    END IF;
    SELECT coalesce(array_agg(o.id), '{}') INTO orgs FROM org o WHERE p_org IS NULL OR o.id = p_org;
    prev := baton_scope_widen();
    RETURN QUERY
    WITH facts AS (
        SELECT f.org_id, f.person, f.what, f.n FROM baton_report_facts(p_from, p_to, orgs) f
    ), keyed AS (
        -- Organization rows: every fact. Agent rows: the facts counted for
        -- a person of the same organization (an in-house lead's act on a
        -- partner's ticket counts for the partner's row only). Facts come
        -- added up per organization, person and figure, so n is a count
        -- (or hours) and the rows below add those.
        SELECT f.org_id, ''::text AS handle, f.what, f.n FROM facts f
        UNION ALL
        SELECT f.org_id, p.handle, f.what, f.n
          FROM facts f JOIN principal p ON p.id = f.person AND p.org_id = f.org_id
         WHERE p_by_agent
    ), rows_ AS (
        SELECT o.name AS org_name, k.handle,
               coalesce(sum(k.n) FILTER (WHERE k.what = 'tickets_taken'), 0)::bigint AS taken,
               coalesce(sum(k.n) FILTER (WHERE k.what = 'tickets_resolved'), 0)::bigint AS resolved,
               coalesce(sum(k.n) FILTER (WHERE k.what = 'first_response_met'), 0)::bigint AS fr_met,
               coalesce(sum(k.n) FILTER (WHERE k.what = 'first_response_missed'), 0)::bigint AS fr_missed,
               coalesce(sum(k.n) FILTER (WHERE k.what = 'resolution_met'), 0)::bigint AS res_met,
               coalesce(sum(k.n) FILTER (WHERE k.what = 'resolution_missed'), 0)::bigint AS res_missed,
               coalesce(sum(k.n) FILTER (WHERE k.what = 'first_contact_resolutions'), 0)::bigint AS fcr,
               coalesce(sum(k.n) FILTER (WHERE k.what = 'touches'), 0) AS touches,
               coalesce(sum(k.n) FILTER (WHERE k.what = 'handoffs'), 0)::bigint AS handoffs,
               coalesce(sum(k.n) FILTER (WHERE k.what = 'handoffs_without_progress'), 0)::bigint AS hot,
               coalesce(sum(k.n) FILTER (WHERE k.what = 'escalations_raised'), 0)::bigint AS esc_raised,
               coalesce(sum(k.n) FILTER (WHERE k.what = 'escalations_approved'), 0)::bigint AS esc_approved,
               coalesce(sum(k.n) FILTER (WHERE k.what = 'escalations_rejected'), 0)::bigint AS esc_rejected,
               coalesce(sum(k.n) FILTER (WHERE k.what = 'escalations_expired'), 0)::bigint AS esc_expired,
               coalesce(sum(k.n) FILTER (WHERE k.what = 'sla_breaches'), 0)::bigint AS breaches,
               coalesce(sum(k.n) FILTER (WHERE k.what = 'coverage_promised_hours'), 0) AS promised,
               coalesce(sum(k.n) FILTER (WHERE k.what = 'coverage_held_hours'), 0) AS held,
               coalesce(sum(k.n) FILTER (WHERE k.what = 'coverage_gap_hours'), 0) AS gap
          FROM org o
          LEFT JOIN keyed k ON k.org_id = o.id
         WHERE o.id = ANY (orgs)
         GROUP BY o.name, k.handle
    )
    SELECT r.org_name, coalesce(r.handle, ''),
           r.taken, r.resolved,
           r.fr_met, r.fr_missed,
           CASE WHEN r.fr_met + r.fr_missed > 0 THEN r.fr_met::double precision / (r.fr_met + r.fr_missed) ELSE 0 END,
           r.res_met, r.res_missed,
           CASE WHEN r.res_met + r.res_missed > 0 THEN r.res_met::double precision / (r.res_met + r.res_missed)
                ELSE 0 END,
           r.fcr,
           CASE WHEN r.resolved > 0 THEN r.fcr::double precision / r.resolved ELSE 0 END,
           CASE WHEN r.resolved > 0 THEN r.touches / r.resolved ELSE 0 END,
           r.handoffs, r.hot,
           r.esc_raised, r.esc_approved, r.esc_rejected, r.esc_expired, r.breaches,
           r.promised, r.held, r.gap
      FROM rows_ r
     ORDER BY r.org_name, coalesce(r.handle, '') <> '', coalesce(r.handle, '');
    PERFORM baton_scope_restore(prev);
END $$;
