/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rss.h - whether a NIC spreads tunnelled flows over its receive queues.
 *
 * Receive-side scaling picks a queue (and so a CPU) from a hash of the
 * fields the driver is told to use per flow type (ethtool rx-flow-hash,
 * ETHTOOL_GRXFH). Every tunnelled connection is UDP between the same two
 * addresses; if the UDP hash leaves out the ports, all connections between
 * two hosts land on one queue. Self-contained so that tests/test_rss.c
 * checks the decision on flow-hash bits that veth cannot produce.
 */
#ifndef TIU_RSS_H
#define TIU_RSS_H

#include <stdbool.h>
#include <linux/ethtool.h>

#define RSS_PORTS (RXH_L4_B_0_1 | RXH_L4_B_2_3)

enum rss_verdict {
	RSS_SILENT,   /* the driver reports nothing, or has one queue: say nothing */
	RSS_OK,       /* UDP ports are in the hash */
	RSS_NO_PORTS, /* UDP hashed without both ports: warn */
};

/*
 * err: the ETHTOOL_GRXFH call's result (0 or -errno), fields: its RXH_*
 * bits, rx_rings: receive queues (ETHTOOL_GRXRINGS), 0 if unknown.
 */
static inline enum rss_verdict rss_verdict(int err, unsigned long long fields,
					   unsigned long long rx_rings)
{
	if (err || rx_rings == 1)
		return RSS_SILENT;
	if (fields & RXH_DISCARD)
		return RSS_SILENT; /* the flow type is dropped: not ours to judge */
	return (fields & RSS_PORTS) == RSS_PORTS ? RSS_OK : RSS_NO_PORTS;
}

#endif /* TIU_RSS_H */
