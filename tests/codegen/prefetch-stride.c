static __always_inline int mmp_region_prefetch(__u32 region, struct mmp_pf_config *c)
{
	switch (mmp_group_of(region)) {
	case 1:
		c->pattern = MMP_PF_STRIDE;
		c->degree = 16;
		c->distance = 1;
		c->window = 8;
		c->limit = 0ULL;
		return 1;
	}
	return 0;
}
