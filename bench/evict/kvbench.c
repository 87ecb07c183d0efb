/* kvbench.c - a key-value store (RocksDB, through its C API) under a
 * YCSB-like mix of point reads and range scans: cache_ext's key-value
 * experiment, for bench/evict/rocksdb.sh.
 *
 *   kvbench load DIR KEYS VALUE_BYTES   create the database DIR (it must not
 *                                       exist) with KEYS keys
 *   kvbench run DIR SECONDS             the benchmark, on DIR read-only
 *
 * Build: cc -O2 -Wall -pthread -o kvbench kvbench.c -lrocksdb
 * (librocksdb-dev). The process's name (comm) is "kvbench", the binary's
 * name: mmp selects it with 'match comm "kvbench"'. Its GET threads are
 * named "kv-get" and its scan threads "kv-scan" (their own comm), so a
 * policy can tell their reads apart ('scanners comm "kv-scan"').
 *
 * The database. Keys are "user%010d", 0 to KEYS-1, as YCSB's; values are
 * VALUE_BYTES random bytes. Written in key order (WAL off), then flushed
 * and compacted over the whole key range, the last level rewritten too
 * (bottommost_level_compaction kForce), so the SST files are final, of the
 * target size, in one level, and do not overlap: a GET reads one data
 * block of one file. RocksDB's
 * options are its defaults except:
 *   - compression off (rocksdb_no_compression): random values do not
 *     compress, and the files' size is then what the page cache holds;
 *   - RocksDB's own block cache is an 8 MiB LRU cache (the default is
 *     32 MiB), so that the OS page cache is what caches data. Index
 *     blocks are not in it (cache_index_and_filter_blocks is off by
 *     default): each SST file's index is read when the file is opened and
 *     kept in the process's heap; there is no bloom filter (none by
 *     default, and a GET finds its one file by key range anyway);
 *   - KV_SST_MB (load only): the target size of an SST file
 *     (target_file_size_base), RocksDB's default 64 MiB when unset.
 * Reads use pread(2) on buffered file descriptors: allow_mmap_reads and
 * use_direct_reads are off (the defaults, set explicitly), so every read
 * goes through the page cache as read(2) does. advise_random_on_open is
 * on (the default): each SST file has POSIX_FADV_RANDOM, so a GET's miss
 * reads its block's pages alone, and the kernel's readahead does not
 * serve scans. RocksDB's own iterator readahead does (after two reads of
 * a file it issues readahead(2), from 8 KiB doubling up to 256 KiB).
 * The key count is kept in the database under the key "~kvbench" (which
 * sorts after every "user" key; scans skip it).
 *
 * The run. The database is opened read-only (no compaction, no write),
 * then, for KV_WARMUP seconds (5) and then SECONDS timed:
 *   - KV_GET_THREADS threads (2) each GET keys drawn from a zipfian
 *     distribution of constant KV_ZIPF (YCSB's 0.99; Gray et al.'s
 *     generator, as YCSB's ZipfianGenerator). With KV_SCRAMBLE=1 (the
 *     default, YCSB's "zipfian") a rank is hashed (FNV-1a 64) to a key,
 *     so the popular keys are spread over the key space and over every
 *     SST file; with KV_SCRAMBLE=0 rank r is key r, so the popular keys
 *     are the first ones and live in the first SST files;
 *   - KV_SCAN_THREADS threads (1) each SCAN: seek an iterator to a key
 *     drawn uniformly and read KV_SCAN_LEN entries (1000) from there,
 *     keys and values, wrapping to the first key at the end. KV_SCAN_RATE
 *     (0: as fast as it can) caps each scan thread's scans a second;
 *   - KV_MIXED_THREADS threads (0) each do one or the other in turn, as
 *     cache_ext's GET-SCAN threads: a scan with probability KV_SCAN_PCT
 *     percent (5), a GET otherwise. Such a thread is named "kv-get" and
 *     renames itself "kv-scan" for the length of each scan
 *     (pthread_setname_np: two prctl(2) calls a scan), so that a policy
 *     that reads thread names at each read tells the scans' reads apart.
 * Read options are the defaults for both (fill_cache on: the scans' blocks
 * go through RocksDB's 8 MiB block cache as the GETs' do; no explicit
 * readahead_size, so RocksDB's automatic iterator readahead above).
 *
 * Bytes from disk: each thread's read_bytes delta over the timed phase,
 * from /proc/thread-self/io (the bytes it submitted to the block layer);
 * a mixed thread reads it before and after each scan, and its GETs' bytes
 * are the rest. Each GET or mixed thread also counts (with its perf
 * context off during scans), in RocksDB's thread-local perf context,
 * the blocks it read from files (block_read_count, block_read_byte: block
 * cache misses, each one pread, cached in the page cache or not) and its
 * block cache hits. A block of B bytes at a random offset spans on
 * average 1 + (B - 1) / 4096 pages, so the GETs' page hit ratio is
 * estimated as 1 - disk bytes / (block reads * 4096 + block bytes). It is
 * an estimate: a page two blocks share counts for both.
 *
 * KV_TRACE=1 prints, every second to stderr, that second's GETs and scans
 * and the GET threads' MiB read from disk.
 *
 * Prints one line of key=value pairs:
 *   gets gets_per_s scans scans_per_s get_disk_bytes get_disk_bytes_per_get
 *   get_block_reads get_block_bytes get_block_cache_hits get_hit_pct
 *   scan_entries scan_disk_bytes scan_disk_mib_s not_found seconds
 *   get_threads scan_threads mixed_threads keys
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <rocksdb/c.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../now.h"
#include "thread_io.h"

#define META_KEY "~kvbench"
#define KEY_LEN 14                          /* "user" + 10 digits */
#define BLOCK_CACHE_BYTES (8u << 20)

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "kvbench: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

static void check(char *err, const char *what)
{
	if (err) {
		fprintf(stderr, "kvbench: %s: %s\n", what, err);
		exit(1);
	}
}

static long env_long(const char *name, long def, long min)
{
	const char *s = getenv(name);
	if (!s || !*s)
		return def;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < min)
		die("bad %s: a whole number is wanted", name);
	return v;
}

static double env_double(const char *name, double def)
{
	const char *s = getenv(name);
	if (!s || !*s)
		return def;
	char *end;
	double v = strtod(s, &end);
	if (*end || !(v >= 0))
		die("bad %s: a number is wanted", name);
	return v;
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double uniform01(uint64_t *s)
{
	return (double)(splitmix(s) >> 11) * 0x1.0p-53;
}

static uint64_t fnv1a64(uint64_t v)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (int i = 0; i < 8; i++) {
		h ^= v & 0xff;
		h *= 0x100000001b3ULL;
		v >>= 8;
	}
	return h;
}

static void make_key(char *buf, long i)
{
	char tmp[KEY_LEN + 1];
	snprintf(tmp, sizeof(tmp), "user%010ld", i);
	memcpy(buf, tmp, KEY_LEN);
}

/* Common options: see the header. */
static rocksdb_options_t *db_options(rocksdb_cache_t **cache, rocksdb_block_based_table_options_t **bbo)
{
	rocksdb_options_t *o = rocksdb_options_create();
	*cache = rocksdb_cache_create_lru(BLOCK_CACHE_BYTES);
	*bbo = rocksdb_block_based_options_create();
	rocksdb_block_based_options_set_block_cache(*bbo, *cache);
	rocksdb_options_set_block_based_table_factory(o, *bbo);
	rocksdb_options_set_compression(o, rocksdb_no_compression);
	rocksdb_options_set_allow_mmap_reads(o, 0);
	rocksdb_options_set_use_direct_reads(o, 0);
	rocksdb_options_set_keep_log_file_num(o, 4);   /* each open starts a LOG */
	return o;
}

/* --- load ------------------------------------------------------------------- */

static int load(const char *dir, long keys, long vbytes)
{
	rocksdb_cache_t *cache;
	rocksdb_block_based_table_options_t *bbo;
	rocksdb_options_t *o = db_options(&cache, &bbo);
	char *err = NULL;
	rocksdb_options_set_create_if_missing(o, 1);
	rocksdb_options_set_error_if_exists(o, 1);
	rocksdb_options_increase_parallelism(o, (int)sysconf(_SC_NPROCESSORS_ONLN));
	long sst_mb = env_long("KV_SST_MB", 0, 1);
	if (sst_mb)
		rocksdb_options_set_target_file_size_base(o, (uint64_t)sst_mb << 20);
	rocksdb_t *db = rocksdb_open(o, dir, &err);
	check(err, "open");
	rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
	rocksdb_writeoptions_disable_WAL(wo, 1);
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	char *val = malloc((size_t)vbytes);
	if (!val)
		die("%s", "out of memory");
	uint64_t seed = 42;
	char key[KEY_LEN];
	double t0 = now();
	for (long i = 0; i < keys; i++) {
		for (long j = 0; j < vbytes; j += 8) {
			uint64_t r = splitmix(&seed);
			memcpy(val + j, &r, (size_t)(vbytes - j < 8 ? vbytes - j : 8));
		}
		make_key(key, i);
		rocksdb_writebatch_put(b, key, KEY_LEN, val, (size_t)vbytes);
		if (rocksdb_writebatch_count(b) >= 1000 || i == keys - 1) {
			rocksdb_write(db, wo, b, &err);
			check(err, "write");
			rocksdb_writebatch_clear(b);
		}
	}
	char meta[64];
	snprintf(meta, sizeof(meta), "keys=%ld value=%ld", keys, vbytes);
	rocksdb_put(db, wo, META_KEY, strlen(META_KEY), meta, strlen(meta), &err);
	check(err, "put");
	rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
	rocksdb_flushoptions_set_wait(fo, 1);
	rocksdb_flush(db, fo, &err);
	check(err, "flush");
	double t1 = now();
	/* Over the whole key range, rewriting the last level too (kForce): keys
	 * written in order make files that do not overlap, which a plain
	 * compaction would only move, keeping the memtable's file sizes. */
	rocksdb_compactoptions_t *co = rocksdb_compactoptions_create();
	rocksdb_compactoptions_set_bottommost_level_compaction(co, 2);   /* kForce */
	rocksdb_compact_range_opt(db, co, NULL, 0, NULL, 0);
	rocksdb_compactoptions_destroy(co);
	double t2 = now();
	char *levels = rocksdb_property_value(db, "rocksdb.levelstats");
	printf("loaded keys=%ld value_bytes=%ld write_s=%.1f compact_s=%.1f\n", keys, vbytes, t1 - t0, t2 - t1);
	if (levels)
		printf("%s", levels);
	free(levels);
	rocksdb_flushoptions_destroy(fo);
	rocksdb_writebatch_destroy(b);
	rocksdb_writeoptions_destroy(wo);
	free(val);
	rocksdb_close(db);
	rocksdb_options_destroy(o);
	rocksdb_block_based_options_destroy(bbo);
	rocksdb_cache_destroy(cache);
	return 0;
}

/* --- run -------------------------------------------------------------------- */

static rocksdb_t *db;
static long nkeys;
static atomic_int phase;                    /* 0 warm-up, 1 timed, 2 stop */
static int scramble;
static long scan_len;
static double scan_rate;
static double scan_pct;                     /* a mixed thread's share of scans, in percent */

/* Gray et al.'s zipfian generator over [0, n), as YCSB's. */
static double zipf_theta, zipf_zetan, zipf_alpha, zipf_eta;

static void zipf_init(long n, double theta)
{
	double zeta2 = 1 + pow(0.5, theta);
	zipf_zetan = 0;
	for (long i = 1; i <= n; i++)
		zipf_zetan += 1 / pow((double)i, theta);
	zipf_theta = theta;
	zipf_alpha = 1 / (1 - theta);
	zipf_eta = (1 - pow(2.0 / (double)n, 1 - theta)) / (1 - zeta2 / zipf_zetan);
}

static long zipf_next(uint64_t *s)
{
	double u = uniform01(s);
	double uz = u * zipf_zetan;
	long r;
	if (uz < 1)
		r = 0;
	else if (uz < 1 + pow(0.5, zipf_theta))
		r = 1;
	else
		r = (long)((double)nkeys * pow(zipf_eta * u - zipf_eta + 1, zipf_alpha));
	if (r >= nkeys)
		r = nkeys - 1;
	return scramble ? (long)(fnv1a64((uint64_t)r) % (uint64_t)nkeys) : r;
}

/* What a thread does: GETs only, scans only, or both in turn (a GET or,
 * with probability scan_pct, a scan). */
enum role { ROLE_GET, ROLE_SCAN, ROLE_MIXED };

struct worker {
	pthread_t tid;
	enum role role;
	uint64_t seed;
	atomic_ullong gets, scans;          /* all phases (for the trace) */
	atomic_ullong disk;                 /* its GETs' read_bytes, about every 0.1 s (for the trace) */
	/* the timed phase */
	unsigned long long t_gets, t_scans, t_get_disk, t_scan_disk, t_entries, t_not_found;
	unsigned long long t_block_reads, t_block_bytes, t_cache_hits;
};

/* A scan of scan_len entries from a uniform random key; returns the
 * entries read. */
static long scan_once(struct worker *w, rocksdb_readoptions_t *ro, unsigned long long *sink)
{
	char key[KEY_LEN];
	long n = 0;
	make_key(key, (long)(splitmix(&w->seed) % (uint64_t)nkeys));
	rocksdb_iterator_t *it = rocksdb_create_iterator(db, ro);
	rocksdb_iter_seek(it, key, KEY_LEN);
	while (n < scan_len) {
		if (!rocksdb_iter_valid(it)) {
			rocksdb_iter_seek_to_first(it);
			if (!rocksdb_iter_valid(it))
				break;
		}
		size_t kl, vl;
		const char *k = rocksdb_iter_key(it, &kl);
		const char *v = rocksdb_iter_value(it, &vl);
		if (kl == KEY_LEN && k[0] == 'u') {
			*sink += (unsigned char)v[vl / 2] + vl;
			n++;
		}
		rocksdb_iter_next(it);
	}
	char *err = NULL;
	rocksdb_iter_get_error(it, &err);
	check(err, "scan");
	rocksdb_iter_destroy(it);
	return n;
}

/* A GET of a zipfian key: 1 if found. */
static int get_once(struct worker *w, rocksdb_readoptions_t *ro, unsigned long long *sink)
{
	char key[KEY_LEN];
	make_key(key, zipf_next(&w->seed));
	size_t vl;
	char *err = NULL;
	char *v = rocksdb_get(db, ro, key, KEY_LEN, &vl, &err);
	check(err, "get");
	if (v)
		*sink += (unsigned char)v[vl / 2];
	rocksdb_free(v);
	return v != NULL;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	/* Each thread says what it does, as an application can for its
	 * page-cache policy (kv-getscan.mmp's 'scanners'); the process keeps
	 * its name. A mixed thread is "kv-get", and "kv-scan" for the length
	 * of each scan: cache_ext's application writes the thread's id to a
	 * map for each scan instead. */
	pthread_setname_np(pthread_self(), w->role == ROLE_SCAN ? "kv-scan" : "kv-get");
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	rocksdb_perfcontext_t *pc = NULL;
	if (w->role != ROLE_SCAN) {
		rocksdb_set_perf_level(rocksdb_enable_count);   /* this thread's */
		pc = rocksdb_perfcontext_create();
	}
	unsigned long long gets = 0, scans = 0, base_gets = 0, base_scans = 0, io0 = 0, scan_disk = 0, scan_disk_all = 0;
	unsigned long long entries = 0, not_found = 0, sink = 0;
	int cur = 0;
	double t_start = now(), t_io = t_start;
	unsigned long long io_start = thread_read_bytes();
	for (;;) {
		int p = atomic_load_explicit(&phase, memory_order_relaxed);
		if (p != cur) {
			if (p == 1) {
				io0 = thread_read_bytes();
				base_gets = gets, base_scans = scans;
				entries = not_found = scan_disk = 0;
				if (pc)
					rocksdb_perfcontext_reset(pc);
				cur = 1;
			} else {
				break;
			}
		}
		int scan = w->role == ROLE_SCAN ||
			   (w->role == ROLE_MIXED && (double)(splitmix(&w->seed) % 1000000) < scan_pct * 10000);
		if (scan && w->role == ROLE_SCAN && scan_rate > 0) {
			double due = t_start + (double)scans / scan_rate, t = now();
			if (due > t) {
				struct timespec ts = { (time_t)(due - t), (long)((due - t - (double)(time_t)(due - t)) * 1e9) };
				nanosleep(&ts, NULL);
			}
		}
		if (scan && w->role == ROLE_MIXED) {
			/* The scan's blocks and bytes apart from the GETs'. */
			rocksdb_set_perf_level(rocksdb_disable);
			pthread_setname_np(pthread_self(), "kv-scan");
			unsigned long long d0 = thread_read_bytes();
			entries += (unsigned long long)scan_once(w, ro, &sink);
			d0 = thread_read_bytes() - d0;
			scan_disk += d0;
			scan_disk_all += d0;
			pthread_setname_np(pthread_self(), "kv-get");
			rocksdb_set_perf_level(rocksdb_enable_count);
		} else if (scan) {
			entries += (unsigned long long)scan_once(w, ro, &sink);
		} else if (!get_once(w, ro, &sink)) {
			not_found++;
		}
		if (scan)
			atomic_store_explicit(&w->scans, ++scans, memory_order_relaxed);
		else
			atomic_store_explicit(&w->gets, ++gets, memory_order_relaxed);
		if (w->role != ROLE_SCAN && ((gets & 15) == 0 || scan)) {
			double t = now();
			if (t - t_io >= 0.1) {
				atomic_store_explicit(&w->disk, thread_read_bytes() - io_start - scan_disk_all,
						      memory_order_relaxed);
				t_io = t;
			}
		}
	}
	unsigned long long disk = thread_read_bytes() - io0;
	w->t_gets = gets - base_gets;
	w->t_scans = scans - base_scans;
	w->t_scan_disk = w->role == ROLE_SCAN ? disk : scan_disk;
	w->t_get_disk = w->role == ROLE_SCAN ? 0 : disk - scan_disk;
	w->t_entries = entries;
	w->t_not_found = not_found;
	if (pc) {
		w->t_block_reads = rocksdb_perfcontext_metric(pc, rocksdb_block_read_count);
		w->t_block_bytes = rocksdb_perfcontext_metric(pc, rocksdb_block_read_byte);
		w->t_cache_hits = rocksdb_perfcontext_metric(pc, rocksdb_block_cache_hit_count);
		rocksdb_perfcontext_destroy(pc);
	}
	if (sink == 42)                     /* keep the reads */
		fputc(' ', stderr);
	rocksdb_readoptions_destroy(ro);
	return NULL;
}

/* The sum over the threads of a counter they keep up to date as they
 * run, for the trace: GETs, scans, or the GETs' read_bytes. */
enum live { LIVE_GETS, LIVE_SCANS, LIVE_GET_DISK };
static unsigned long long sum_live(struct worker *w, int n, enum live what)
{
	unsigned long long s = 0;
	for (int i = 0; i < n; i++)
		s += atomic_load_explicit(what == LIVE_GETS ? &w[i].gets : what == LIVE_SCANS ? &w[i].scans : &w[i].disk,
					  memory_order_relaxed);
	return s;
}

static void sleep_until(double t)
{
	for (double d; (d = t - now()) > 0;) {
		struct timespec ts = { (time_t)d, (long)((d - (double)(time_t)d) * 1e9) };
		nanosleep(&ts, NULL);
	}
}

static int run(const char *dir, double seconds)
{
	int gets = (int)env_long("KV_GET_THREADS", 2, 0);
	int scans = (int)env_long("KV_SCAN_THREADS", 1, 0);
	int mixed = (int)env_long("KV_MIXED_THREADS", 0, 0);
	double warmup = env_double("KV_WARMUP", 5);
	double theta = env_double("KV_ZIPF", 0.99);
	int trace = (int)env_long("KV_TRACE", 0, 0);
	scramble = (int)env_long("KV_SCRAMBLE", 1, 0);
	scan_len = env_long("KV_SCAN_LEN", 1000, 1);
	scan_rate = env_double("KV_SCAN_RATE", 0);
	scan_pct = env_double("KV_SCAN_PCT", 5);
	if (gets + scans + mixed == 0)
		die("%s", "no threads (KV_GET_THREADS, KV_SCAN_THREADS and KV_MIXED_THREADS are 0)");
	if (scan_pct > 100)
		die("%s", "KV_SCAN_PCT is a percentage: 0 to 100");
	if (theta <= 0 || theta >= 1)
		die("%s", "KV_ZIPF must be between 0 and 1");

	rocksdb_cache_t *cache;
	rocksdb_block_based_table_options_t *bbo;
	rocksdb_options_t *o = db_options(&cache, &bbo);
	char *err = NULL;
	db = rocksdb_open_for_read_only(o, dir, 0, &err);
	check(err, "open");
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	size_t ml;
	char *meta = rocksdb_get(db, ro, META_KEY, strlen(META_KEY), &ml, &err);
	check(err, "get " META_KEY);
	if (!meta)
		die("%s: no " META_KEY " key: not a database made by 'kvbench load'", dir);
	char mbuf[64];
	snprintf(mbuf, sizeof(mbuf), "%.*s", (int)ml, meta);
	rocksdb_free(meta);
	rocksdb_readoptions_destroy(ro);
	if (sscanf(mbuf, "keys=%ld", &nkeys) != 1 || nkeys < 2)
		die("bad " META_KEY " value '%s'", mbuf);
	zipf_init(nkeys, theta);

	int n = gets + scans + mixed;
	struct worker *w = calloc((size_t)n, sizeof(*w));
	if (!w)
		die("%s", "out of memory");
	uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	for (int i = 0; i < n; i++) {
		w[i].role = i < gets ? ROLE_GET : i < gets + scans ? ROLE_SCAN : ROLE_MIXED;
		w[i].seed = splitmix(&seed);
		if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]))
			die("%s", "pthread_create failed");
	}
	double t0 = now();
	unsigned long long pg = 0, ps = 0, pd = 0;
	if (trace)
		fprintf(stderr, "kvbench: %.1f s warm-up, %.1f s timed\n", warmup, seconds);
	/* A line a second (KV_TRACE), the warm-up's and then the timed phase's. */
	double t1 = 0, t2, start = t0, len = warmup;
	for (int sec = 1;; sec++) {
		int last = start + sec >= start + len;
		sleep_until(last ? start + len : start + sec);
		if (trace) {
			unsigned long long g = sum_live(w, n, LIVE_GETS), s = sum_live(w, n, LIVE_SCANS),
					   d = sum_live(w, n, LIVE_GET_DISK);
			fprintf(stderr, "  %s %5.1f s: gets %8llu scans %5llu get_disk_mib %7.1f\n", t1 ? "timed  " : "warm-up",
				now() - start, g - pg, s - ps, (double)(d - pd) / 1048576);
			pg = g, ps = s, pd = d;
		}
		if (!last)
			continue;
		if (t1)
			break;
		t1 = start = now();
		len = seconds;
		atomic_store(&phase, 1);
		sec = 0;
	}
	atomic_store(&phase, 2);
	t2 = now();
	for (int i = 0; i < n; i++)
		pthread_join(w[i].tid, NULL);

	unsigned long long g = 0, s = 0, gd = 0, sd = 0, br = 0, bb = 0, ch = 0, ent = 0, nf = 0;
	for (int i = 0; i < n; i++) {
		g += w[i].t_gets, s += w[i].t_scans, gd += w[i].t_get_disk, sd += w[i].t_scan_disk;
		ent += w[i].t_entries, nf += w[i].t_not_found;
		br += w[i].t_block_reads, bb += w[i].t_block_bytes, ch += w[i].t_cache_hits;
	}
	double secs = t2 - t1;
	double pages = (double)br * 4096 + (double)bb;
	double hit = pages > 0 ? 100 * (1 - (double)gd / pages) : 100;
	printf("gets=%llu gets_per_s=%.0f scans=%llu scans_per_s=%.1f get_disk_bytes=%llu get_disk_bytes_per_get=%.0f "
	       "get_block_reads=%llu get_block_bytes=%llu get_block_cache_hits=%llu get_hit_pct=%.2f "
	       "scan_entries=%llu scan_disk_bytes=%llu scan_disk_mib_s=%.1f not_found=%llu seconds=%.2f "
	       "get_threads=%d scan_threads=%d mixed_threads=%d keys=%ld\n",
	       g, (double)g / secs, s, (double)s / secs, gd, g ? (double)gd / (double)g : 0.0, br, bb, ch, hit,
	       ent, sd, (double)sd / 1048576 / secs, nf, secs, gets, scans, mixed, nkeys);
	fflush(stdout);
	free(w);
	rocksdb_close(db);
	rocksdb_options_destroy(o);
	rocksdb_block_based_options_destroy(bbo);
	rocksdb_cache_destroy(cache);
	return nf ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "load")) {
		char *e1, *e2;
		long keys = strtol(argv[3], &e1, 10), vbytes = strtol(argv[4], &e2, 10);
		if (*e1 || *e2 || keys < 2 || keys > 9999999999L || vbytes < 1 || vbytes > (64 << 20))
			die("%s", "load: KEYS (2 or more) and VALUE_BYTES (1 or more) are whole numbers");
		return load(argv[2], keys, vbytes);
	}
	if (argc == 4 && !strcmp(argv[1], "run")) {
		char *e;
		double secs = strtod(argv[3], &e);
		if (*e || !(secs > 0))
			die("run: bad SECONDS '%s'", argv[3]);
		return run(argv[2], secs);
	}
	fprintf(stderr, "usage: kvbench load DIR KEYS VALUE_BYTES\n"
			"       kvbench run DIR SECONDS   (environment: KV_GET_THREADS KV_SCAN_THREADS KV_MIXED_THREADS\n"
			"                                  KV_SCAN_PCT KV_WARMUP KV_ZIPF KV_SCRAMBLE KV_SCAN_LEN\n"
			"                                  KV_SCAN_RATE KV_TRACE)\n");
	return 2;
}
