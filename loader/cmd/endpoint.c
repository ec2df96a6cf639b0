// SPDX-License-Identifier: GPL-2.0
/*
 * endpoint.c - `tiu endpoint add|del|list IFACE ...`: the command line
 * around eps_apply() (state/endpoints.c), which edits the pinned endpoint
 * map while the programs run.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "cmd.h"

static void endpoint_usage(FILE *f)
{
	fprintf(f,
"usage: tiu endpoint add IFACE EP...\n"
"       tiu endpoint del IFACE EP...\n"
"       tiu endpoint list IFACE\n"
"   (each also takes --pin-dir DIR, as given to `tiu up`)\n"
"\n"
"EP is one of:\n"
"  local=ADDR:PORT    this host's address and port (a server)\n"
"  follow=ADDR:PORT   a local= endpoint serving plain and tunnelled clients:\n"
"                     replies tunnelled only for connections that came tunnelled\n"
"  remote=ADDR:PORT   the peer's (a client)\n"
"  mark=VALUE[/MASK]  egress TCP whose fwmark (SO_MARK, nftables `meta mark\n"
"                     set`) matches: (mark & MASK) == VALUE, whatever its ports\n"
"ADDR is an IPv4 address, an IPv6 address in brackets ([2001:db8::1]) or * for\n"
"any address (0.0.0.0 and [::] mean the same). PORT is 1-65535 or a range\n"
"FIRST-LAST (local=*:7000-7999); ranges of one role and address on an\n"
"interface must not overlap. VALUE and MASK are decimal or 0x hex, MASK\n"
"0xffffffff if left out; one mark selector per interface. Incoming UDP is\n"
"matched by address and port only (the sender's mark does not travel): a mark\n"
"selector needs a port endpoint for the peer's replies (remote=PEER:PORT).\n"
"\n"
"Takes effect at once, without reloading; IFACE must be up (`tiu up IFACE`).\n"
"Several EPs are added or deleted all or nothing. `del` takes an endpoint\n"
"exactly as it was added: a range as a whole, not a port inside it. `list`\n"
"prints one EP per line in the same syntax (ranges as FIRST-LAST, the mark as\n"
"mark=0xVALUE[/0xMASK]).\n");
}

static int list(const struct tiu_maps *m, __u32 slot, const char *ifname)
{
	char s[TIU_EP_STRLEN];
	struct ep *eps;
	int n = maps_endpoints(m, slot, &eps);

	if (n < 0)
		return tiu_fail("%s: cannot read %s: %s", ifname, TIU_MAP_ENDPOINTS, strerror(-n));
	for (int i = 0; i < n; i++) {
		format_endpoint(&eps[i], s, sizeof(s));
		printf("%s\n", s);
	}
	free(eps);
	return 0;
}

int cmd_endpoint(int argc, char **argv)
{
	static const struct cli_cmd cmd = {
		.name = "endpoint", .common = CLI_F_PIN_DIR, .usage = endpoint_usage,
		.max_args = TIU_MAX_CLI_ENDPOINTS + 2,
	};
	static struct ep eps[TIU_MAX_CLI_ENDPOINTS];
	const char *verb;
	struct tiu_maps m;
	struct pins p;
	struct cli c;
	__u32 ifindex, slot;
	int err = cli_parse(&cmd, NULL, argc, argv, &c);

	if (err)
		return err > 0 ? 0 : err;
	verb = c.argc ? c.argv[0] : "";
	if (!c.argc)
		return tiu_usage_fail("endpoint: which action? add, del or list (see tiu endpoint --help)");
	if (strcmp(verb, "add") && strcmp(verb, "del") && strcmp(verb, "list"))
		return tiu_usage_fail("endpoint: unknown action '%s': use add, del or list (see tiu endpoint --help)",
				verb);
	if (c.argc < 2)
		return tiu_usage_fail("endpoint %s: which interface? usage: tiu endpoint %s (see tiu endpoint --help)",
				verb, !strcmp(verb, "list") ? "list IFACE" : "add|del IFACE EP...");
	if (!strcmp(verb, "list") ? c.argc != 2 : c.argc < 3)
		return tiu_fail("endpoint %s: usage: tiu endpoint %s (see tiu endpoint --help)", verb,
				!strcmp(verb, "list") ? "list IFACE" : "add|del IFACE EP...");
	for (int i = 2; i < c.argc; i++)
		if (parse_endpoint(c.argv[i], &eps[i - 2]))
			return -1;
	if (tiu_need_root() || (strcmp(verb, "list") && tiu_lock()))
		return -1;
	if (maps_open_up(c.argv[1], c.pin_dir, false, &p, &m, &ifindex))
		return -1;
	if (maps_slot_of(&m, ifindex, &slot))
		err = tiu_fail("%s: not up (no slot in %s): run `tiu up %s` first", c.argv[1], p.dir,
			       c.argv[1]);
	else if (!strcmp(verb, "list"))
		err = list(&m, slot, c.argv[1]);
	else
		err = eps_apply(&m, slot, c.argv[1], !strcmp(verb, "add"), eps, c.argc - 2);
	maps_close(&m);
	if (!err && strcmp(verb, "list"))
		err = ka_sync(&p); /* the keepalive entries follow the endpoints */
	return err;
}
