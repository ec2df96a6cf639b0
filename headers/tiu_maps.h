/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tiu_maps.h - the map definitions, used ONLY by BPF programs.
 *
 * Included by both the XDP and the TC objects so that the definitions are
 * identical: libbpf pins each map by name (LIBBPF_PIN_BY_NAME) under the pin
 * root given at open time (`tiu --pin-dir`, `xdp-loader load -p DIR`), and the
 * second object to load reuses the first one's pins. A definition that differs
 * from existing pins makes libbpf refuse to reuse them; the loader reports that
 * as stale pins.
 */
#ifndef TIU_MAPS_H
#define TIU_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "tiu_common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TIU_MAX_ENDPOINTS);
	__type(key, struct tiu_endpoint_key);
	__type(value, struct tiu_endpoint_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tiu_endpoints SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TIU_PORTS);
	__type(key, __u32); /* port, host byte order */
	__type(value, struct tiu_port);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tiu_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TIU_MAX_SLOTS);
	__type(key, __u32); /* slot */
	__type(value, struct tiu_iface);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tiu_ifaces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TIU_MAX_SLOTS);
	__type(key, __u32); /* slot */
	__type(value, struct tiu_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tiu_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TIU_MAX_IFACES);
	__type(key, __u32); /* ifindex */
	__type(value, struct tiu_link);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tiu_links SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tiu_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tiu_config SEC(".maps");

#endif /* TIU_MAPS_H */
