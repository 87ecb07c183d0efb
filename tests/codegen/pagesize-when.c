static __always_inline int mmp_when_1_pagesize(const struct mmp_region_stats *s, __u64 now)
{
#line 6 "pagesize-when.mmp"
	return ((mmp_rate(s, now) >= ((__s64)64LL)) && ((__s64)s->resident > ((__s64)33554432LL)));
}
