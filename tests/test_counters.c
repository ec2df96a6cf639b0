// SPDX-License-Identifier: GPL-2.0
/*
 * test_counters.c - every counter of `tiu stats` (loader/cmd/counters.c:
 * TIU_STATS() of headers/tiu_common.h, then the keepalive's) has a label, a
 * help text and a Prometheus family stated with its direction and reason or
 * event, and they are consistent:
 *  - a family tiu prints, with a name ending in _total and a HELP text;
 *  - a direction of the four; a reason/event exactly where the family has
 *    that label, and one that is a valid label value;
 *  - no two counters land on the same sample (family, direction, value);
 *  - what the help text says the counter is agrees with its family: "passed
 *    untouched" is tiu_passed_packets_total, "dropped" is
 *    tiu_dropped_packets_total, a converted packet or its bytes are the
 *    converted families. So a counter cannot land silently in
 *    tiu_events_total because its name breaks a pattern.
 * No root, no BPF: counters.c is data and is linked alone.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "cmd/cmd.h"

static bool valid_value(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && !strcmp(s + n - t, tail);
}

/* The family the help text describes: -1 for "other" (an event). */
static int family_of_help(const struct tiu_counter *c)
{
	if (strstr(c->help, "passed untouched"))
		return PROM_PASSED;
	if (ends_with(c->help, "dropped") || strstr(c->help, ", dropped ("))
		return PROM_DROPPED;
	if (!strncmp(c->help, "bytes (L3 and up) of ", 21))
		return PROM_BYTES;
	if (strstr(c->help, "converted") && !strstr(c->help, "also counted as converted") &&
	    !strstr(c->help, "sent through"))
		return PROM_CONVERTED;
	return PROM_EVENT;
}

static void test_families(void)
{
	for (int f = 0; f < PROM__MAX; f++) {
		const struct prom_family *p = &prom_families[f];

		tap(p->name && ends_with(p->name, "_total") && !strncmp(p->name, "tiu_", 4) &&
			    p->help && *p->help,
		    "family %d: %s, a tiu_..._total counter with a HELP text", f,
		    p->name ? p->name : "(none)");
	}
}

static void test_counter(int i)
{
	static const char *const dirs[] = { "encap", "detour", "decap", "keepalive" };
	const struct tiu_counter *c = &tiu_counters[i];
	const struct prom_family *p;
	bool dir_ok = false, value_ok, unique = true;
	int want;

	if (!c->label || !c->help || !c->direction || !c->value ||
	    (unsigned int)c->family >= PROM__MAX) {
		tap(0, "counter %d: label, help, family, direction and value all set", i);
		return;
	}
	p = &prom_families[c->family];
	for (unsigned int d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++)
		dir_ok |= !strcmp(c->direction, dirs[d]);
	value_ok = p->extra ? valid_value(c->value) : !*c->value;
	for (int j = 0; j < i; j++)
		if (tiu_counters[j].family == c->family &&
		    !strcmp(tiu_counters[j].direction, c->direction) &&
		    !strcmp(tiu_counters[j].value, c->value))
			unique = false;
	want = family_of_help(c);
	tap(*c->label && *c->help && dir_ok && value_ok && unique && want == (int)c->family,
	    "%s: %s{direction=\"%s\"%s%s%s%s%s}%s%s%s%s", c->label, p->name, c->direction,
	    p->extra ? "," : "", p->extra ? p->extra : "", p->extra ? "=\"" : "", c->value,
	    p->extra ? "\"" : "",
	    dir_ok ? "" : ": unknown direction", value_ok ? "" : ": bad reason/event",
	    unique ? "" : ": the same sample as another counter",
	    want == (int)c->family ? "" : ": its help text says another family");
}

int main(void)
{
	test_families();
	tap(TIU_N_COUNTERS == TIU_STAT__MAX + TIU_N_KA_COUNTERS,
	    "%d counters: %d of the datapath, %d of the keepalive", TIU_N_COUNTERS, TIU_STAT__MAX,
	    TIU_N_KA_COUNTERS);
	for (int i = 0; i < TIU_N_COUNTERS; i++)
		test_counter(i);
	return tap_done();
}
