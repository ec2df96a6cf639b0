// SPDX-License-Identifier: GPL-2.0
/*
 * stats.c - `tiu stats [IFACE] [--json] [--watch SECONDS]`: every counter of
 * TIU_STATS(), summed over possible CPUs; in watch mode also the rate per
 * second over the last interval.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tiu.h"

#define STAT_LABEL_(name, label, help) label,
#define STAT_HELP_(name, label, help) help,
static const char *const stat_labels[] = { TIU_STATS(STAT_LABEL_) };
static const char *const stat_help[] = { TIU_STATS(STAT_HELP_) };
#undef STAT_LABEL_
#undef STAT_HELP_

struct sample {
	__u32 ifindex;
	char name[IF_NAMESIZE];
	struct tiu_stats now, before;
	__u64 ka_now[2], ka_before[2]; /* keepalive_given, keepalive_failed (keepalive.c) */
};

/* The keepalive counters follow the datapath's in every output. */
static const char *const ka_labels[2] = { "keepalive_given", "keepalive_failed" };

static struct pins stats_pins;

static void stats_usage(FILE *f)
{
	fprintf(f,
"usage: tiu stats [IFACE] [--json] [--watch SECONDS] [--pin-dir DIR]\n"
"\n"
"Print tiu's counters for IFACE or every interface that is up, summed over\n"
"all CPUs. --watch repeats every SECONDS and adds the rate per second;\n"
"--json prints one JSON object (per interval with --watch). Counters:\n\n");
	for (int i = 0; i < TIU_STAT__MAX; i++)
		fprintf(f, "  %-26s %s\n", stat_labels[i], stat_help[i]);
	fprintf(f, "  %-26s %s\n  %-26s %s\n", ka_labels[0],
		"tunnelled connections (and MPTCP subflows) given a TCP keepalive (sock_ops)",
		ka_labels[1], "matching connections where bpf_setsockopt() failed");
}

static double rate(const struct sample *s, int i, double dt)
{
	return dt > 0 ? (double)(s->now.v[i] - s->before.v[i]) / dt : 0;
}

static void print_text(const struct sample *s, int n, double dt)
{
	for (int k = 0; k < n; k++) {
		printf("%s (ifindex %u)\n", s[k].name, s[k].ifindex);
		for (int i = 0; i < TIU_STAT__MAX; i++) {
			printf("  %-26s %20llu", stat_labels[i], (unsigned long long)s[k].now.v[i]);
			if (dt > 0)
				printf(" %14.1f/s", rate(&s[k], i, dt));
			printf("\n");
		}
		for (int i = 0; i < 2; i++) {
			printf("  %-26s %20llu", ka_labels[i], (unsigned long long)s[k].ka_now[i]);
			if (dt > 0)
				printf(" %14.1f/s", (double)(s[k].ka_now[i] - s[k].ka_before[i]) / dt);
			printf("\n");
		}
	}
}

static void print_json(const struct sample *s, int n, double dt)
{
	printf("{");
	if (dt > 0)
		printf("\"interval\":%.3f,", dt);
	printf("\"interfaces\":[");
	for (int k = 0; k < n; k++) {
		printf("%s{\"name\":", k ? "," : "");
		json_str(stdout, s[k].name);
		printf(",\"ifindex\":%u,\"counters\":{", s[k].ifindex);
		for (int i = 0; i < TIU_STAT__MAX; i++)
			printf("%s\"%s\":%llu", i ? "," : "", stat_labels[i],
			       (unsigned long long)s[k].now.v[i]);
		for (int i = 0; i < 2; i++)
			printf(",\"%s\":%llu", ka_labels[i], (unsigned long long)s[k].ka_now[i]);
		printf("}");
		if (dt > 0) {
			printf(",\"rates\":{");
			for (int i = 0; i < TIU_STAT__MAX; i++)
				printf("%s\"%s\":%.1f", i ? "," : "", stat_labels[i], rate(&s[k], i, dt));
			for (int i = 0; i < 2; i++)
				printf(",\"%s\":%.1f", ka_labels[i],
				       (double)(s[k].ka_now[i] - s[k].ka_before[i]) / dt);
			printf("}");
		}
		printf("}");
	}
	printf("]}\n");
}

static int read_all(const struct tiu_maps *m, struct sample *s, int n)
{
	struct ka_state ka;

	for (int k = 0; k < n; k++) {
		s[k].before = s[k].now;
		if (maps_stats_sum(m, s[k].ifindex, &s[k].now) && errno != ENOENT)
			memset(&s[k].now, 0, sizeof(s[k].now));
		ka_state(&stats_pins, s[k].ifindex, &ka);
		s[k].ka_before[0] = s[k].ka_now[0];
		s[k].ka_before[1] = s[k].ka_now[1];
		s[k].ka_now[0] = ka.v.given;
		s[k].ka_now[1] = ka.v.failed;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int open_stats(const char *ifname, const char *pin_dir, struct tiu_maps *m,
		      struct sample *s, int *n)
{
	__u32 list[TIU_MAX_IFACES], one;
	struct pins p;

	if ((ifname && iface_index(ifname, &one)) || maps_open_up(NULL, pin_dir, false, &p, m, NULL))
		return -1;
	stats_pins = p;
	if (ifname) {
		list[0] = one;
		*n = 1;
	} else {
		*n = maps_real_ifaces(m, list, TIU_MAX_IFACES);
	}
	for (int k = 0; k < *n; k++) {
		memset(&s[k], 0, sizeof(s[k]));
		s[k].ifindex = list[k];
		if (!if_indextoname(list[k], s[k].name))
			snprintf(s[k].name, sizeof(s[k].name), "?");
	}
	return 0;
}

static int stats_opt(void *ctx, int key, const char *arg)
{
	double *watch = ctx;
	char *end;

	if (key != 'w')
		return 0;
	*watch = strtod(arg, &end);
	if (*end || *watch <= 0)
		return tiu_fail("bad --watch '%s': give a number of seconds > 0", arg);
	return 0;
}

int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "watch", required_argument, NULL, 'w' },
		{}
	};
	static const struct cli_cmd cmd = {
		.name = "stats", .common = CLI_F_PIN_DIR | CLI_F_JSON, .opts = opts,
		.opt = stats_opt, .usage = stats_usage, .max_args = 1,
	};
	static struct sample s[TIU_MAX_IFACES];
	double watch = 0, t0, t1;
	struct tiu_maps m;
	struct cli c;
	int n = 0, r = cli_parse(&cmd, &watch, argc, argv, &c);
	bool json = c.json;

	if (r)
		return r > 0 ? 0 : -1;
	if (open_stats(c.argc ? c.argv[0] : NULL, c.pin_dir, &m, s, &n))
		return -1;
	read_all(&m, s, n);
	(json ? print_json : print_text)(s, n, 0);
	for (t0 = now_s(); watch > 0; t0 = t1) {
		fflush(stdout);
		usleep((useconds_t)(watch * 1e6));
		t1 = now_s();
		read_all(&m, s, n);
		if (!json)
			printf("\n");
		(json ? print_json : print_text)(s, n, t1 - t0);
	}
	maps_close(&m);
	return 0;
}
