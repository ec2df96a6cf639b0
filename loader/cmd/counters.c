// SPDX-License-Identifier: GPL-2.0
/*
 * counters.c - the counters of `tiu stats` in one table: the datapath's, as
 * the lines of TIU_STATS() (headers/tiu_common.h) state them, label, help
 * and Prometheus family with its direction and reason or event; then the
 * keepalive's (keepalive.c reads them from tiu_ka_ifaces). No code: stats.c
 * prints it, tests/test_counters.c checks it.
 */
#include "cmd.h"

const struct prom_family prom_families[PROM__MAX] = {
	[PROM_CONVERTED] = { "tiu_converted_packets_total",
			     "Packets converted by tiu (encap: TCP to UDP in place, detour: segments of the detour, decap: UDP back to TCP)",
			     NULL },
	[PROM_BYTES] = { "tiu_converted_bytes_total",
			 "Bytes (L3 and up) of the converted packets", NULL },
	[PROM_PASSED] = { "tiu_passed_packets_total",
			  "Packets tiu looked at and passed untouched, by reason", "reason" },
	[PROM_DROPPED] = { "tiu_dropped_packets_total",
			   "Packets tiu dropped, by reason", "reason" },
	[PROM_EVENT] = { "tiu_events_total",
			 "Other tiu counters (e.g. event=\"detoured\": TCP sent through the segmentation detour)",
			 "event" },
};

#define COUNTER_(name_, label_, family_, direction_, value_, help_) \
	[TIU_STAT_##name_] = { label_, help_, PROM_##family_, direction_, value_ },

const struct tiu_counter tiu_counters[TIU_N_COUNTERS] = {
	TIU_STATS(COUNTER_)
	[TIU_STAT__MAX + 0] = { "keepalive_given",
				"tunnelled connections (and MPTCP subflows) given a TCP keepalive (sock_ops)",
				PROM_EVENT, "keepalive", "given" },
	[TIU_STAT__MAX + 1] = { "keepalive_failed",
				"matching connections where bpf_setsockopt() failed",
				PROM_EVENT, "keepalive", "failed" },
	[TIU_STAT__MAX + 2] = { "keepalive_kept",
				"matching connections left with the SO_KEEPALIVE their application chose",
				PROM_EVENT, "keepalive", "kept" },
};
