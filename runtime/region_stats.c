/* region_stats.c - see region_stats.h. */
#include "region_stats.h"

int64_t region_stat(const struct mmp_region_stats *s, enum stat_id id, bool rate, long long now, long long seen_ns)
{
	switch (id) {
	case STAT_R_FAULTS:
		return rate ? mmp_rate_of(s->rate, s->win_faults, s->win_start_ns, (__u64)now) : (int64_t)s->faults;
	case STAT_R_MAJOR_FAULTS:
		return rate ? mmp_rate_of(s->major_rate, s->win_major, s->win_start_ns, (__u64)now)
			    : (int64_t)s->major_faults;
	case STAT_R_SIZE:
		return (int64_t)s->size;
	case STAT_R_RESIDENT:
		return (int64_t)s->resident;
	case STAT_R_SWAP:
		return (int64_t)s->swap;
	case STAT_R_IDLE:   /* as BPF reads it */
		return mmp_ms_since(s->last_ns ? s->last_ns : (__u64)seen_ns, (__u64)now);
	case STAT_R_AGE:
		return mmp_ms_since(s->first_ns ? s->first_ns : (__u64)seen_ns, (__u64)now);
	default:
		return 0;
	}
}

bool calc_moves_without_faults(const struct mmp_calc *c)
{
	if (!c)
		return false;
	if (c->op == CALC_STAT)
		return c->stat == STAT_R_IDLE || c->stat == STAT_R_AGE || c->stat == STAT_R_SIZE ||
		       c->stat == STAT_R_RESIDENT || c->stat == STAT_R_SWAP;
	return calc_moves_without_faults(c->l) || calc_moves_without_faults(c->r);
}

int64_t region_fill_rate(const struct mmp_region_stats *s, long long now)
{
	/* NOW was read before S, which BPF may have moved on since: its times
	 * are read through mmp_ns_since. */
	if (!s->last_ns || mmp_ns_since(s->last_ns, (__u64)now) >= REGION_FILL_QUIET_NS)
		return 0;
	return mmp_rate_of(s->rate, s->win_faults, s->win_start_ns, (__u64)now);
}

bool fill_wait_step(struct fill_wait *w, bool populating, long long now, enum fill_say *say)
{
	*say = FILL_SAY_NOTHING;
	if (w->active && now - w->last >= FILL_PAUSE_NS)
		w->active = false;
	if (populating) {
		if (!w->active) {
			*w = (struct fill_wait){ .active = true, .since = now };
			*say = FILL_SAY_BEGUN;
		}
		w->last = now;
	}
	if (!w->active)
		return false;
	if (now - w->since < FILL_WAIT_MAX_NS)
		return true;
	if (!w->long_said) {
		w->long_said = true;
		*say = FILL_SAY_TOO_LONG;
	}
	return false;
}
