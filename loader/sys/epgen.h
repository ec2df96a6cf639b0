/* SPDX-License-Identifier: GPL-2.0 */
/*
 * epgen.h - the generation of the endpoint table (tiu_config.ep_gen),
 * stepped around every deletion from tiu_endpoints so that the programs'
 * memo of exact endpoints (headers/tiu_match.h, tiu_endpoint_exact())
 * forgets what was deleted (epgen.c). Self-contained (libbpf only): the
 * tests' harness deletes elements the same way.
 */
#ifndef TIU_EPGEN_H
#define TIU_EPGEN_H

#include <stdbool.h>

/* Before the deletions: the generation made odd (the memo is neither used
 * nor filled meanwhile). config_fd: tiu_config. 0, or -1 with errno. */
int epgen_begin(int config_fd);

/*
 * After them: wait for an RCU grace period (grace = true; every program run
 * that began before has ended), then the next even generation; 0. Without
 * a grace period (membarrier() refused it): 1 with errno, the generation
 * left odd, which keeps the memo off (the caller says so). grace = false:
 * the tests' harness, whose program runs are its own test runs, one at a
 * time. -1 with errno: the map write failed.
 */
int epgen_end(int config_fd, bool grace);

#endif /* TIU_EPGEN_H */
