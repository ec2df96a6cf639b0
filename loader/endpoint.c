// SPDX-License-Identifier: GPL-2.0
/*
 * endpoint.c - `tiu endpoint add|del|list IFACE ...`: edit the pinned
 * endpoint map while the programs run. Each endpoint is one map element
 * written or deleted atomically, so traffic of other endpoints is never
 * disturbed.
 */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>

#include "tiu.h"

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

static int open_up_iface(const char *ifname, const char *pin_dir, __u32 *ifindex,
			 struct tiu_maps *m)
{
	struct tiu_link link;
	struct pins p;
	int err;

	if (tiu_need_root() || iface_index(ifname, ifindex))
		return -1;
	err = pins_resolve(pin_dir, false, &p);
	if (err < 0)
		return -1;
	err = err ? -ENOENT : maps_open(&p, m);
	if (err == -ESTALE)
		return tiu_fail("%s: stale pins from another version in %s: run `tiu down %s --purge`",
				ifname, p.dir, ifname);
	if (!err && bpf_map_lookup_elem(m->links, ifindex, &link)) {
		maps_close(m);
		err = -ENOENT;
	}
	if (err)
		return tiu_fail("%s: not up (no tiu maps for it in %s): run `tiu up %s` first",
				ifname, p.dir[0] ? p.dir : "/sys/fs/bpf/tiu", ifname);
	return 0;
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
	const char *pin_dir = NULL, *args[TIU_MAX_CLI_ENDPOINTS];
	int n = 0, err = 0;
	struct tiu_maps m;
	__u32 ifindex;
	bool add;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return endpoint_usage(stdout), 0;
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
			tiu_verbose = true;
		else if (!strcmp(argv[i], "--pin-dir") && i + 1 < argc)
			pin_dir = argv[++i];
		else if (argv[i][0] == '-')
			return tiu_fail("unknown option '%s' (see tiu endpoint --help)", argv[i]);
		else if (n < TIU_MAX_CLI_ENDPOINTS)
			args[n++] = argv[i];
	}
	if (n < 2 || (strcmp(args[0], "add") && strcmp(args[0], "del") && strcmp(args[0], "list")))
		return endpoint_usage(stderr), -1;
	if (!strcmp(args[0], "list") ? n != 2 : n < 3)
		return tiu_fail("%s: usage: tiu endpoint %s (see tiu endpoint --help)", args[0],
				!strcmp(args[0], "list") ? "list IFACE" : "add|del IFACE EP...");
	if (tiu_need_root() || (strcmp(args[0], "list") && tiu_lock()))
		return -1;
	if (open_up_iface(args[1], pin_dir, &ifindex, &m))
		return -1;
	add = !strcmp(args[0], "add");
	if (!strcmp(args[0], "list"))
		err = list(&m, ifindex);
	else
		err = edit(&m, add, ifindex, args[1], args + 2, n - 2);
	maps_close(&m);
	return err;
}
