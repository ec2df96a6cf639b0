// SPDX-License-Identifier: GPL-2.0
/*
 * stats.c - `tiu stats [IFACE] [--json|--prometheus] [--watch [SECONDS]]`:
 * every counter of TIU_STATS(), summed over possible CPUs, of IFACE or of
 * every interface up in every pin directory in use; in watch mode with a
 * timestamp and the rate per second over the last interval.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"

#define STAT_LABEL_(name, label, help) label,
#define STAT_HELP_(name, label, help) help,
static const char *const stat_labels[] = { TIU_STATS(STAT_LABEL_) };
static const char *const stat_help[] = { TIU_STATS(STAT_HELP_) };
#undef STAT_LABEL_
#undef STAT_HELP_

/* The keepalive counters (keepalive.c) follow the datapath's in every
 * output: counter i < TIU_STAT__MAX is the datapath's, the rest these. */
static const char *const ka_labels[3] = { "keepalive_given", "keepalive_failed", "keepalive_kept" };
#define N_COUNTERS (TIU_STAT__MAX + 3)

static const char *label(int i)
{
	return i < TIU_STAT__MAX ? stat_labels[i] : ka_labels[i - TIU_STAT__MAX];
}

struct sample {
	__u32 ifindex;
	__u32 slot;                   /* its slot in the maps, if has_slot */
	bool has_slot;
	char name[IF_NAMESIZE];
	const struct tiu_maps *maps;  /* of its pin directory */
	const struct pins *pins;
	__u64 now[N_COUNTERS], before[N_COUNTERS];
};

struct stats_opts {
	double watch;                 /* seconds, 0: once */
	bool nonzero, prometheus;
};

#define MAX_DIRS 16

static void stats_usage(FILE *f)
{
	fprintf(f,
"usage: tiu stats [IFACE] [-j|--json] [--prometheus] [--watch [SECONDS]] [--nonzero]\n"
"                 [--pin-dir DIR]\n"
"\n"
"Print tiu's counters for IFACE or every interface that is up, summed over\n"
"all CPUs. IFACE must be up (`tiu up IFACE`).\n"
"\n"
"  --watch [S]    repeat every S seconds (default 1) with a timestamp and the\n"
"                 rate per second over the last interval\n"
"  --nonzero      only the counters that are not zero (text and JSON)\n"
"  -j, --json     one JSON object (per interval with --watch)\n"
"  --prometheus   the Prometheus text format, for node_exporter's textfile\n"
"                 collector: tiu_converted_packets_total, _bytes_total,\n"
"                 tiu_passed_packets_total, tiu_dropped_packets_total and\n"
"                 tiu_events_total, labelled interface, direction (encap,\n"
"                 detour, decap) and reason\n"
"  --pin-dir DIR  the pins given to `tiu up --pin-dir` (found without it)\n"
"\n"
"Counters:\n");
	for (int i = 0; i < TIU_STAT__MAX; i++)
		fprintf(f, "  %-26s %s\n", stat_labels[i], stat_help[i]);
	fprintf(f, "  %-26s %s\n  %-26s %s\n  %-26s %s\n", ka_labels[0],
		"tunnelled connections (and MPTCP subflows) given a TCP keepalive (sock_ops)",
		ka_labels[1], "matching connections where bpf_setsockopt() failed",
		ka_labels[2], "matching connections left with the SO_KEEPALIVE their application chose");
}

static double rate(const struct sample *s, int i, double dt)
{
	return dt > 0 ? (double)(s->now[i] - s->before[i]) / dt : 0;
}

static void timestamp(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void print_text(const struct sample *s, int n, double dt, const struct stats_opts *o)
{
	char ts[32];

	if (o->watch > 0) {
		timestamp(ts, sizeof(ts));
		printf("time: %s%s\n", ts, dt > 0 ? "" : " (rates from the next interval on)");
	}
	for (int k = 0; k < n; k++) {
		printf("%s (ifindex %u)\n", s[k].name, s[k].ifindex);
		for (int i = 0; i < N_COUNTERS; i++) {
			if (o->nonzero && !s[k].now[i])
				continue;
			printf("  %-26s %20llu", label(i), (unsigned long long)s[k].now[i]);
			if (dt > 0)
				printf(" %14.1f/s", rate(&s[k], i, dt));
			printf("\n");
		}
	}
}

static void print_json(const struct sample *s, int n, double dt, const struct stats_opts *o)
{
	const char *sep;
	char ts[32];

	timestamp(ts, sizeof(ts));
	printf("{\"time\":\"%s\",", ts);
	if (dt > 0)
		printf("\"interval\":%.3f,", dt);
	printf("\"interfaces\":[");
	for (int k = 0; k < n; k++) {
		printf("%s{\"name\":", k ? "," : "");
		json_str(stdout, s[k].name);
		printf(",\"ifindex\":%u,\"counters\":{", s[k].ifindex);
		sep = "";
		for (int i = 0; i < N_COUNTERS; i++) {
			if (o->nonzero && !s[k].now[i])
				continue;
			printf("%s\"%s\":%llu", sep, label(i), (unsigned long long)s[k].now[i]);
			sep = ",";
		}
		printf("}");
		if (dt > 0) {
			printf(",\"rates\":{");
			sep = "";
			for (int i = 0; i < N_COUNTERS; i++) {
				if (o->nonzero && !s[k].now[i])
					continue;
				printf("%s\"%s\":%.1f", sep, label(i), rate(&s[k], i, dt));
				sep = ",";
			}
			printf("}");
		}
		printf("}");
	}
	printf("]}\n");
}

/*
 * Prometheus: the counter names of TIU_STATS() are "DIR_WHAT"; the families
 * follow from WHAT by rule, so a counter added to TIU_STATS() appears here
 * without a second list:
 *   converted -> tiu_converted_packets_total{direction}
 *   bytes     -> tiu_converted_bytes_total{direction}
 *   pass      -> tiu_passed_packets_total{direction,reason="no_endpoint"}
 *   skip_R    -> tiu_passed_packets_total{direction,reason="R"}
 *   drop_R    -> tiu_dropped_packets_total{direction,reason="R"}
 *   anything else -> tiu_events_total{direction,event="WHAT"}
 * DIR: enc -> encap, detour -> detour, dec -> decap, any other as it is
 * (keepalive_given: tiu_events_total{direction="keepalive",event="given"}).
 */
enum { FAM_CONVERTED, FAM_BYTES, FAM_PASSED, FAM_DROPPED, FAM_EVENTS, FAM__MAX };

static const struct {
	const char *name, *help, *extra;  /* extra: the label besides direction */
} families[FAM__MAX] = {
	[FAM_CONVERTED] = { "tiu_converted_packets_total",
			    "Packets converted by tiu (encap: TCP to UDP in place, detour: segments of the detour, decap: UDP back to TCP)", NULL },
	[FAM_BYTES] = { "tiu_converted_bytes_total",
			"Bytes (L3 and up) of the converted packets", NULL },
	[FAM_PASSED] = { "tiu_passed_packets_total",
			 "Packets tiu looked at and passed untouched, by reason", "reason" },
	[FAM_DROPPED] = { "tiu_dropped_packets_total",
			  "Packets tiu dropped, by reason", "reason" },
	[FAM_EVENTS] = { "tiu_events_total",
			 "Other tiu counters (e.g. event=\"detoured\": TCP sent through the segmentation detour)",
			 "event" },
};

static int prom_family(const char *label, char *dir, size_t dlen, const char **value)
{
	const char *us = strchr(label, '_'), *what;
	size_t n = us ? (size_t)(us - label) : strlen(label);

	what = us ? us + 1 : "";
	if (!strncmp(label, "enc", n) && n == 3)
		snprintf(dir, dlen, "encap");
	else if (!strncmp(label, "dec", n) && n == 3)
		snprintf(dir, dlen, "decap");
	else
		snprintf(dir, dlen, "%.*s", (int)n, label);
	*value = NULL;
	if (!strcmp(what, "converted"))
		return FAM_CONVERTED;
	if (!strcmp(what, "bytes"))
		return FAM_BYTES;
	if (!strcmp(what, "pass")) {
		*value = "no_endpoint";
		return FAM_PASSED;
	}
	if (!strncmp(what, "skip_", 5)) {
		*value = what + 5;
		return FAM_PASSED;
	}
	if (!strncmp(what, "drop_", 5)) {
		*value = what + 5;
		return FAM_DROPPED;
	}
	*value = what;
	return FAM_EVENTS;
}

/* A label value: backslash, quote and newline escaped (exposition format). */
static void prom_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			printf("\\%c", *s);
		else if (*s == '\n')
			printf("\\n");
		else
			putchar(*s);
	}
	putchar('"');
}

static void print_prometheus(const struct sample *s, int n)
{
	const char *value;
	char dir[32];

	for (int f = 0; f < FAM__MAX; f++) {
		bool header = false;

		for (int k = 0; k < n; k++)
			for (int i = 0; i < N_COUNTERS; i++) {
				if (prom_family(label(i), dir, sizeof(dir), &value) != f)
					continue;
				if (!header) {
					printf("# HELP %s %s\n# TYPE %s counter\n", families[f].name,
					       families[f].help, families[f].name);
					header = true;
				}
				printf("%s{interface=", families[f].name);
				prom_str(s[k].name);
				printf(",direction=");
				prom_str(dir);
				if (families[f].extra) {
					printf(",%s=", families[f].extra);
					prom_str(value);
				}
				printf("} %llu\n", (unsigned long long)s[k].now[i]);
			}
	}
	apply_prometheus(); /* tiu_interface_up, tiu_apply_changes_total */
}

static void print(const struct sample *s, int n, double dt, const struct stats_opts *o, bool json)
{
	if (o->prometheus)
		print_prometheus(s, n);
	else if (json)
		print_json(s, n, dt, o);
	else
		print_text(s, n, dt, o);
}

static void read_all(struct sample *s, int n)
{
	struct tiu_stats st;
	struct ka_state ka;

	for (int k = 0; k < n; k++) {
		memcpy(s[k].before, s[k].now, sizeof(s[k].now));
		if (!s[k].has_slot || maps_stats_sum(s[k].maps, s[k].slot, &st))
			memset(&st, 0, sizeof(st));
		memcpy(s[k].now, st.v, sizeof(st.v));
		ka_state(s[k].pins, s[k].ifindex, &ka);
		s[k].now[TIU_STAT__MAX] = ka.v.given;
		s[k].now[TIU_STAT__MAX + 1] = ka.v.failed;
		s[k].now[TIU_STAT__MAX + 2] = ka.v.kept;
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void add_sample(struct sample *s, int *n, __u32 ifindex, const struct tiu_maps *m,
		       const struct pins *p)
{
	for (int k = 0; k < *n; k++)
		if (s[k].ifindex == ifindex)
			return;
	if (*n >= TIU_MAX_IFACES)
		return;
	memset(&s[*n], 0, sizeof(s[*n]));
	s[*n].ifindex = ifindex;
	s[*n].maps = m;
	s[*n].pins = p;
	s[*n].has_slot = !maps_slot_of(m, ifindex, &s[*n].slot);
	if (!if_indextoname(ifindex, s[*n].name))
		snprintf(s[*n].name, sizeof(s[*n].name), "?");
	(*n)++;
}

/* IFACE (it must be up), or every interface up in every pin directory in
 * use. m[d] are the maps of the pin directory p[d]. */
static int open_stats(const char *ifname, const char *pin_dir, struct tiu_maps *m,
		      struct pins *p, int *n_maps, struct sample *s, int *n)
{
	__u32 list[TIU_MAX_IFACES], one;
	struct pins all[MAX_DIRS];
	int n_dirs, k;

	*n = *n_maps = 0;
	if (ifname) {
		if (maps_open_up(ifname, pin_dir, false, &p[0], &m[0], &one))
			return -1;
		*n_maps = 1;
		add_sample(s, n, one, &m[0], &p[0]);
		return 0;
	}
	if (pin_dir) {
		if (maps_open_up(NULL, pin_dir, false, &p[0], &m[0], NULL))
			return -1;
		*n_maps = 1;
	} else {
		if (tiu_need_root())
			return -1;
		n_dirs = pins_in_use(all, MAX_DIRS);
		for (int d = 0; d < n_dirs; d++) {
			if (maps_open(&all[d], &m[*n_maps]) == -ESTALE)
				return maps_check_pins(&all[d], NULL, NULL);
			if (m[*n_maps].links >= 0)
				p[(*n_maps)++] = all[d];
		}
		if (!*n_maps)
			return maps_open_up(NULL, NULL, false, &p[0], &m[0], NULL) ? -1 : 0;
	}
	for (int d = 0; d < *n_maps; d++) {
		k = maps_real_ifaces(&m[d], list, TIU_MAX_IFACES);
		for (int i = 0; i < k; i++)
			add_sample(s, n, list[i], &m[d], &p[d]);
	}
	return 0;
}

static int stats_opt(void *ctx, int key, const char *arg)
{
	struct stats_opts *o = ctx;
	char *end;

	if (key == 'n') {
		o->nonzero = true;
	} else if (key == 'P') {
		o->prometheus = true;
	} else if (key == 'w') {
		o->watch = arg ? strtod(arg, &end) : 1;
		if ((arg && *end) || o->watch <= 0)
			return tiu_fail("bad --watch '%s': give a number of seconds > 0", arg);
	}
	return 0;
}

/* "--watch 2" as well as "--watch=2" and a bare "--watch": getopt_long's
 * optional arguments only take the "=" form. */
static int join_watch(int argc, char **argv, char *buf, size_t len)
{
	char *end;

	for (int i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "--watch"))
			continue;
		strtod(argv[i + 1], &end);
		if (end == argv[i + 1] || *end)
			continue;
		snprintf(buf, len, "--watch=%s", argv[i + 1]);
		argv[i] = buf;
		memmove(&argv[i + 1], &argv[i + 2], (argc - i - 2) * sizeof(argv[0]));
		argv[argc - 1] = NULL;
		return argc - 1;
	}
	return argc;
}

int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "watch", optional_argument, NULL, 'w' },
		{ "nonzero", no_argument, NULL, 'n' },
		{ "prometheus", no_argument, NULL, 'P' },
		{}
	};
	static const struct cli_cmd cmd = {
		.name = "stats", .common = CLI_F_PIN_DIR | CLI_F_JSON, .opts = opts,
		.opt = stats_opt, .usage = stats_usage, .max_args = 1,
	};
	static struct sample s[TIU_MAX_IFACES];
	static struct pins p[MAX_DIRS];
	struct tiu_maps m[MAX_DIRS];
	struct stats_opts o = {};
	char watch_arg[64] = "";
	double t0, t1;
	struct cli c;
	int n = 0, n_maps = 0, r;

	argc = join_watch(argc, argv, watch_arg, sizeof(watch_arg));
	r = cli_parse(&cmd, &o, argc, argv, &c);
	if (r)
		return r > 0 ? 0 : -1;
	if (o.prometheus && (o.watch > 0 || c.json))
		return tiu_fail("--prometheus prints one snapshot in its own format: not with --watch or --json (see tiu stats --help)");
	if (open_stats(c.argc ? c.argv[0] : NULL, c.pin_dir, m, p, &n_maps, s, &n))
		return -1;
	read_all(s, n);
	print(s, n, 0, &o, c.json);
	for (t0 = now_s(); o.watch > 0; t0 = t1) {
		fflush(stdout);
		usleep((useconds_t)(o.watch * 1e6));
		t1 = now_s();
		read_all(s, n);
		if (!c.json)
			printf("\n");
		print(s, n, t1 - t0, &o, c.json);
	}
	for (int d = 0; d < n_maps; d++)
		maps_close(&m[d]);
	return 0;
}
