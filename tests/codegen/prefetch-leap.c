static __always_inline int mmp_group_prefetch(__u32 group, struct mmp_pf_config *c)
{
	switch (group) {
	case 1:
		c->pattern = MMP_PF_LEAP;
		c->degree = 8;
		c->distance = 1;
		c->window = 16;
		c->limit = 67108864ULL;
		return 1;
	}
	return 0;
}
