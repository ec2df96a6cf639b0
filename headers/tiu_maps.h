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
#include "tiu_map_list.h"

/* One definition per line of tiu_map_list.h (the loader checks pins
 * against the same lines). Macro parameters are not named type, key, value,
 * max_entries or map_flags: __uint and __type take those as field names. */
#define TIU_MAP_DEFINE(name_, type_, key_, value_, max_, flags_) \
	struct {                                                \
		__uint(type, type_);                            \
		__uint(max_entries, max_);                      \
		__type(key, key_);                              \
		__type(value, value_);                          \
		__uint(map_flags, flags_);                      \
		__uint(pinning, LIBBPF_PIN_BY_NAME);            \
	} tiu_##name_ SEC(".maps");

TIU_MAP_LIST(TIU_MAP_DEFINE)

#endif /* TIU_MAPS_H */
