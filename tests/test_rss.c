// SPDX-License-Identifier: GPL-2.0
/*
 * test_rss.c - the decision behind `tiu status`'s RSS warning (loader/sys/rss.h)
 * on flow-hash bits as drivers report them through ETHTOOL_GRXFH. veth
 * reports nothing, so the bits of real drivers are spelled out here: one row
 * per case, the RXH_* fields as `ethtool -n IFACE rx-flow-hash udp4` names
 * them (s d f n = source/destination address, first/second half of the L4
 * header).
 */
#include <errno.h>
#include <stdio.h>

#include "tap.h"
#include "sys/rss.h"

static const struct {
	const char *name;
	int err;
	unsigned long long fields, rings;
	enum rss_verdict want;
} rows[] = {
	{ "veth: EOPNOTSUPP, says nothing", -EOPNOTSUPP, 0, 0, RSS_SILENT },
	{ "driver without rxnfc: EINVAL, says nothing", -EINVAL, 0, 0, RSS_SILENT },
	{ "sd (addresses only, the default of several drivers for UDP): warn", 0,
	  RXH_IP_SRC | RXH_IP_DST, 8, RSS_NO_PORTS },
	{ "sdfn: ports hashed, fine", 0, RXH_IP_SRC | RXH_IP_DST | RXH_L4_B_0_1 | RXH_L4_B_2_3, 8,
	  RSS_OK },
	{ "sdf (source port only): warn", 0, RXH_IP_SRC | RXH_IP_DST | RXH_L4_B_0_1, 8,
	  RSS_NO_PORTS },
	{ "fn without addresses: ports hashed, fine", 0, RXH_L4_B_0_1 | RXH_L4_B_2_3, 4, RSS_OK },
	{ "sdfn plus VLAN/L2DA bits: fine", 0,
	  RXH_L2DA | RXH_VLAN | RXH_IP_SRC | RXH_IP_DST | RXH_L4_B_0_1 | RXH_L4_B_2_3, 8, RSS_OK },
	{ "no fields at all on a multi-queue NIC: warn", 0, 0, 16, RSS_NO_PORTS },
	{ "sd on a single-queue NIC: nothing to spread, says nothing", 0,
	  RXH_IP_SRC | RXH_IP_DST, 1, RSS_SILENT },
	{ "sd, queue count unknown (GRXRINGS failed): warn", 0, RXH_IP_SRC | RXH_IP_DST, 0,
	  RSS_NO_PORTS },
	{ "flow type discarded (RXH_DISCARD): not judged", 0, RXH_DISCARD, 8, RSS_SILENT },
};

int main(void)
{
	static const char *const names[] = { "silent", "ok", "warn" };

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		enum rss_verdict got = rss_verdict(rows[i].err, rows[i].fields, rows[i].rings);

		tap(got == rows[i].want, "%s (got %s)", rows[i].name, names[got]);
	}
	return tap_done();
}
