// SPDX-License-Identifier: GPL-2.0
/*
 * endpoint.c - `tiu endpoint add|del|list IFACE ...`: edit the pinned
 * endpoint map while the programs run. Each endpoint is one map element
 * written or deleted atomically, so traffic of other endpoints is never
 * disturbed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>

#include "tiu.h"

/*
 * A local endpoint's port inside net.ipv4.ip_local_port_range (which also
 * serves IPv6) is a port this host picks as the source of its own outgoing
 * connections: those to any peer would then match local=ADDR:PORT and be
 * tunnelled. A warning, not an error: the range may be changed later.
 */
void warn_local_port(const char *ifname, const struct tiu_endpoint_key *key)
{
	unsigned int lo, hi, port = ntohs(key->port);
	char ep[80];
	FILE *f;

	if (key->role != TIU_ROLE_LOCAL)
		return;
	f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	if (!f)
		return;
	if (fscanf(f, "%u %u", &lo, &hi) == 2 && port >= lo && port <= hi) {
		format_endpoint(key, ep, sizeof(ep));
		tiu_warn("%s: %s: port %u is inside net.ipv4.ip_local_port_range (%u-%u): this host's own outgoing connections may use it as their source port and be tunnelled; pick a port outside the range",
			 ifname, ep, port, lo, hi);
	}
	fclose(f);
}

static void endpoint_usage(FILE *f)
{
	fprintf(f,
"usage: tiu endpoint add IFACE EP...\n"
"       tiu endpoint del IFACE EP...\n"
"       tiu endpoint list IFACE\n"
"   (each also takes --pin-dir DIR, as given to `tiu up`)\n"
"\n"
"EP is local=ADDR:PORT (this host's address and port: a server) or\n"
"remote=ADDR:PORT (the peer's: a client). ADDR is an IPv4 address, an IPv6\n"
"address in brackets ([2001:db8::1]) or * for any address (0.0.0.0 and [::]\n"
"mean the same). PORT is 1-65535. Takes effect at once, without reloading;\n"
"IFACE must be up (`tiu up IFACE`). `list` prints one EP per line, in the same\n"
"syntax.\n");
}

static int edit_one(const struct tiu_maps *m, bool add, const struct tiu_endpoint_key *key,
		    const char *ifname)
{
	struct tiu_endpoint_val val = {};
	char a[80];

	format_endpoint(key, a, sizeof(a));
	if (add && bpf_map_update_elem(m->endpoints, key, &val, BPF_NOEXIST)) {
		if (errno == EEXIST)
			return tiu_fail("%s: duplicate endpoint %s (already there; see `tiu endpoint list %s`)",
					ifname, a, ifname);
		return tiu_fail("%s: cannot add endpoint %s: %s", ifname, a,
				errno == E2BIG ? "the endpoint table is full" : strerror(errno));
	}
	if (!add && bpf_map_delete_elem(m->endpoints, key)) {
		if (errno == ENOENT)
			return tiu_fail("%s: no endpoint %s to delete (see `tiu endpoint list %s`)",
					ifname, a, ifname);
		return tiu_fail("%s: cannot delete endpoint %s: %s", ifname, a, strerror(errno));
	}
	return 0;
}

/* Apply all or nothing: parse every EP first, undo the applied ones if one
 * fails. */
static int edit(const struct tiu_maps *m, bool add, __u32 ifindex, const char *ifname,
		const char **args, int n)
{
	static struct tiu_endpoint_key keys[TIU_MAX_CLI_ENDPOINTS];
	struct tiu_endpoint_val val = {};
	int i;

	for (i = 0; i < n; i++)
		if (parse_endpoint(args[i], ifindex, &keys[i]))
			return -1;
	for (i = 0; add && i < n; i++)
		warn_local_port(ifname, &keys[i]);
	for (i = 0; i < n; i++)
		if (edit_one(m, add, &keys[i], ifname))
			break;
	if (i == n)
		return 0;
	while (i-- > 0) {
		if (add)
			bpf_map_delete_elem(m->endpoints, &keys[i]);
		else
			bpf_map_update_elem(m->endpoints, &keys[i], &val, BPF_NOEXIST);
	}
	return -1;
}

static int list(const struct tiu_maps *m, __u32 ifindex)
{
	static struct tiu_endpoint_key keys[TIU_MAX_ENDPOINTS];
	int n = maps_endpoints(m, ifindex, keys, TIU_MAX_ENDPOINTS);
	char a[80];

	for (int i = 0; i < n; i++) {
		format_endpoint(&keys[i], a, sizeof(a));
		printf("%s\n", a);
	}
	return 0;
}

int cmd_endpoint(int argc, char **argv)
{
	static const struct cli_cmd cmd = {
		.name = "endpoint", .common = CLI_F_PIN_DIR, .usage = endpoint_usage,
		.max_args = TIU_MAX_CLI_ENDPOINTS + 2,
	};
	const char *verb;
	struct tiu_maps m;
	struct pins p;
	struct cli c;
	__u32 ifindex;
	int err = cli_parse(&cmd, NULL, argc, argv, &c);

	if (err)
		return err > 0 ? 0 : -1;
	verb = c.argc ? c.argv[0] : "";
	if (!c.argc)
		return tiu_fail("endpoint: which action? add, del or list (see tiu endpoint --help)");
	if (strcmp(verb, "add") && strcmp(verb, "del") && strcmp(verb, "list"))
		return tiu_fail("endpoint: unknown action '%s': use add, del or list (see tiu endpoint --help)",
				verb);
	if (c.argc < 2)
		return tiu_fail("endpoint %s: which interface? usage: tiu endpoint %s (see tiu endpoint --help)",
				verb, !strcmp(verb, "list") ? "list IFACE" : "add|del IFACE EP...");
	if (!strcmp(verb, "list") ? c.argc != 2 : c.argc < 3)
		return tiu_fail("endpoint %s: usage: tiu endpoint %s (see tiu endpoint --help)", verb,
				!strcmp(verb, "list") ? "list IFACE" : "add|del IFACE EP...");
	if (tiu_need_root() || (strcmp(verb, "list") && tiu_lock()))
		return -1;
	if (maps_open_up(c.argv[1], c.pin_dir, false, &p, &m, &ifindex))
		return -1;
	if (!strcmp(verb, "list"))
		err = list(&m, ifindex);
	else
		err = edit(&m, !strcmp(verb, "add"), ifindex, c.argv[1],
			   (const char **)c.argv + 2, c.argc - 2);
	maps_close(&m);
	if (!err && strcmp(verb, "list"))
		err = ka_sync(&p); /* the keepalive entries follow the endpoints */
	return err;
}
