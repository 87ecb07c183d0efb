/* trigger_math.c - the arithmetic of triggers. See trigger_math.h. */
#include "trigger_math.h"

#include <string.h>

long psi_share_between(const struct psi_sample *a, const struct psi_sample *b)
{
	long long span_us = (b->t - a->t) / 1000;
	return span_us > 0 ? (long)((b->total - a->total) * 10000ULL / (unsigned long long)span_us) : 0;
}

bool threshold_over(const struct threshold *th, long long hundredths)
{
	long long t = (long long)th->pct * 100;
	return th->ge ? hundredths >= t : hundredths > t;
}

long long threshold_bytes(const struct threshold *th, long long limit)
{
	return limit / 100 * (long long)th->pct;
}

long psi_share_now(const struct pressure_state *s, long long now)
{
	if (s->nhist < 2)
		return -1;
	const struct psi_sample *last = &s->hist[s->nhist - 1], *from = NULL;
	for (unsigned i = 0; i < s->nhist; i++) {
		if (now - s->hist[i].t <= SAMPLE_NS) {
			from = &s->hist[i];
			break;
		}
	}
	if (!from || from == last || last->t - from->t < 200000000LL)
		return -1;
	return psi_share_between(from, last);
}

void pressure_record(struct pressure_state *s, long long now, unsigned long long total)
{
	if (s->nhist == PSI_HISTORY) {
		memmove(s->hist, s->hist + 1, (PSI_HISTORY - 1) * sizeof(s->hist[0]));
		s->nhist--;
	}
	s->hist[s->nhist++] = (struct psi_sample){ now, total };
}

bool pressure_look_due(const struct pressure_state *s, long long now)
{
	return !(s->nhist && now - s->hist[s->nhist - 1].t < SAMPLE_NS);
}

bool pressure_wake(struct pressure_state *s, long long now)
{
	if (s->active)
		return false;
	/* The PSI window's share went over: the share is over the threshold now. */
	s->active = true;
	s->since = now;
	s->quiet_since = 0;
	return true;
}

enum pressure_change pressure_update(struct pressure_state *s, const struct threshold *th, long long now, long *share)
{
	if (!s->active) {
		if (s->nhist < 2)
			return PRESSURE_SAME;
		const struct psi_sample *a = &s->hist[s->nhist - 2], *b = &s->hist[s->nhist - 1];
		if (b->t - a->t > 2 * SAMPLE_NS || !threshold_over(th, psi_share_between(a, b)))
			return PRESSURE_SAME;
		s->active = true;
		s->since = b->t;   /* the share over the second was over: count from now, not
				    * from the second's start, or a spike would pass for more */
		s->quiet_since = 0;
		return PRESSURE_ROSE;
	}
	long now_share = psi_share_now(s, now);
	if (now_share < 0)
		return PRESSURE_SAME;   /* too early to tell: the PSI event stands */
	*share = now_share;
	if (threshold_over(th, now_share)) {
		if (!s->since)
			s->since = now;
		s->quiet_since = 0;
		return PRESSURE_SAME;
	}
	enum pressure_change change = s->since ? PRESSURE_FELL : PRESSURE_SAME;
	s->since = 0;
	if (!s->quiet_since)
		s->quiet_since = now;
	else if (now - s->quiet_since > 2 * SAMPLE_NS)
		s->active = false;   /* back to waiting for the PSI trigger (and a look a second) */
	return change;
}

bool pressure_held(const struct pressure_state *s, long long now, long long hold_ns)
{
	return s->active && s->since && now - s->since >= hold_ns;
}

void pressure_reset(struct pressure_state *s)
{
	s->since = 0;
	s->active = false;
	s->nhist = 0;
}

void usage_update(struct usage_level *u, const struct threshold *th, long long usage, long long limit, long long now)
{
	if (limit <= 0) {
		u->since = 0;
		return;
	}
	long long pct100 = usage * 10000 / limit;
	u->excess = usage - threshold_bytes(th, limit);
	u->room = limit - threshold_bytes(th, limit);
	if (!threshold_over(th, pct100))
		u->since = 0;
	else if (!u->since)
		u->since = now;
}

bool usage_held(const struct usage_level *u, long long now, long long hold_ns)
{
	return u->since && now - u->since >= hold_ns;
}

long long usage_to_free(const struct usage_level *u)
{
	return u->excess + u->room / 2;
}

long long usage_headroom(const struct usage_level *u)
{
	return u->room - u->excess;
}
