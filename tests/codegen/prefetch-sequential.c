static __always_inline int mmp_group_prefetch(__u32 group, struct mmp_pf_config *c)
{
	switch (group) {
	case 1:
		c->pattern = MMP_PF_SEQUENTIAL;
		c->degree = 32;
		c->distance = 2;
		c->window = 8;
		c->limit = 0ULL;
		return 1;
	}
	return 0;
}
