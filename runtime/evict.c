/* evict.c - the evict blocks enforced. See evict.h; the kind's files are
 * listed in evict_state.h. */
#define _GNU_SOURCE
#include "evict.h"
#include "evict_state.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "cgroups.h"
#include "clock.h"
#include "evict_order.h"
#include "log.h"
#include "trigger.h"

#define REFRESH_NS 1000000000LL            /* units and scores once a second */
#define RESCORE_NS 90000000LL              /* ... and at most each tick while a trigger holds */
#define SCORE_SHARE 20                     /* ... and no more often than every 20 times a scoring's cost */

/* --- building ---------------------------------------------------------- */

static int build_block(struct evictor *e, struct block *b, const struct mmp_evict_rule *rule)
{
	b->rule = rule;
	char what[160];
	snprintf(what, sizeof(what), "policy '%s': evict", e->obj->plan.policies[rule->policy].name);
	b->trigger = trigger_new(&rule->when, what);
	if (!b->trigger)
		return -EINVAL;
	if (rule->keep || rule->keep_pct)
		mmp_info("%s: 'protect top' keeps the highest scores out of mmp's evictions; the kernel's own reclaim "
			 "cannot be kept off some files of a cgroup (cgroup2's memory.low protects a whole cgroup, v1 "
			 "has none), so what it reclaims of them is read back in (WILLNEED) when the trigger stops "
			 "holding",
			 what);
	return 0;
}

static void undo(void *state);

static int setup(const struct kind_env *env, void **state)
{
	const struct mmp_object *obj = env->obj;
	size_t n = obj->plan.nevicts;
	if (!n)
		return 0;
	struct evictor *e = calloc(1, sizeof(*e));
	if (!e || !(e->blocks = calloc(n, sizeof(*e->blocks)))) {
		free(e);
		mmp_error("out of memory");
		return -ENOMEM;
	}
	e->obj = obj;
	e->scan_names_fd = -1;
	e->page = (uint64_t)sysconf(_SC_PAGESIZE);
	e->gov = env->gov;
	e->dry_run = env->dry_run;
	e->reports = env->reports;
	int r = evict_files_setup(e, env->loaded);
	if (r < 0) {
		undo(e);
		return r;
	}
	for (unsigned i = 0; i < n; i++) {
		r = build_block(e, &e->blocks[e->nblocks++], &obj->plan.evicts[i]);
		if (r < 0) {
			undo(e);
			return r;
		}
	}
	r = evict_pieces_setup(e, env->loaded);
	if (r < 0) {
		undo(e);
		return r;
	}
	r = evict_fresh_setup(e, env->loaded);
	if (r < 0) {
		undo(e);
		return r;
	}
	r = evict_scanners_setup(e, env->loaded);
	if (r < 0) {
		undo(e);
		return r;
	}
	*state = e;
	return 0;
}

static int watch(void *state, int epfd)
{
	struct evictor *e = state;
	for (size_t i = 0; i < e->nblocks; i++)
		if (trigger_watch(e->blocks[i].trigger, epfd) < 0)
			return -1;
	return 0;
}

static void publish_units(struct evictor *e)
{
	for (unsigned r = 0; r < e->obj->plan.nregions; r++)
		e->reports[r].ev_units = e->reports[r].ev_protected = 0;
	for (size_t i = 0; i < e->nunits; i++) {
		e->reports[e->units[i]->region].ev_units++;
		e->reports[e->units[i]->region].ev_protected += e->units[i]->protected;
	}
}

static void refresh_cgroups(struct evictor *e, const struct evict_proc *procs, size_t n)
{
	free(e->cgs);
	free(e->cgp);
	e->ncgs = 0;
	e->cgs = calloc(n + 1, sizeof(*e->cgs));
	e->cgp = calloc(n + 1, sizeof(*e->cgp));
	for (size_t i = 0; e->cgs && e->cgp && i < n; i++)
		if (proc_memcg_dir(procs[i].pid, e->cgs[e->ncgs], sizeof(e->cgs[0])) == 0) {
			e->cgp[e->ncgs] = e->cgs[e->ncgs];
			e->ncgs++;
		}
}

/* Whether block BLK's trigger holds, when it changes (CHANGED) or once
 * it has been changing unsaid for EVICT_SAY_NS; each change with -v. */
static void say_holding(struct evictor *e, struct block *blk, bool holds, bool changed, long long now)
{
	unsigned long unsaid;
	long long since;
	bool say = evict_say_step(&blk->say, changed, now, &unsaid, &since);
	if (!say && !changed)
		return;
	const char *policy = e->obj->plan.policies[blk->rule->policy].name, *trig = trigger_text(blk->trigger);
	const char *what = holds ? "holds: evicting the lowest scores first" : "no longer holds";
	if (!say) {
		mmp_debug("evict: policy '%s': %s %s", policy, trig, what);
		return;
	}
	/* Said late, after a spell of changes: since when; said at a change,
	 * how many went before it unsaid. */
	char when[64] = "", before[96] = "";
	if (!changed)
		snprintf(when, sizeof(when), ", since %.1f s ago", (double)(now - since) / 1e9);
	if (unsaid)
		snprintf(before, sizeof(before), " (it started or stopped holding %lu time%s before, unsaid)", unsaid,
			 unsaid == 1 ? "" : "s");
	mmp_info("evict: policy '%s': %s %s%s%s", policy, trig, what, when, before);
}

static void evict_tick(struct evictor *e, const struct evict_proc *procs, size_t n, long long now)
{
	bool refresh = now - e->last_refresh >= REFRESH_NS;
	evict_fresh_read(e);
	if (refresh) {
		e->last_refresh = now;
		evict_refresh_units(e, procs, n);
		refresh_cgroups(e, procs, n);
		evict_limits_check(e, now, false);
		evict_files_forget(e, now);
	}
	/* The triggers first: scores are needed once a second, while a block
	 * holds (see below), and when a block with 'protect top' starts or
	 * stops holding (what it protects is read back by what it held at the
	 * start). Otherwise the last scores serve: scoring and ordering a
	 * source tree's 100,000 files takes milliseconds, and a scan crosses
	 * a threshold many times a second. */
	bool need_scores = refresh;
	bool *holds = calloc(e->nblocks + 1, sizeof(*holds));
	if (!holds)
		return;
	/* While a block holds, at most each tick, and no more often than every
	 * twenty times what scoring and ordering took (a twentieth of a CPU
	 * beside the once-a-second scoring): a million pieces take tens of
	 * milliseconds, and a CPU of two spent scoring a page cache cost
	 * RocksDB's reads more than the better order gained. The same when a
	 * trigger starts holding: at 98% it starts and stops many times a
	 * second. */
	long long every = SCORE_SHARE * e->score_cost_ns > RESCORE_NS ? SCORE_SHARE * e->score_cost_ns : RESCORE_NS;
	for (size_t b = 0; b < e->nblocks; b++) {
		struct block *blk = &e->blocks[b];
		trigger_tick(blk->trigger, now, e->cgp, e->cgp ? e->ncgs : 0);
		holds[b] = trigger_holds(blk->trigger, now, NULL);
		need_scores |= holds[b] && now - e->scored_ns >= every;
		need_scores |= holds[b] != blk->holding && (blk->rule->keep || blk->rule->keep_pct);
	}
	if (need_scores) {
		long long t0 = mono_ns();
		evict_score_units(e, now);
		e->scored_ns = now;
		e->score_cost_ns = mono_ns() - t0;   /* evict_act adds the ordering */
	}
	for (size_t b = 0; b < e->nblocks; b++) {
		struct block *blk = &e->blocks[b];
		/* The rate limit is a token bucket. */
		blk->budget = evict_refill(blk->budget, blk->rule->limit, blk->last_tick, now);
		blk->last_tick = now;
		if (holds[b] != blk->holding) {
			evict_mark_protected(e, b);
			say_holding(e, blk, holds[b], true, now);
			for (size_t i = 0; holds[b] && i < e->nunits; i++)
				if (e->units[i]->block == b)
					e->units[i]->resident_at_start = e->units[i]->resident;
			if (!holds[b] && (blk->rule->keep || blk->rule->keep_pct))
				evict_reread_protected(e, b);
			blk->holding = holds[b];
		} else {
			say_holding(e, blk, holds[b], false, now);   /* where a spell of changes ended up */
		}
		if (holds[b])
			evict_act(e, b);
		else if (refresh)
			evict_mark_protected(e, b);   /* for 'mmp stats' */
	}
	if (refresh)
		publish_units(e);
	free(holds);
}

/* Each governed process with its regions' statistics, the faults still
 * pending on the CPUs included, for one step. */
static void step(struct evictor *e, long long now)
{
	struct governed_set *s = e->gov;
	const struct mmp_plan *plan = &e->obj->plan;
	struct evict_proc *procs = calloc(s->n + 1, sizeof(*procs));
	const struct mmp_region_stats **stats = NULL;
	size_t total = 0;
	for (size_t i = 0; i < s->n; i++)
		total += plan->policies[s->gov[i].policy].nregions;
	stats = calloc(total + 1, sizeof(*stats));
	if (!procs || !stats)
		goto out;
	size_t at = 0;
	governed_read_pending(s);
	for (size_t i = 0; i < s->n; i++) {
		const struct governed *g = &s->gov[i];
		const struct mmp_plan_policy *pp = &plan->policies[g->policy];
		for (unsigned r = 0; r < pp->nregions; r++) {
			__u32 slot = g->slots[r];
			s->view[slot] = s->stats[slot];
			s->view[slot].faults = governed_faults(s, slot);
			stats[at + r] = &s->view[slot];
		}
		procs[i] = (struct evict_proc){ g->pid, g->policy, g->ranges, g->nranges, stats + at };
		at += pp->nregions;
	}
	evict_tick(e, procs, s->n, now);
out:
	free(procs);
	free(stats);
}

static void tick(void *state, long long now, double dt)
{
	evict_files_tick(state);   /* at ticks only: a step after a threshold crossed need not */
	step(state, now);
}

/* A trigger's threshold was crossed: act now, not at the next tick. */
static bool on_fd(void *state, int fd, long long now)
{
	struct evictor *e = state;
	for (size_t i = 0; i < e->nblocks; i++) {
		if (trigger_on_fd(e->blocks[i].trigger, fd, now)) {
			step(e, now);
			return true;
		}
	}
	return false;
}

/* A file a governed process read for the first time, or a thread name
 * to judge. */
static void on_event(void *state, const struct mmp_event *ev, size_t len)
{
	const struct mmp_file_event *f = (const void *)ev;
	if (ev->kind == MMP_EV_FILE && len >= offsetof(struct mmp_file_event, names) &&
	    len >= offsetof(struct mmp_file_event, names) + (f->len < MMP_FILE_NAMES ? f->len : MMP_FILE_NAMES))
		evict_file_found(state, f);
	else if (ev->kind == MMP_EV_SCAN_NAME && len >= sizeof(struct mmp_scan_name_event))
		evict_scan_name_judge(state, (const void *)ev);
}

/* A process taken on: its cgroup is watched from the next tick, not a
 * second later (a scan fills a cgroup in less). */
static void govern(void *state, const struct governed *g, const struct proc_info *info)
{
	struct evictor *e = state;
	e->last_refresh = 0;
}

/* ", N bytes of them pieces read since the last scoring" where region R
 * is scored in pieces, or "". */
static const char *fresh_text(const struct evictor *e, unsigned r, char *buf, size_t len)
{
	const struct mmp_region_report *pr = &e->reports[r];
	if (!e->fresh_rb || !evict_region_in_pieces(e, r))
		return "";
	snprintf(buf, len, ", %llu bytes of them pieces read since the last scoring",
		 (unsigned long long)pr->ev_fresh_bytes);
	return buf;
}

/* "; N times a file was left to the kernel ..." where files of region R
 * came straight back (evict_guard.c), or "". */
static const char *held_text(const struct evictor *e, unsigned r, char *buf, size_t len)
{
	const struct mmp_region_report *pr = &e->reports[r];
	if (!pr->ev_held)
		return "";
	snprintf(buf, len, "; %llu time%s a file was left to the kernel, its drops read straight back (%llu bytes)",
		 (unsigned long long)pr->ev_held, pr->ev_held == 1 ? "" : "s", (unsigned long long)pr->ev_back_bytes);
	return buf;
}

/* What the blocks that score region R do to it, as the summary says it:
 * advised cold is marked, not evicted. */
static const char *done_text(const struct evictor *e, unsigned r)
{
	for (size_t b = 0; b < e->nblocks; b++)
		for (unsigned i = 0; i < e->blocks[b].rule->nscores; i++)
			if (e->blocks[b].rule->scores[i].region == r && e->blocks[b].rule->action == EVICT_COLD)
				return "marked cold";
	return "evicted";
}

static void summary(void *state)
{
	struct evictor *e = state;
	const struct mmp_plan *plan = &e->obj->plan;
	for (unsigned r = 0; r < plan->nregions; r++) {
		const struct mmp_plan_region *reg = &plan->regions[r];
		const struct mmp_region_report *pr = &e->reports[r];
		char fresh[96], held[160];
		/* Every region a block scores (the report's rules say which), even
		 * with no unit left: the last process may have exited, and its
		 * units gone, before this. */
		if (!(pr->rules & MMP_RULE_EVICT) && !pr->ev_calls)
			continue;
		/* Files read or mapped, and memory, that the region selected,
		 * whether a scoring came before the process ended or not. */
		size_t units = 0;
		for (size_t i = 0; i < e->nunits; i++)
			units += e->units[i]->region == r;
		if (reg->may_be_file && !units && !pr->ev_calls && e->gov->policy_seen &&
		    e->gov->policy_seen[reg->policy] && !e->gov->mapped[r])
			mmp_warn("%s.%s matched no file or memory of any process the policy governed: its rules had "
				 "nothing to act on", plan->policies[reg->policy].name, reg->name);
		/* A dry run counts what it would have evicted: not as evicted. */
		if (e->dry_run)
			mmp_info("%s.%s: dry run: %llu bytes would have been %s (none was), %llu units scored",
				 plan->policies[reg->policy].name, reg->name, (unsigned long long)pr->ev_bytes,
				 done_text(e, r), (unsigned long long)pr->ev_units);
		else
			mmp_info("%s.%s: %llu bytes %s in %llu actions (%llu failed), %llu units scored%s%s",
				 plan->policies[reg->policy].name, reg->name, (unsigned long long)pr->ev_bytes, done_text(e, r),
				 (unsigned long long)pr->ev_calls, (unsigned long long)pr->ev_errors,
				 (unsigned long long)pr->ev_units, fresh_text(e, r, fresh, sizeof(fresh)),
				 held_text(e, r, held, sizeof(held)));
	}
	/* A spell of the triggers' changes still unsaid: where it ended. */
	long long now = mono_ns();
	evict_limits_check(e, now, true);
	for (size_t b = 0; b < e->nblocks; b++) {
		struct block *blk = &e->blocks[b];
		unsigned long unsaid;
		long long since;
		if (evict_say_end(&blk->say, &unsaid, &since))
			mmp_info("evict: policy '%s': when it ended, '%s' %s, and had for the last %.1f s (it started or "
				 "stopped holding %lu more time%s, unsaid)",
				 plan->policies[blk->rule->policy].name, trigger_text(blk->trigger),
				 blk->holding ? "held" : "did not hold", (double)(now - since) / 1e9, unsaid,
				 unsaid == 1 ? "" : "s");
	}
	/* Not found: not scored, and not silently. */
	if (e->unnamed)
		mmp_warn("evict: %llu file%s that governed processes read could not be found by their names (not mounted "
			 "where mmp sees them, a device that stat reports otherwise, or more than %d bytes of path): not "
			 "scored ('-v' names each)",
			 e->unnamed, e->unnamed == 1 ? "" : "s", MMP_FILE_NAMES);
}

static void undo(void *state)
{
	struct evictor *e = state;
	for (size_t i = 0; i < e->nunits; i++)
		evict_unit_free(e->units[i]);
	free(e->units);
	evict_scanners_free(e);
	evict_fresh_free(e);
	evict_pieces_free(e);
	evict_files_free(e);
	for (size_t b = 0; b < e->nblocks; b++) {
		trigger_free(e->blocks[b].trigger);
		free(e->blocks[b].order);
	}
	free(e->blocks);
	evict_limits_free(e);
	free(e->cgs);
	free(e->cgp);
	free(e);
}

const struct kind evict_kind = {
	.name = "evict",
	.setup = setup,
	.watch = watch,
	.on_fd = on_fd,
	.on_event = on_event,
	.govern = govern,
	.tick = tick,
	.summary = summary,
	.undo = undo,
};
