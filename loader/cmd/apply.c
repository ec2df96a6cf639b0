// SPDX-License-Identifier: GPL-2.0
/*
 * apply.c - `tiu apply [--config FILE] [--dry-run]`: one configuration for
 * the whole machine, applied to the interfaces that exist now.
 *
 * The file names interfaces by name or shell pattern (fnmatch), each section
 * holding the option lines of `tiu up --config`:
 *     [interface ppp*]
 *     endpoint remote=192.0.2.1:7001
 *     mss 1452
 *     [interface wwan0 wwan1]
 *     endpoint remote=192.0.2.1:7001
 * An interface takes the first section that matches it. Each section is read
 * by read_config() (cli.c) itself: it gets the file with the lines of every
 * other section blanked (same line numbers), as a memfd.
 *
 * apply compares the file with the interfaces of this network namespace and
 * with what is attached, and changes only the difference, under the lock of
 * the other commands:
 *  - state of devices that are gone is released (stale.c: vanished_*);
 *  - a matching interface that is not up: `up`, with the section's options;
 *  - one that apply brought up: its endpoints follow the file in place
 *    (`endpoint del`, then `add`: no reload, the other endpoints' connections
 *    untouched); another option changed: down and up again;
 *  - one that apply brought up and that no longer matches (the section went,
 *    or the interface was renamed): down.
 * Interfaces brought up by hand (no record) are left alone. apply records
 * what it brought up in the run state, RUN/IFINDEX.apply (run_state_dir).
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "cmd.h"

#define APPLY_DEFAULT_CONFIG "/etc/tiu/tiu.conf"
#define MAX_SECTIONS 64
#define PATTERNS_LEN 256

struct section {
	char patterns[PATTERNS_LEN];  /* as written after "interface", blank-separated */
	int line;
	int fd;                       /* memfd: the file, other sections blanked */
	char path[32];                /* /proc/self/fd/N, for read_config and `up --config` */
	struct up_opts o;
	struct ep eps[TIU_MAX_CLI_ENDPOINTS];
	char sig[PATH_MAX + 96];      /* the options besides the endpoints */
};

struct apply_opts {
	const char *config;
	bool dry_run;
};

struct record {
	char name[IFNAMSIZ];
	char pattern[PATTERNS_LEN];
	long long applied;            /* time(), the last change */
	char sig[PATH_MAX + 96];
};

static struct section secs[MAX_SECTIONS];
static int n_secs;
static int n_changes, n_failed;
static bool json_out, json_first = true, dry_run;

/* ---- -v: where apply's time goes (stderr, "tiu: apply: timing: ...") ---- */

static const char *const actions[] = { "released", "up", "endpoints", "re-up", "down" };
#define N_ACTIONS (sizeof(actions) / sizeof(actions[0]))
static double action_ms[N_ACTIONS];
static double change_t0; /* when the change being timed started */

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void timing(const char *fmt, ...)
{
	va_list ap;

	if (!tiu_verbose)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "tiu: apply: timing: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- the configuration file ---- */

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* "[interface PATTERN...]": the patterns into pat, 1; not a header: 0. */
static int section_header(const char *path, int lineno, char *s, char *pat, size_t len)
{
	char *end;

	if (*s != '[')
		return 0;
	end = strchr(s, ']');
	if (!end || trim(end + 1)[0] || strncmp(s, "[interface", 10) ||
	    (s[10] != ' ' && s[10] != '\t'))
		return tiu_fail("%s:%d: bad section header '%s': write [interface PATTERN...] (a name or shell pattern, e.g. [interface ppp*])",
				path, lineno, s);
	*end = '\0';
	s = trim(s + 10);
	if (!*s || strlen(s) >= len)
		return tiu_fail("%s:%d: [interface] needs one or more names or patterns (at most %zu characters)",
				path, lineno, len - 1);
	snprintf(pat, len, "%s", s);
	return 1;
}

static void section_sig(struct section *s)
{
	snprintf(s->sig, sizeof(s->sig), "xdp-mode=%d decap=%d keepalive=%d mss=%u pin-dir=%s",
		 s->o.xdp_mode, s->o.decap, s->o.keepalive, s->o.mss,
		 s->o.pin_dir ? s->o.pin_dir : "-");
}

/* Read FILE: its sections, each checked by read_config() and parse_endpoint(). */
static int load_config(const char *path)
{
	char *line = NULL, *s, *copy = NULL;
	size_t cap = 0, len = 0;
	int lineno = 0, cur = -1, err = 0, *owner = NULL, n_lines = 0;
	FILE *f = fopen(path, "r");
	FILE *mem;

	if (!f)
		return tiu_fail("%s: cannot read the configuration: %s (see tiu apply --help for its format)",
				path, strerror(errno));
	mem = open_memstream(&copy, &len);
	while (mem && getline(&line, &cap, f) > 0) {
		int *o = realloc(owner, sizeof(*owner) * (n_lines + 1));
		char pat[PATTERNS_LEN], *hash;

		if (!o)
			break;
		owner = o;
		lineno++;
		fputs(line, mem);
		if (line[strlen(line) - 1] != '\n')
			fputc('\n', mem);
		s = line;
		if ((hash = strchr(s, '#')))
			*hash = '\0';
		s = trim(s);
		owner[n_lines++] = -1;
		if (!*s)
			continue;
		int h = section_header(path, lineno, s, pat, sizeof(pat));

		if (h < 0) {
			err = -1;
		} else if (h) {
			if (n_secs >= MAX_SECTIONS) {
				err = tiu_fail("%s:%d: too many sections (at most %d)", path, lineno,
					       MAX_SECTIONS);
				break;
			}
			cur = n_secs++;
			memset(&secs[cur], 0, sizeof(secs[cur]));
			snprintf(secs[cur].patterns, sizeof(secs[cur].patterns), "%s", pat);
			secs[cur].line = lineno;
			secs[cur].fd = -1;
		} else if (cur < 0) {
			err = tiu_fail("%s:%d: '%s' is outside a section: start one with [interface PATTERN]",
				       path, lineno, s);
		} else {
			owner[n_lines - 1] = cur;
		}
	}
	free(line);
	fclose(f);
	if (mem)
		fclose(mem);
	if (!mem || !copy) {
		free(owner);
		return tiu_fail("out of memory");
	}
	for (int i = 0; !err && i < n_secs; i++) {
		struct section *sc = &secs[i];
		char *p = copy;

		sc->o = (struct up_opts){ .xdp_mode = XDPM_AUTO, .decap = DECAP_XDP, .keepalive = -1 };
		sc->fd = memfd_create("tiu-apply", 0);
		if (sc->fd < 0) {
			err = tiu_fail("memfd_create: %s", strerror(errno));
			break;
		}
		snprintf(sc->path, sizeof(sc->path), "/proc/self/fd/%d", sc->fd);
		mem = fdopen(dup(sc->fd), "w");
		for (int l = 0; mem && l < n_lines; l++) {
			char *nl = strchr(p, '\n');

			if (owner[l] == i)
				fwrite(p, 1, (size_t)(nl - p) + 1, mem);
			else
				fputc('\n', mem);
			p = nl + 1;
		}
		if (!mem || fclose(mem)) {
			err = tiu_fail("memfd: %s", strerror(errno));
			break;
		}
		if (read_config(&sc->o, sc->path)) {
			err = tiu_fail("%s: in section [interface %s] (line %d); the line number above is of %s",
				       path, sc->patterns, sc->line, path);
			break;
		}
		for (int e = 0; !err && e < sc->o.n_eps; e++)
			if (parse_endpoint(sc->o.eps[e], &sc->eps[e]))
				err = tiu_fail("%s: in section [interface %s] (line %d)", path,
					       sc->patterns, sc->line);
		if (!err && eps_check_add(sc->patterns, NULL, 0, sc->eps, sc->o.n_eps))
			err = -1;
		section_sig(sc);
	}
	free(owner);
	free(copy);
	return err;
}

/* The first section whose patterns match ifname, or NULL; the pattern. */
static struct section *section_of(const char *ifname, char *pat, size_t len)
{
	for (int i = 0; i < n_secs; i++) {
		char buf[PATTERNS_LEN], *save, *t;

		memcpy(buf, secs[i].patterns, sizeof(buf));
		for (t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
			if (!fnmatch(t, ifname, 0)) {
				snprintf(pat, len, "%s", t);
				return &secs[i];
			}
	}
	return NULL;
}

/* ---- records: what apply brought up ---- */

static void record_file(__u32 ifindex, char *buf, size_t len)
{
	char rs[PATH_MAX - 32];
	struct pins d = {};

	pins_resolve(NULL, false, &d);
	run_state_dir(&d, rs, sizeof(rs));
	snprintf(buf, len, "%s/%u.apply", rs, ifindex);
}

static bool record_read(__u32 ifindex, struct record *r)
{
	char path[PATH_MAX], line[PATH_MAX + 128];
	FILE *f;

	memset(r, 0, sizeof(*r));
	record_file(ifindex, path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ' ');

		if (!v)
			continue;
		*v++ = '\0';
		v[strcspn(v, "\n")] = '\0';
		if (!strcmp(line, "interface"))
			snprintf(r->name, sizeof(r->name), "%s", v);
		else if (!strcmp(line, "pattern"))
			snprintf(r->pattern, sizeof(r->pattern), "%s", v);
		else if (!strcmp(line, "applied"))
			r->applied = atoll(v);
		else if (!strcmp(line, "options"))
			snprintf(r->sig, sizeof(r->sig), "%s", v);
	}
	fclose(f);
	return true;
}

static int record_write(__u32 ifindex, const struct record *r)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	FILE *f;

	record_file(ifindex, path, sizeof(path));
	mkdir(TIU_RUN_DIR, 0755);
	*strrchr(path, '/') = '\0';
	mkdir(path, 0755);
	record_file(ifindex, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "interface %s\npattern %s\napplied %lld\noptions %s\n", r->name,
			  r->pattern, r->applied, r->sig) < 0 || fclose(f) || rename(tmp, path))
		return tiu_fail("%s: cannot record what apply did: %s", path, strerror(errno));
	return 0;
}

static void record_remove(__u32 ifindex)
{
	char path[PATH_MAX];

	record_file(ifindex, path, sizeof(path));
	unlink(path);
}

static void count_change(const char *action);

/* ---- output: one line per change, or one JSON object per change ---- */

static void change(const char *ifname, __u32 ifindex, const char *action, const char *pattern,
		   bool ok, const char *detail)
{
	char paren[PATH_MAX] = "";
	double ms = now_ms() - change_t0;

	for (size_t i = 0; i < N_ACTIONS; i++)
		if (!strcmp(action, actions[i]))
			action_ms[i] += ms;
	timing("%s: %s %.0f ms", ifname, action, ms);
	n_changes++;
	n_failed += !ok;
	if (ok && !dry_run)
		count_change(action);
	if (pattern || detail[0])
		snprintf(paren, sizeof(paren), " (%s%s%s%s)", pattern ? "pattern " : "",
			 pattern ? pattern : "", pattern && detail[0] ? ", " : "", detail);
	if (!json_out) {
		printf("%s%s: %s%s%s\n", dry_run ? "plan: " : "", ifname, action,
		       ok ? "" : " FAILED", paren);
		fflush(stdout);
		return;
	}
	printf("%s{\"interface\":", json_first ? "" : ",");
	json_first = false;
	json_str(stdout, ifname);
	printf(",\"ifindex\":%u,\"action\":", ifindex);
	json_str(stdout, action);
	printf(",\"pattern\":");
	if (pattern)
		json_str(stdout, pattern);
	else
		printf("null");
	printf(",\"ok\":%s,\"detail\":", ok ? "true" : "false");
	json_str(stdout, detail);
	printf("}");
}

/* Run another command of tiu in this process (under the lock held here);
 * its summary on stdout is replaced by apply's own line, its warnings and
 * errors stay on stderr. */
static int run_cmd(int (*fn)(int, char **), char **argv)
{
	int argc = 0, saved, null, err;

	while (argv[argc])
		argc++;
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (saved < 0 || null < 0 || dup2(null, STDOUT_FILENO) < 0) {
		if (saved >= 0)
			close(saved);
		if (null >= 0)
			close(null);
		return tiu_fail("apply: cannot redirect output: %s", strerror(errno));
	}
	close(null);
	err = fn(argc, argv);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	return err ? -1 : 0;
}

static int do_up(const char *ifname, const struct section *sc)
{
	char *argv[] = { "up", (char *)ifname, "--config", (char *)sc->path, NULL };

	return run_cmd(cmd_up, argv);
}

static int do_endpoints(const char *ifname, const char *verb, const struct ep *eps, int n)
{
	static char strs[TIU_MAX_CLI_ENDPOINTS][TIU_EP_STRLEN];
	static char *argv[TIU_MAX_CLI_ENDPOINTS + 4];
	int k = 0;

	argv[k++] = "endpoint";
	argv[k++] = (char *)verb;
	argv[k++] = (char *)ifname;
	for (int i = 0; i < n && i < TIU_MAX_CLI_ENDPOINTS; i++) {
		format_endpoint(&eps[i], strs[i], sizeof(strs[i]));
		argv[k++] = strs[i];
	}
	argv[k] = NULL;
	return run_cmd(cmd_endpoint, argv);
}

static int do_down(const char *ifname, __u32 ifindex, char *done, size_t len)
{
	struct pins p;

	if (pins_of_iface_down(NULL, ifindex, ifname, &p) < 0)
		return -1;
	return teardown(ifindex, ifname, &p, false, done, len);
}

/* Is ifindex up (a slot in its pins)? Its endpoints into *eps (allocated). */
static bool is_up(__u32 ifindex, struct ep **eps, int *n_eps)
{
	unsigned long long owner;
	struct tiu_maps m;
	struct pins p;
	__u32 slot;
	bool up = false;

	*eps = NULL;
	*n_eps = 0;
	/* pins that another namespace took over hold nothing of ifindex */
	if (pins_recorded(ifindex, &p) || pins_owner(&p, &owner) || maps_open(&p, &m))
		return false;
	if (!maps_slot_of(&m, ifindex, &slot)) {
		up = true;
		*n_eps = maps_endpoints(&m, slot, eps);
		if (*n_eps < 0)
			*n_eps = 0;
	}
	maps_close(&m);
	return up;
}

static bool ep_in(const struct ep *e, const struct ep *set, int n)
{
	for (int i = 0; i < n; i++)
		if (ep_same(e, &set[i]))
			return true;
	return false;
}

/* The endpoints of want that have lacks into out; how many. */
static int ep_minus(const struct ep *want, int n_want, const struct ep *have, int n_have,
		    struct ep *out)
{
	int n = 0;

	for (int i = 0; i < n_want; i++)
		if (!ep_in(&want[i], have, n_have))
			out[n++] = want[i];
	return n;
}

static void ep_list(const char *sign, const struct ep *eps, int n, char *buf, size_t len)
{
	char s[TIU_EP_STRLEN];
	size_t k;

	for (int i = 0; i < n; i++) {
		format_endpoint(&eps[i], s, sizeof(s));
		k = strlen(buf);
		snprintf(buf + k, len - k, "%s%s%s", k ? " " : "", sign, s);
	}
}

static void applied(__u32 ifindex, const char *ifname, const char *pattern,
		    const struct section *sc)
{
	struct record r = { .applied = time(NULL) };

	snprintf(r.name, sizeof(r.name), "%s", ifname);
	snprintf(r.pattern, sizeof(r.pattern), "%s", pattern);
	snprintf(r.sig, sizeof(r.sig), "%s", sc->sig);
	if (record_write(ifindex, &r))
		n_failed++;
}

/* One interface that exists: what it needs. */
static void apply_iface(const char *ifname, __u32 ifindex, const char *conf)
{
	static struct ep add[TIU_MAX_CLI_ENDPOINTS], del[TIU_MAX_CLI_ENDPOINTS];
	char pat[PATTERNS_LEN], done[512] = "", detail[PATH_MAX] = "";
	struct section *sc;
	struct record rec;
	bool has_rec = record_read(ifindex, &rec), up;
	struct ep *have;
	int n_have, n_add, n_del, err;

	change_t0 = now_ms();
	sc = section_of(ifname, pat, sizeof(pat));
	up = is_up(ifindex, &have, &n_have);
	if (!sc) {
		if (has_rec && up) { /* left the configuration, or renamed out of it */
			snprintf(detail, sizeof(detail), "no section of %s matches it", conf);
			if (!dry_run) {
				err = do_down(ifname, ifindex, done, sizeof(done));
				if (!err)
					record_remove(ifindex);
				change(ifname, ifindex, "down", NULL, !err, detail);
			} else {
				change(ifname, ifindex, "down", NULL, true, detail);
			}
		} else if (has_rec && !dry_run) {
			record_remove(ifindex); /* taken down by hand meanwhile */
		}
		goto out;
	}
	if (up && !has_rec) {
		tiu_warn("%s: up by hand (not by apply): left alone; `tiu down %s` lets apply manage it",
			 ifname, ifname);
		goto out;
	}
	if (!up) {
		if (!dry_run) {
			err = do_up(ifname, sc);
			if (!err)
				applied(ifindex, ifname, pat, sc);
			else
				record_remove(ifindex);
		} else {
			err = 0;
		}
		snprintf(detail, sizeof(detail), "ifindex %u, %d endpoint%s", ifindex, sc->o.n_eps,
			 sc->o.n_eps == 1 ? "" : "s");
		change(ifname, ifindex, "up", pat, !err, detail);
		goto out;
	}
	if (strcmp(rec.sig, sc->sig)) { /* an option besides the endpoints */
		snprintf(detail, sizeof(detail), "options changed: %.3000s", sc->sig);
		err = 0;
		if (!dry_run) {
			err = do_down(ifname, ifindex, done, sizeof(done)) || do_up(ifname, sc);
			if (!err)
				applied(ifindex, ifname, pat, sc);
			else
				record_remove(ifindex);
		}
		change(ifname, ifindex, "re-up", pat, !err, detail);
		goto out;
	}
	n_del = ep_minus(have, n_have, sc->eps, sc->o.n_eps, del);
	n_add = ep_minus(sc->eps, sc->o.n_eps, have, n_have, add);
	if (n_del || n_add) {
		ep_list("-", del, n_del, detail, sizeof(detail));
		ep_list("+", add, n_add, detail, sizeof(detail));
		err = 0;
		if (!dry_run) {
			/* deleted first: a range may be replaced by an overlapping one */
			err = (n_del && do_endpoints(ifname, "del", del, n_del)) ||
			      (n_add && do_endpoints(ifname, "add", add, n_add));
			if (!err)
				applied(ifindex, ifname, pat, sc);
		}
		change(ifname, ifindex, "endpoints", pat, !err, detail);
		goto out;
	}
	if (!dry_run && (strcmp(rec.name, ifname) || strcmp(rec.pattern, pat))) {
		/* renamed within the configuration: the record follows, no change */
		struct record r = rec;

		snprintf(r.name, sizeof(r.name), "%s", ifname);
		snprintf(r.pattern, sizeof(r.pattern), "%s", pat);
		record_write(ifindex, &r);
	}
out:
	free(have);
}

static void release_vanished(void)
{
	static struct vanished v[TIU_MAX_IFACES * 2];
	char done[512], detail[600];
	int n = vanished_find(v, TIU_MAX_IFACES * 2);

	for (int i = 0; i < n; i++) {
		struct record rec;
		int err = 0;

		change_t0 = now_ms();
		if (record_read(v[i].ifindex, &rec) && !strcmp(v[i].name, "?") && rec.name[0])
			snprintf(v[i].name, sizeof(v[i].name), "%s", rec.name);
		done[0] = '\0';
		if (!dry_run)
			err = vanished_release(&v[i], done, sizeof(done));
		snprintf(detail, sizeof(detail), "ifindex %u no longer exists%s%s", v[i].ifindex,
			 done[0] ? ": " : "", done);
		change(v[i].name, v[i].ifindex, "released", NULL, !err, detail);
	}
}

static void apply_usage(FILE *f)
{
	fprintf(f,
"usage: tiu apply [--config FILE] [--dry-run] [-j|--json]\n"
"\n"
"Bring the interfaces of this network namespace in line with one configuration\n"
"file (default " APPLY_DEFAULT_CONFIG "), whose sections name interfaces by name or\n"
"shell pattern and hold the option lines of `tiu up --config`:\n"
"    [interface ppp*]\n"
"    endpoint remote=192.0.2.1:7001\n"
"    mss 1452\n"
"    [interface wwan0 wwan1]\n"
"    endpoint remote=192.0.2.1:7001\n"
"    keepalive 20\n"
"An interface takes the first section with a pattern that matches it\n"
"(fnmatch(3): * ? [...]); '#' starts a comment.\n"
"\n"
"Only the difference is changed, one line each:\n"
"  released   the state of a device that is gone (slot, map entries, detour\n"
"             pair, keepalive entries, records; the pins if nothing else is up)\n"
"  up         a matching interface that is not up\n"
"  endpoints  endpoints added or deleted in place (other connections untouched)\n"
"  re-up      another option changed: down and up again\n"
"  down       an interface apply brought up that no longer matches a section\n"
"Interfaces brought up by hand (`tiu up`) are left alone. A second run with\n"
"nothing to do prints \"tiu: apply: nothing to change\". Meant to be run by the\n"
"network hooks (ifupdown, networkd-dispatcher, NetworkManager, OpenWrt\n"
"hotplug) whenever an interface comes or goes.\n"
"\n"
"  --config FILE  the configuration (default " APPLY_DEFAULT_CONFIG ")\n"
"  --dry-run      print the plan (lines start with \"plan: \"), change nothing\n"
"  -j, --json     {\"changes\":[{\"interface\",\"ifindex\",\"action\",\"pattern\",\n"
"                 \"ok\",\"detail\"}...],\"failed\":N,\"dry_run\":BOOL}\n"
"\n"
"Exit status: 0 when everything was applied or nothing had to change, 1 when a\n"
"change failed (its line says FAILED, the reason is on stderr) or the\n"
"configuration is wrong (nothing changed then), 2 for a bad command line.\n");
}

int cmd_apply(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		CLI_STR("config", struct apply_opts, config),
		CLI_FLAG("dry-run", struct apply_opts, dry_run),
		{}
	};
	static const struct cli_cmd cmd = {
		.name = "apply", .common = CLI_F_JSON, .opts = opts, .usage = apply_usage, .max_args = 0,
	};
	struct apply_opts o = { .config = APPLY_DEFAULT_CONFIG };
	struct if_nameindex *all, *i;
	struct cli c;
	double t0 = now_ms(), t_conf, t_lock, t_rel;
	int r = cli_parse(&cmd, &o, argc, argv, &c);

	if (r)
		return r > 0 ? 0 : r;
	json_out = c.json;
	dry_run = o.dry_run;
	if (tiu_need_root() || load_config(o.config))
		return -1;
	t_conf = now_ms();
	if (tiu_lock())
		return -1;
	t_lock = now_ms();
	if (json_out)
	{
		printf("{\"config\":");
		json_str(stdout, o.config);
		printf(",\"dry_run\":%s,\"changes\":[", dry_run ? "true" : "false");
	}
	release_vanished();
	t_rel = now_ms();
	all = if_nameindex();
	if (!all) {
		tiu_fail("apply: cannot list the interfaces: %s", strerror(errno));
		n_failed++;
	}
	for (i = all; i && i->if_index; i++)
		if (!detour_is_name(i->if_name))
			apply_iface(i->if_name, i->if_index, o.config);
	if (all)
		if_freenameindex(all);
	timing("total %.0f ms (configuration %.0f ms, lock %.0f ms, release %.0f ms, released %.0f ms, up %.0f ms, endpoints %.0f ms, re-up %.0f ms, down %.0f ms)",
	       now_ms() - t0, t_conf - t0, t_lock - t_conf, t_rel - t_lock, action_ms[0],
	       action_ms[1], action_ms[2], action_ms[3], action_ms[4]);
	if (json_out)
		printf("],\"failed\":%d}\n", n_failed);
	else if (!n_changes)
		printf("tiu: apply: nothing to change\n");
	else if (n_failed)
		fprintf(stderr, "tiu: apply: %d of %d change%s failed (see above)\n", n_failed,
			n_changes, n_changes == 1 ? "" : "s");
	return n_failed ? -1 : 0;
}

/* ---- status and metrics: what apply did ---- */

#define COUNTS_FILE "counts.apply" /* in the run state; stale.c removes *.apply */

static void counts_path(char *buf, size_t len)
{
	char rs[PATH_MAX - 32];
	struct pins d = {};

	pins_resolve(NULL, false, &d);
	run_state_dir(&d, rs, sizeof(rs));
	snprintf(buf, len, "%s/" COUNTS_FILE, rs);
}

static void counts_read(unsigned long long *n)
{
	char path[PATH_MAX], name[32];
	unsigned long long v;
	FILE *f;

	memset(n, 0, sizeof(*n) * N_ACTIONS);
	counts_path(path, sizeof(path));
	f = fopen(path, "r");
	while (f && fscanf(f, "%31s %llu", name, &v) == 2)
		for (size_t i = 0; i < N_ACTIONS; i++)
			if (!strcmp(name, actions[i]))
				n[i] = v;
	if (f)
		fclose(f);
}

/* One more change of this kind, for tiu_apply_changes_total. */
static void count_change(const char *action)
{
	unsigned long long n[N_ACTIONS];
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	FILE *f;

	counts_read(n);
	for (size_t i = 0; i < N_ACTIONS; i++)
		n[i] += !strcmp(action, actions[i]);
	counts_path(path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	*strrchr(path, '/') = '\0';
	mkdir(TIU_RUN_DIR, 0755);
	mkdir(path, 0755);
	counts_path(path, sizeof(path));
	f = fopen(tmp, "w");
	for (size_t i = 0; f && i < N_ACTIONS; i++)
		fprintf(f, "%s %llu\n", actions[i], n[i]);
	if (!f || fclose(f) || rename(tmp, path))
		tiu_warn("%s: cannot count apply's changes: %s", path, strerror(errno));
}

struct applied_if {
	__u32 ifindex;
	struct record r;
};

/* apply's records of this namespace, by pattern then ifindex; how many. */
static int records_all(struct applied_if *out, int max)
{
	char rs[PATH_MAX];
	struct pins d = {};
	struct dirent *e;
	unsigned int idx;
	char end[16];
	int n = 0;
	DIR *dh;

	pins_resolve(NULL, false, &d);
	run_state_dir(&d, rs, sizeof(rs));
	dh = opendir(rs);
	while (dh && (e = readdir(dh)) && n < max)
		if (sscanf(e->d_name, "%u.%15s", &idx, end) == 2 && !strcmp(end, "apply") &&
		    record_read(idx, &out[n].r))
			out[n++].ifindex = idx;
	if (dh)
		closedir(dh);
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0; j--) {
			int c = strcmp(out[j - 1].r.pattern, out[j].r.pattern);
			struct applied_if t;

			if (c < 0 || (!c && out[j - 1].ifindex < out[j].ifindex))
				break;
			t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

static void when(long long t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "%lld", t);
}

/* status: one line per pattern, with the interfaces apply brought up by it
 * and when it last changed each. */
void apply_status_text(void)
{
	static struct applied_if a[TIU_MAX_IFACES];
	int n = records_all(a, TIU_MAX_IFACES);
	char t[32], name[IF_NAMESIZE];

	for (int i = 0; i < n; i++) {
		bool first = !i || strcmp(a[i - 1].r.pattern, a[i].r.pattern);
		bool gone = !if_indextoname(a[i].ifindex, name);

		when(a[i].r.applied, t, sizeof(t));
		if (first)
			printf("%sapply: pattern %s: ", i ? "\n" : "", a[i].r.pattern);
		else
			printf(", ");
		printf("%s (ifindex %u, applied %s%s)", a[i].r.name, a[i].ifindex, t,
		       gone ? "; gone: `tiu apply` releases it" : "");
	}
	if (n)
		printf("\n");
}

/* status --json: "apply":[{"pattern":P,"interfaces":[{"name","ifindex","applied"}]}] */
void apply_status_json(void)
{
	static struct applied_if a[TIU_MAX_IFACES];
	int n = records_all(a, TIU_MAX_IFACES);

	printf("[");
	for (int i = 0; i < n; i++) {
		bool first = !i || strcmp(a[i - 1].r.pattern, a[i].r.pattern);

		if (first) {
			printf("%s{\"pattern\":", i ? "]}," : "");
			json_str(stdout, a[i].r.pattern);
			printf(",\"interfaces\":[");
		} else {
			printf(",");
		}
		printf("{\"name\":");
		json_str(stdout, a[i].r.name);
		printf(",\"ifindex\":%u,\"applied\":%lld}", a[i].ifindex, a[i].r.applied);
	}
	printf("%s]", n ? "]}" : "");
}

/* stats --prometheus: tiu_interface_up (1 for each interface of this
 * namespace that is up, 0 for one apply brought up that is not up any more)
 * and tiu_apply_changes_total by action. */
void apply_prometheus(void)
{
	static struct applied_if a[TIU_MAX_IFACES];
	struct if_nameindex *all = if_nameindex(), *i;
	unsigned long long cnt[N_ACTIONS];
	int n = records_all(a, TIU_MAX_IFACES);
	struct ep *eps;
	int n_eps;

	printf("# HELP tiu_interface_up Whether tiu is up on the interface (1) or not (0: apply brought it up, it is down now).\n"
	       "# TYPE tiu_interface_up gauge\n");
	for (i = all; i && i->if_index; i++) {
		bool up = !detour_is_name(i->if_name) && is_up(i->if_index, &eps, &n_eps);
		bool rec = false;

		if (!up) {
			for (int k = 0; k < n; k++)
				rec |= a[k].ifindex == i->if_index;
		} else {
			free(eps);
		}
		if (!up && !rec)
			continue;
		printf("tiu_interface_up{interface=\"");
		for (const char *c = i->if_name; *c; c++) /* the label escapes */
			printf(*c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
		printf("\"} %d\n", up);
	}
	if (all)
		if_freenameindex(all);
	counts_read(cnt);
	printf("# HELP tiu_apply_changes_total Changes made by tiu apply, by action.\n"
	       "# TYPE tiu_apply_changes_total counter\n");
	for (size_t k = 0; k < N_ACTIONS; k++)
		printf("tiu_apply_changes_total{action=\"%s\"} %llu\n", actions[k], cnt[k]);
}
