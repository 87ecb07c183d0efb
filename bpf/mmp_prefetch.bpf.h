/* mmp_prefetch.bpf.h - prefetch detectors, per thread and region, in the
 * manner of FetchBPF: 'sequential' (runs of nearby faults in one
 * direction), 'stride' (the same delta twice running; dropped when it
 * breaks) and 'leap' (Leap's majority vote over the last 'window' deltas).
 *
 * Driven by every user fault in the region (tp_btf/page_fault_user), not
 * by misses only: once prefetching works the misses stop, and a detector
 * fed on misses would starve and let go of the pattern. A locked detector
 * keeps (distance + 1) * degree accesses ahead of the thread asked for,
 * in predictions of 'degree' pages sent to the runtime, which fetches
 * them with process_madvise(MADV_WILLNEED). The rate limit is applied
 * here, so that what is counted as asked for is what was asked for.
 *
 * Included by mmp_progs.bpf.h when the generated code defines
 * MMP_WANT_PREFETCH and
 *   static int mmp_group_prefetch(__u32 group, struct mmp_pf_config *c);
 */
#ifndef MMP_PREFETCH_BPF_H
#define MMP_PREFETCH_BPF_H

#define MMP_PF_WAYS 4              /* regions a thread is tracked in at once */
#define MMP_PF_WINDOW 64           /* the largest 'window' */
#define MMP_PF_NEAR 32             /* pages: a 'sequential' step, to lock */
#define MMP_PF_HOLD 512            /* strides: a step that keeps a lock (a fault may map a whole 2M folio) */
#define MMP_PF_TOPUPS 4            /* predictions sent per fault at most */
#define MMP_PF_DEFAULT_LIMIT (256ULL << 20)   /* bytes a second without 'limit' */

struct mmp_pf_state {
	__u32 slot;                /* the region's statistics slot + 1; 0: unused */
	__u32 n, pos;              /* deltas in hist, and where the next goes */
	__s32 hist[MMP_PF_WINDOW]; /* recent deltas, in pages */
	__s64 last, prev_delta;    /* the last fault's page, and the delta before it */
	__s64 stride;              /* locked stride in pages; 0: none */
	__s64 next;                /* the first asked-for page not yet reached */
	__s64 frontier;            /* the last asked-for page */
	__s64 used_page;           /* the last fault counted as used */
};

struct mmp_pf_task {
	struct mmp_pf_state way[MMP_PF_WAYS];
	__u32 rr;
};

/* Task-local: freed with the thread, and no lookup by key. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct mmp_pf_task);
} mmp_pf_tasks SEC(".maps");

static __always_inline __s64 mmp_abs(__s64 v)
{
	return v < 0 ? -v : v;
}

static __always_inline struct mmp_pf_state *mmp_pf_state_of(struct mmp_pf_task *pt, __u32 slot)
{
	for (int i = 0; i < MMP_PF_WAYS; i++)
		if (pt->way[i].slot == slot + 1)
			return &pt->way[i];
	return 0;
}

/* Leap: the delta that most of the last N make, or 0: a Boyer-Moore vote,
 * then a count. Run with bpf_loop, so that the verifier checks each pass
 * once instead of every path through 64 iterations. */
struct mmp_pf_vote {
	const struct mmp_pf_state *st;
	__s32 cand;
	__u32 votes, count;
};

static long mmp_pf_vote_step(__u64 i, void *ctx)
{
	struct mmp_pf_vote *v = ctx;
	__s32 d = v->st->hist[(v->st->pos - 1 - (__u32)i) & (MMP_PF_WINDOW - 1)];
	if (!v->votes) {
		v->cand = d;
		v->votes = 1;
	} else if (d == v->cand) {
		v->votes++;
	} else {
		v->votes--;
	}
	return 0;
}

static long mmp_pf_count_step(__u64 i, void *ctx)
{
	struct mmp_pf_vote *v = ctx;
	if (v->st->hist[(v->st->pos - 1 - (__u32)i) & (MMP_PF_WINDOW - 1)] == v->cand)
		v->count++;
	return 0;
}

static __always_inline __s64 mmp_pf_majority(const struct mmp_pf_state *st, __u32 n)
{
	struct mmp_pf_vote v = { .st = st };
	if (n > MMP_PF_WINDOW)
		n = MMP_PF_WINDOW;
	bpf_loop(n, mmp_pf_vote_step, &v, 0);
	bpf_loop(n, mmp_pf_count_step, &v, 0);
	return 2 * v.count > n ? v.cand : 0;
}

/* Pages that were asked for and that the thread has now reached: every
 * asked-for page it moved past, in the stride's direction, counts as used
 * (a sequential reader faults once per fault-around block, not per page).
 * A fault past everything asked for counts it all, if the thread got there
 * in the pattern's direction by a step of at most MMP_PF_HOLD strides: a
 * fault on a large folio maps the whole folio, so the pages before it never
 * fault at all. */
static __always_inline void mmp_pf_count_used(struct mmp_pf_state *st, struct mmp_region_stats *s, __s64 page,
					      __s64 delta)
{
	__s64 stride = st->stride;
	if (!stride)
		return;
	__s64 from = st->next, to = st->frontier;
	__s64 dist = stride > 0 ? page - from : from - page;
	__s64 span = stride > 0 ? to - from : from - to;
	if (dist < 0 || span < 0)
		return;
	__u64 step = (__u64)mmp_abs(stride);
	if ((__u64)dist % step)
		return;   /* between the stride's pages */
	if (dist <= span) {
		__sync_fetch_and_add(&s->pf_used, (__u64)dist / step + 1);
		st->used_page = page;
	} else {
		if ((delta > 0) != (stride > 0) || (__u64)mmp_abs(delta) > MMP_PF_HOLD * step)
			return;
		__sync_fetch_and_add(&s->pf_used, (__u64)span / step + 1);
		st->used_page = -1;   /* this page was not asked for: its fault is no late one */
	}
	st->next = page + stride;
}

/* Takes BYTES from the region's bucket (refilled at LIMIT a second, one
 * second's worth at most); false if there is not enough. */
static __always_inline int mmp_pf_take(struct mmp_region_stats *s, __u64 limit, __u64 bytes, __u64 now)
{
	__u64 elapsed = now - s->pf_tokens_ns;
	if (elapsed > 1000000000ULL || !s->pf_tokens_ns)
		elapsed = 1000000000ULL;
	__u64 tokens = s->pf_tokens + limit * (elapsed / 1000000) / 1000;
	if (tokens > limit)
		tokens = limit;
	s->pf_tokens_ns = now;
	if (tokens < bytes) {
		s->pf_tokens = tokens;
		return 0;
	}
	s->pf_tokens = tokens - bytes;
	return 1;
}

static __always_inline void mmp_pf_emit(__u32 tgid, __u32 region, __s64 start, __s64 stride, __u32 count)
{
	struct mmp_pf_event *e = bpf_ringbuf_reserve(&mmp_events, sizeof(*e), 0);
	if (!e) {
		mmp_count_lost();
		return;
	}
	e->kind = MMP_EV_PREFETCH;
	e->pid = tgid;
	e->region = region;
	e->count = count;
	e->start = (__u64)start << MMP_PAGE_SHIFT;
	e->stride = stride * (__s64)MMP_PAGE_SIZE;
	bpf_ringbuf_submit(e, 0);
}

/* A fault at ADDR in [LO, HI), a range of REGION whose statistics are S. */
static __always_inline void mmp_prefetch_fault(__u32 tgid, __u32 region, __u32 group, __u32 slot,
					       struct mmp_region_stats *s,
					       __u64 addr, __u64 lo, __u64 hi, int active, __u64 now)
{
	struct mmp_pf_config cfg = {};
	if (!mmp_group_prefetch(group, &cfg))
		return;
	struct mmp_pf_task *pt = bpf_task_storage_get(&mmp_pf_tasks, bpf_get_current_task_btf(), 0,
						      BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!pt)
		return;
	__s64 page = (__s64)(addr >> 12);
	struct mmp_pf_state *st = mmp_pf_state_of(pt, slot);
	if (!st) {
		st = &pt->way[pt->rr & (MMP_PF_WAYS - 1)];
		pt->rr++;
		__builtin_memset(st, 0, sizeof(*st));
		st->slot = slot + 1;
		st->last = page;
		return;
	}
	__s64 delta = page - st->last;
	if (!delta)
		return;
	st->last = page;
	mmp_pf_count_used(st, s, page, delta);
	/* Fault-around maps the cached pages of a 16-page block, so a thread
	 * reading at a short stride faults once per block: while locked, a
	 * delta that is a whole number of strides the same way is the stride. */
	if (st->stride && (delta > 0) == (st->stride > 0) && mmp_abs(delta) > mmp_abs(st->stride) &&
	    (__u64)mmp_abs(delta) % (__u64)mmp_abs(st->stride) == 0)
		delta = st->stride;
	__s32 d32 = delta > 0x7fffffff ? 0x7fffffff : delta < -0x7fffffff ? -0x7fffffff : (__s32)delta;
	st->hist[st->pos & (MMP_PF_WINDOW - 1)] = d32;
	st->pos++;
	if (st->n < MMP_PF_WINDOW)
		st->n++;

	__s64 stride = 0;
	if (cfg.pattern == MMP_PF_SEQUENTIAL) {
		/* Locked, a longer step holds: a fault on a large folio maps it all. */
		__s64 near = st->stride ? MMP_PF_HOLD : MMP_PF_NEAR;
		if (st->prev_delta && (delta > 0) == (st->prev_delta > 0) && mmp_abs(delta) <= near &&
		    mmp_abs(st->prev_delta) <= near)
			stride = delta > 0 ? 1 : -1;
	} else if (cfg.pattern == MMP_PF_STRIDE) {
		if (delta == st->prev_delta)
			stride = delta;
	} else {
		__u32 n = st->n < cfg.window ? st->n : cfg.window;
		if (n >= 2)
			stride = mmp_pf_majority(st, n);
	}
	st->prev_delta = delta;
	if (stride != st->stride) {
		/* Locked onto a new pattern, or lost it: predictions start over. */
		st->stride = stride;
		st->next = page + stride;
		st->frontier = page;
	}
	if (!stride || !active)
		return;

	__s64 lo_page = (__s64)(lo >> 12), hi_page = (__s64)((hi - 1) >> 12);
	__u64 step = (__u64)mmp_abs(stride);
	__u64 want = ((__u64)cfg.distance + 1) * cfg.degree;
	__u64 limit = cfg.limit ? cfg.limit : MMP_PF_DEFAULT_LIMIT;
	/* Past what was asked for: start again from here, not behind it (and
	 * what lies between was never asked for, so it is never counted used). */
	if (stride > 0 ? st->frontier < page : st->frontier > page) {
		st->frontier = page;
		st->next = page + stride;
	}
	for (int i = 0; i < MMP_PF_TOPUPS; i++) {
		__s64 ahead_pages = stride > 0 ? st->frontier - page : page - st->frontier;
		if ((__u64)ahead_pages / step >= want)
			break;
		__s64 start = st->frontier + stride;
		/* Only inside this range of the region. */
		__s64 room = stride > 0 ? hi_page - start : start - lo_page;
		if (room < 0)
			break;
		__u64 fits = (__u64)room / step + 1;
		__u32 count = fits < cfg.degree ? (__u32)fits : cfg.degree;
		if (!count)
			break;
		if (!mmp_pf_take(s, limit, (__u64)count * MMP_PAGE_SIZE, now)) {
			__sync_fetch_and_add(&s->pf_limited, 1);   /* held back: tried again at the next fault */
			break;
		}
		st->frontier = start + stride * (count - 1);
		__sync_fetch_and_add(&s->pf_predictions, 1);
		__sync_fetch_and_add(&s->pf_pages, count);
		mmp_pf_emit(tgid, region, start, stride, count);
	}
}

/* A major fault at ADDR: late, if it is the page just counted as used. */
static __always_inline void mmp_prefetch_major(__u32 slot, struct mmp_region_stats *s, __u64 addr)
{
	struct mmp_pf_task *pt = bpf_task_storage_get(&mmp_pf_tasks, bpf_get_current_task_btf(), 0, 0);
	if (!pt)
		return;
	struct mmp_pf_state *st = mmp_pf_state_of(pt, slot);
	if (st && st->used_page == (__s64)(addr >> 12))
		__sync_fetch_and_add(&s->pf_late, 1);
}

#endif
