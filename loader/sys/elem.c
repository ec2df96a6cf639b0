// SPDX-License-Identifier: GPL-2.0
/*
 * elem.c - elem_update(): an element added to a BPF_F_NO_PREALLOC hash map
 * may fail with ENOMEM while memory is plentiful. Since 6.1 such a map takes
 * its elements from the BPF memory allocator's per-CPU free list
 * (alloc_htab_elem() -> bpf_mem_cache_alloc() -> unit_alloc(),
 * kernel/bpf/memalloc.c), which gives NULL when the list is empty and only
 * asks for a refill (irq_work_raise(), run later by bpf_mem_refill()).
 * Where the CPU has no interrupt to raise irq_work with (mips defines no
 * arch_irq_work_raise()), the refill waits for the next timer tick
 * (irq_work_tick()), so a burst of updates (the ports of a range) runs the
 * list dry and gets ENOMEM: seen on the mipsel lane (6.1, malta) within the
 * 100 ports of one range. Waiting a little and trying again lets the refill
 * run; a real shortage still fails after about a second.
 */
#include <errno.h>
#include <time.h>
#include <bpf/bpf.h>

#include "elem.h"

int elem_update(int fd, const void *key, const void *value, __u64 flags)
{
	const struct timespec tick = { .tv_nsec = 2 * 1000 * 1000 };

	for (int tries = 0;; tries++) {
		if (!bpf_map_update_elem(fd, key, value, flags))
			return 0;
		if (errno != ENOMEM || tries == 500)
			return -1;
		nanosleep(&tick, NULL);
	}
}
