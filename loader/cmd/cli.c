// SPDX-License-Identifier: GPL-2.0
/*
 * cli.c - what the user types: interface names, `up` options and the
 * configuration file that holds the same options, and the command line of
 * every subcommand (cli_parse). Endpoints: epspec.c.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* One `up` option, from the command line ("--endpoint", VAL) or from a
 * configuration file line ("endpoint VAL"). */
/* --keepalive SECONDS: 0 (off) .. TIU_KA_MAX (keepalive.c applies it). */
int ka_parse(const char *val, int *seconds)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(val, &end, 10);
	if (errno || end == val || *end || v < 0 || v > TIU_KA_MAX)
		return tiu_fail("bad --keepalive '%s': give the idle time in seconds, 1..%d, or 0 to turn it off",
				val, TIU_KA_MAX);
	*seconds = (int)v;
	return 0;
}

/* A word an option takes and the value it stands for; a table of them ends
 * with a NULL word. */
struct choice {
	const char *word;
	int value;
};

/* The value of --OPT's VAL among CHOICES, or an error naming USE, the words
 * it takes. */
static int choose(const char *opt, const char *val, const struct choice *c, const char *use, int *value)
{
	for (; c->word; c++)
		if (!strcmp(val, c->word)) {
			*value = c->value;
			return 0;
		}
	return tiu_fail("bad --%s '%s': use %s", opt, val, use);
}

int up_opt(struct up_opts *o, const char *name, const char *val)
{
	if (!val)
		return tiu_fail("option %s needs a value (see tiu up --help)", name);
	if (!strcmp(name, "endpoint")) {
		if (o->n_eps >= TIU_MAX_CLI_ENDPOINTS)
			return tiu_fail("too many endpoints (at most %d at `up`; add more with `tiu endpoint add`)",
					TIU_MAX_CLI_ENDPOINTS);
		o->eps[o->n_eps] = strdup(val);
		return o->eps[o->n_eps++] ? 0 : tiu_fail("out of memory");
	}
	if (!strcmp(name, "xdp-mode")) {
		static const struct choice modes[] = {
			{ "native", XDPM_NATIVE }, { "skb", XDPM_SKB }, { "auto", XDPM_AUTO }, { NULL, 0 }
		};
		int v = 0;

		if (choose(name, val, modes, "native, skb or auto", &v))
			return -1;
		o->xdp_mode = v;
		return 0;
	}
	if (!strcmp(name, "decap")) {
		static const struct choice decaps[] = { { "xdp", DECAP_XDP }, { "tc", DECAP_TC }, { NULL, 0 } };
		int v = 0;

		if (choose(name, val, decaps, "xdp or tc", &v))
			return -1;
		o->decap = v;
		return 0;
	}
	if (!strcmp(name, "keepalive"))
		return ka_parse(val, &o->keepalive);
	if (!strcmp(name, "mss")) {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(val, &end, 10);
		if (errno || end == val || *end || val[0] == '-' || v < TIU_MSS_MIN || v > TIU_MSS_MAX)
			return tiu_fail("bad --mss '%s': give the MSS in bytes, %u..%u (e.g. 1360 for a 1400-byte IPv4 path)",
					val, TIU_MSS_MIN, TIU_MSS_MAX);
		o->mss = v;
		return 0;
	}
	if (!strcmp(name, "pin-dir")) {
		free((char *)o->pin_dir); /* the last --pin-dir wins */
		o->pin_dir = strdup(val);
		return o->pin_dir ? 0 : tiu_fail("out of memory");
	}
	return tiu_fail("unknown option '%s' (see tiu up --help)", name);
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* One "NAME VALUE" line (comment and blanks removed, may be empty): name
 * and value (NULL if none) in place. */
static char *config_split(char *line, char **val)
{
	char *s, *v;

	if ((s = strchr(line, '#')))
		*s = '\0';
	s = trim(line);
	v = s + strcspn(s, " \t=");
	if (*v) {
		*v++ = '\0';
		v = trim(v);
	}
	*val = *v ? v : NULL;
	return s;
}

/* A line that `down` does not need: checked as `up` would, but a mistake
 * is a warning naming the line, so that a typo made while the tunnel runs
 * does not keep `down` (ExecStop, ExecReload) from detaching it. */
static void config_check_quietly(const char *path, int lineno, const char *name,
				 const char *val)
{
	struct up_opts scratch = {};
	char msg[512] = "";
	int err;

	tiu_msg_capture(msg, sizeof(msg));
	err = up_opt(&scratch, name, val);
	tiu_msg_capture(NULL, 0);
	if (err)
		tiu_warn("%s:%d: %s; `down` needs only pin-dir from this file and goes on: fix the line before the next `tiu up`",
			 path, lineno, msg[0] ? msg : "a bad line");
	for (int i = 0; i < scratch.n_eps; i++)
		free(scratch.eps[i]);
	free((char *)scratch.pin_dir);
}

/*
 * Configuration file: one option per line, "NAME VALUE" with the names of
 * the long options of `tiu up` without "--"; '#' starts a comment:
 *     # /etc/tiu/eth0.conf
 *     endpoint remote=192.0.2.1:5201
 *     xdp-mode skb
 * Lines of any length (getline): a long comment is a comment to its end.
 * down_only: only pin-dir is taken (for `down`), see config_check_quietly.
 */
static int config_read(struct up_opts *o, const char *path, bool down_only)
{
	char *line = NULL, *name, *val;
	int lineno = 0, err = 0;
	size_t cap = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return tiu_fail("%s: cannot read configuration: %s", path, strerror(errno));
	while (!err && getline(&line, &cap, f) >= 0) {
		lineno++;
		name = config_split(line, &val);
		if (!*name)
			continue;
		if (down_only && strcmp(name, "pin-dir"))
			config_check_quietly(path, lineno, name, val);
		else if (up_opt(o, name, val))
			err = tiu_fail("%s:%d: in the configuration line above", path, lineno);
	}
	if (!err && ferror(f))
		err = tiu_fail("%s: cannot read configuration: %s", path, strerror(errno));
	free(line);
	fclose(f);
	return err;
}

int read_config(struct up_opts *o, const char *path)
{
	return config_read(o, path, false);
}

int read_config_down(struct up_opts *o, const char *path)
{
	return config_read(o, path, true);
}

/*
 * The command line of every subcommand, through getopt_long. The options all
 * commands share are handled here: -v/--verbose, -h/--help, and, for the
 * commands that say so, --pin-dir DIR and --json. A command lists only its
 * own options (struct cli_cmd.opts, a table of struct cli_opt, cmd.h);
 * -j is --json, as in iproute2 and bpftool (also before the command:
 * `tiu -j status`).
 * the positional arguments come back in order in struct cli.
 */
bool tiu_json; /* tiu -j COMMAND: --json for every command that has it */

/* getopt_long's keys: the common options', then CLI_OWN + the index of a
 * command's own option in its table. */
enum { CLI_PIN_DIR = 0x100, CLI_OWN = 0x200 };

static const struct option common_opts[] = {
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "pin-dir", required_argument, NULL, CLI_PIN_DIR },
	{ "json", no_argument, NULL, 'j' },
};

#define N_COMMON (sizeof(common_opts) / sizeof(common_opts[0]))
#define MAX_CMD_OPTS 32

static bool common_taken(const struct cli_cmd *cmd, int key)
{
	return key == 'v' || key == 'h' || (key == CLI_PIN_DIR && (cmd->common & CLI_F_PIN_DIR)) ||
	       (key == 'j' && (cmd->common & CLI_F_JSON));
}

/* A command's own option: where its value goes (struct cli_opt). */
static int own_opt(const struct cli_opt *o, void *ctx, const char *arg)
{
	switch (o->kind) {
	case CLI_OPT_FLAG:
		*(bool *)((char *)ctx + o->off) = true;
		return 0;
	case CLI_OPT_STR:
		*(const char **)((char *)ctx + o->off) = arg;
		return 0;
	case CLI_OPT_FN:
		return o->fn(ctx, o->name, arg);
	}
	return -1;
}

int cli_parse(const struct cli_cmd *cmd, void *ctx, int argc, char **argv, struct cli *out)
{
	struct option all[N_COMMON + MAX_CMD_OPTS + 1];
	int n = 0, c, own = 0;

	memset(out, 0, sizeof(*out));
	out->json = tiu_json && (cmd->common & CLI_F_JSON); /* tiu -j COMMAND */
	for (size_t i = 0; i < N_COMMON; i++)
		if (common_taken(cmd, common_opts[i].val))
			all[n++] = common_opts[i];
	for (const struct cli_opt *o = cmd->opts; o && o->name && own < MAX_CMD_OPTS; o++, own++)
		all[n++] = (struct option){ o->name, o->has_arg, NULL, CLI_OWN + own };
	memset(&all[n], 0, sizeof(all[n]));

	optind = 0; /* GNU: start over, also after an earlier parse */
	opterr = 0;
	while ((c = getopt_long(argc, argv, cmd->common & CLI_F_JSON ? ":vhj" : ":vh", all,
				NULL)) != -1) {
		if (c == 'v') {
			tiu_verbose = true;
		} else if (c == 'h') {
			cmd->usage(stdout);
			return 1;
		} else if (c == '?') {
			if (optopt && optopt < 0x100)
				return tiu_usage_fail("unknown option '-%c' (see tiu %s --help)", optopt,
						cmd->name);
			return tiu_usage_fail("unknown option '%s' (see tiu %s --help)", argv[optind - 1],
					cmd->name);
		} else if (c == ':') {
			return tiu_usage_fail("option '%s' needs a value (see tiu %s --help)",
					argv[optind - 1], cmd->name);
		} else if (c == CLI_PIN_DIR) {
			out->pin_dir = optarg;
		} else if (c == 'j') {
			out->json = true;
		} else if (own_opt(&cmd->opts[c - CLI_OWN], ctx, optarg)) {
			return -1;
		}
	}
	out->argc = argc - optind;
	out->argv = argv + optind;
	if (cmd->max_args >= 0 && out->argc > cmd->max_args)
		return tiu_usage_fail("unexpected argument '%s' (see tiu %s --help)",
				out->argv[cmd->max_args], cmd->name);
	return 0;
}
