/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cmd.h - the top layer of the `tiu` loader: the command line and one
 * file per command (up, down, endpoint, status, stats, apply). Commands
 * call into state/state.h and sys/sys.h; nothing below calls up here.
 */
#ifndef TIU_LOADER_CMD_H
#define TIU_LOADER_CMD_H

#include <getopt.h>
#include <stddef.h>

#include "../state/state.h"

#define TIU_MAX_CLI_ENDPOINTS 256
/* --mss: Linux's smallest MSS (TCP_MIN_MSS), the largest an IPv4 packet holds */
#define TIU_MSS_MIN 88
#define TIU_MSS_MAX 65495

/* ---- cli.c: endpoints, interface names, config files ---- */
enum decap_opt { DECAP_XDP, DECAP_TC };

struct up_opts {
	const char *ifname;
	const char *pin_dir;
	enum xdp_mode_opt xdp_mode;
	enum decap_opt decap;
	int n_eps;
	char *eps[TIU_MAX_CLI_ENDPOINTS]; /* "local=ADDR:PORT" as given */
	int keepalive;        /* seconds; 0: off; -1: the default (keepalive.c) */
	__u32 mss;            /* --mss: clamp tunnelled SYN/SYN-ACK MSS; 0: off */
};

int up_opt(struct up_opts *o, const char *name, const char *val);
int ka_parse(const char *val, int *seconds);
int read_config(struct up_opts *o, const char *path);
int read_config_down(struct up_opts *o, const char *path); /* pin-dir only; others warn */

/* The options every command may take besides -v and -h. */
#define CLI_F_PIN_DIR (1u << 0) /* takes --pin-dir DIR */
#define CLI_F_JSON    (1u << 1) /* takes -j/--json */
extern bool tiu_json;           /* tiu -j COMMAND */

/*
 * A command's own option, declared once in its table: cli_parse makes
 * getopt_long's entry from it and puts the value where it says, in the
 * command's options struct (the ctx of cli_parse): a flag sets a bool, a
 * string option keeps its argument (the last one given), any other option
 * calls its function with its name and argument (NULL if none), in the
 * order of the command line.
 */
enum cli_opt_kind { CLI_OPT_FLAG, CLI_OPT_STR, CLI_OPT_FN };

struct cli_opt {
	const char *name;                /* "dry-run": --dry-run */
	int has_arg;                     /* no_, required_ or optional_argument (getopt.h) */
	enum cli_opt_kind kind;
	size_t off;                      /* FLAG: of a bool in ctx; STR: of a const char * */
	int (*fn)(void *ctx, const char *name, const char *arg); /* FN: 0, or -1 (printed) */
};

#define CLI_FLAG(name, type, field) { name, no_argument, CLI_OPT_FLAG, offsetof(type, field), NULL }
#define CLI_STR(name, type, field)  { name, required_argument, CLI_OPT_STR, offsetof(type, field), NULL }
#define CLI_FN(name, has_arg, fn)   { name, has_arg, CLI_OPT_FN, 0, fn }

struct cli_cmd {
	const char *name;                /* "up": in "see tiu up --help" */
	unsigned int common;             /* CLI_F_*: the common options it takes */
	const struct cli_opt *opts;      /* its own options, ended by {}, or NULL */
	void (*usage)(FILE *f);          /* for --help */
	int max_args;                    /* positional arguments, -1: any number */
};

struct cli {
	const char *pin_dir;             /* --pin-dir, or NULL */
	bool json;
	int argc;                        /* positional arguments, in order */
	char **argv;
};

/* 0: parsed; 1: --help printed (exit 0); -1: error printed. */
int cli_parse(const struct cli_cmd *cmd, void *ctx, int argc, char **argv, struct cli *out);

/* ---- counters.c: every counter `tiu stats` shows, and where ---- */
/* The Prometheus families of the counters (`tiu stats --prometheus`). */
enum prom_fam { PROM_CONVERTED, PROM_BYTES, PROM_PASSED, PROM_DROPPED, PROM_EVENT, PROM__MAX };

struct prom_family {
	const char *name, *help;
	const char *extra;          /* the label besides interface and direction, or NULL */
};

struct tiu_counter {
	const char *label, *help;   /* "enc_converted": the name in text and JSON */
	enum prom_fam family;
	const char *direction;      /* encap, detour, decap, keepalive */
	const char *value;          /* of the family's extra label; "" without one */
};

/* The datapath's counters (TIU_STATS, in their order), then the keepalive's. */
#define TIU_N_KA_COUNTERS 3
#define TIU_N_COUNTERS (TIU_STAT__MAX + TIU_N_KA_COUNTERS)
extern const struct prom_family prom_families[PROM__MAX];
extern const struct tiu_counter tiu_counters[TIU_N_COUNTERS];

/* ---- subcommands ---- */
int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_endpoint(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_apply(int argc, char **argv);                              /* apply.c */
int cmd_probe(int argc, char **argv);                              /* pathprobe.c */
void apply_status_text(void);                                      /* apply.c */
void apply_status_json(void);                                      /* apply.c */
void apply_prometheus(void);                                       /* apply.c */

#endif /* TIU_LOADER_CMD_H */
