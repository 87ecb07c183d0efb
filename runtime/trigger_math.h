/* trigger_math.h - the arithmetic of triggers on plain values: the stall
 * share between samples of a pressure file, a share or a usage against a
 * threshold, and when pressure or usage has lasted long enough ('for').
 * trigger.c reads the files, watches the descriptors and logs. */
#ifndef MMP_TRIGGER_MATH_H
#define MMP_TRIGGER_MATH_H

#include <stdbool.h>

#define SAMPLE_NS 1000000000LL   /* "pressure now" is the stall share over the last second */
#define PSI_HISTORY 64           /* ticks of samples kept (100 ms each) */

struct psi_sample {
	long long t;
	unsigned long long total;    /* stall time, microseconds */
};

/* A comparison's right side: over PCT percent ('>'), or at least (GE). */
struct threshold {
	unsigned pct;
	bool ge;
};

/* A pressure comparison's state. */
struct pressure_state {
	bool active;                 /* woken: sampling */
	long long since;             /* the share has been over since; 0: not over */
	long long quiet_since;       /* active, but under the threshold since */
	struct psi_sample hist[PSI_HISTORY];
	unsigned nhist;
};

/* A usage comparison's state for one cgroup. */
struct usage_level {
	long long since;             /* 0: not over */
	long long excess;            /* bytes over the threshold at the last sample */
	long long room;              /* bytes between the threshold and the limit */
};

/* The stall share between two samples, in hundredths of a percent. */
long psi_share_between(const struct psi_sample *a, const struct psi_sample *b);
/* Is a share (or usage) in hundredths of a percent over TH? */
bool threshold_over(const struct threshold *th, long long hundredths);
/* The bytes of LIMIT that TH's percentage is. */
long long threshold_bytes(const struct threshold *th, long long limit);

/* The stall share over the last second (or since the first sample, if that
 * is later but at least 200 ms back); -1 when too early to tell. */
long psi_share_now(const struct pressure_state *s, long long now);
/* Adds a sample, the oldest giving way when the history is full. */
void pressure_record(struct pressure_state *s, long long now, unsigned long long total);
/* Not active: is a look due (once a second)? */
bool pressure_look_due(const struct pressure_state *s, long long now);
/* The PSI trigger fired: pressure counts from NOW if it was not active.
 * Says whether it was not. */
bool pressure_wake(struct pressure_state *s, long long now);

enum pressure_change {
	PRESSURE_SAME,
	PRESSURE_ROSE,               /* sampled over the threshold: active from now */
	PRESSURE_FELL,               /* was over, now under (*share says how much) */
};
/* After a sample at NOW (or a failed read): starts, keeps or ends the time
 * pressure counts from, and goes back to waiting once it has been under
 * for more than two seconds. */
enum pressure_change pressure_update(struct pressure_state *s, const struct threshold *th, long long now, long *share);
/* Has the pressure been over for HOLD_NS? */
bool pressure_held(const struct pressure_state *s, long long now, long long hold_ns);
void pressure_reset(struct pressure_state *s);

/* A sample of a cgroup's usage against LIMIT (0: none, never over). */
void usage_update(struct usage_level *u, const struct threshold *th, long long usage, long long limit, long long now);
/* Has the usage been over for HOLD_NS? */
bool usage_held(const struct usage_level *u, long long now, long long hold_ns);
/* What to free to bring it back under, and half the room below: see
 * trigger_excess. */
long long usage_to_free(const struct usage_level *u);
/* What is left below the limit, as last read. */
long long usage_headroom(const struct usage_level *u);

#endif
