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

/* The counters, datapath's then keepalive's, with their help and their
 * Prometheus family: tiu_counters (counters.c). */
#define N_COUNTERS TIU_N_COUNTERS

static const char *label(int i)
{
	return tiu_counters[i].label;
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
	for (int i = 0; i < N_COUNTERS; i++)
		fprintf(f, "  %-26s %s\n", tiu_counters[i].label, tiu_counters[i].help);
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
 * Prometheus: each counter's family, direction and reason or event are
 * columns of its line (TIU_STATS() in tiu_common.h, the keepalive ones in
 * counters.c), not guessed from its label; one HELP and TYPE per family.
 */
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
	for (int f = 0; f < PROM__MAX; f++) {
		const struct prom_family *fam = &prom_families[f];
		bool header = false;

		for (int k = 0; k < n; k++)
			for (int i = 0; i < N_COUNTERS; i++) {
				const struct tiu_counter *c = &tiu_counters[i];

				if ((int)c->family != f)
					continue;
				if (!header) {
					printf("# HELP %s %s\n# TYPE %s counter\n", fam->name,
					       fam->help, fam->name);
					header = true;
				}
				printf("%s{interface=", fam->name);
				prom_str(s[k].name);
				printf(",direction=");
				prom_str(c->direction);
				if (fam->extra) {
					printf(",%s=", fam->extra);
					prom_str(c->value);
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
/* The pin directories whose maps stats reads: m[i] opened from p[i]. */
struct stats_dirs {
	struct tiu_maps m[MAX_DIRS];
	struct pins p[MAX_DIRS];
	int n;
};

static int open_stats(const char *ifname, const char *pin_dir, struct stats_dirs *dirs,
		      struct sample *s, int *n)
{
	__u32 list[TIU_MAX_IFACES], one;
	struct tiu_maps *m = dirs->m;
	struct pins all[MAX_DIRS], *p = dirs->p;
	int n_dirs, k, *n_maps = &dirs->n;

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

/* --watch[=SECONDS], 1 without a value. */
static int stats_watch(void *ctx, const char *name, const char *arg)
{
	struct stats_opts *o = ctx;
	char *end;

	(void)name;
	o->watch = arg ? strtod(arg, &end) : 1;
	if ((arg && *end) || o->watch <= 0)
		return tiu_fail("bad --watch '%s': give a number of seconds > 0", arg);
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
	static const struct cli_opt opts[] = {
		CLI_FN("watch", optional_argument, stats_watch),
		CLI_FLAG("nonzero", struct stats_opts, nonzero),
		CLI_FLAG("prometheus", struct stats_opts, prometheus),
		{}
	};
	static const struct cli_cmd cmd = {
		.name = "stats", .common = CLI_F_PIN_DIR | CLI_F_JSON, .opts = opts,
		.usage = stats_usage, .max_args = 1,
	};
	static struct sample s[TIU_MAX_IFACES];
	static struct stats_dirs dirs;
	struct stats_opts o = {};
	char watch_arg[64] = "";
	double t0, t1;
	struct cli c;
	int n = 0, r;

	argc = join_watch(argc, argv, watch_arg, sizeof(watch_arg));
	r = cli_parse(&cmd, &o, argc, argv, &c);
	if (r)
		return r > 0 ? 0 : r;
	if (o.prometheus && (o.watch > 0 || c.json))
		return tiu_fail("--prometheus prints one snapshot in its own format: not with --watch or --json (see tiu stats --help)");
	if (open_stats(c.argc ? c.argv[0] : NULL, c.pin_dir, &dirs, s, &n))
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
	for (int d = 0; d < dirs.n; d++)
		maps_close(&dirs.m[d]);
	return 0;
}
