/* floor.bpf.c - an empty program on the fault hook: the cost of the hook itself. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
char LICENSE[] SEC("license") = "GPL";
SEC("tp_btf/page_fault_user")
int BPF_PROG(floor_fault, unsigned long address, void *regs, unsigned long error_code)
{
	return 0;
}
