// SPDX-License-Identifier: GPL-2.0
/*
 * endpoints.c - eps_apply(), which `tiu endpoint` and `up` use: edit the
 * pinned endpoint map while the programs run. A port endpoint is one map
 * element per port, each written or deleted atomically, so traffic of other
 * endpoints is never disturbed; the port table follows (bits are set after
 * the elements are written, and cleared before they are deleted: see
 * eps_apply). The mark selector is a field of the interface's tiu_ifaces
 * entry. And the warnings an endpoint deserves (warn_local_port).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "state.h"

/*
 * A local endpoint's port inside net.ipv4.ip_local_port_range (which also
 * serves IPv6) is a port this host picks as the source of its own outgoing
 * connections: those to any peer would then match local=ADDR:PORT and be
 * tunnelled. A warning, not an error: the range may be changed later.
 */
void warn_local_port(const char *ifname, const struct ep *ep)
{
	unsigned int lo, hi, a, b;
	char s[TIU_EP_STRLEN];
	FILE *f;

	if (ep->kind != EP_PORTS || ep->role != TIU_ROLE_LOCAL)
		return;
	f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	if (!f)
		return;
	if (fscanf(f, "%u %u", &lo, &hi) == 2 && ep->first <= hi && ep->last >= lo) {
		format_endpoint(ep, s, sizeof(s));
		a = ep->first > lo ? ep->first : lo;
		b = ep->last < hi ? ep->last : hi;
		if (a == b)
			tiu_warn("%s: %s: port %u is inside net.ipv4.ip_local_port_range (%u-%u): this host's own outgoing connections may use it as their source port and be tunnelled; pick a port outside the range",
				 ifname, s, a, lo, hi);
		else
			tiu_warn("%s: %s: ports %u-%u are inside net.ipv4.ip_local_port_range (%u-%u): this host's own outgoing connections may use them as their source port and be tunnelled; pick ports outside the range",
				 ifname, s, a, b, lo, hi);
	}
	fclose(f);
}

/*
 * remote=*:PORT with a port that well-known UDP services answer from: every
 * reply of such a service (DNS, NTP, QUIC, IPsec NAT-T, WireGuard) to this
 * host matches the endpoint on ingress. The datapath restores only what
 * belongs to one of this host's TCP connections (dec_skip_not_ours counts the
 * rest), but a UDP reply that shares a 4-tuple with such a connection would
 * be turned into TCP, and each one costs a socket lookup.
 */
static void warn_udp_service(const char *ifname, const struct ep *ep)
{
	static const struct { __u16 port; const char *what; } svc[] = {
		{ 53, "DNS" }, { 123, "NTP" }, { 443, "QUIC (HTTP/3)" },
		{ 4500, "IPsec NAT traversal" }, { 51820, "WireGuard" },
	};
	static const __u8 any[16];
	char s[TIU_EP_STRLEN];

	if (ep->kind != EP_PORTS || ep->role != TIU_ROLE_REMOTE || memcmp(ep->addr, any, 16))
		return;
	for (size_t i = 0; i < sizeof(svc) / sizeof(svc[0]); i++)
		if (ep->first <= svc[i].port && svc[i].port <= ep->last) {
			format_endpoint(ep, s, sizeof(s));
			tiu_warn("%s: %s: port %u is the %s port: every %s reply to this host comes from it and is checked as tunnelled TCP (a socket lookup each; only this host's own TCP connections are restored, dec_skip_not_ours counts the rest); name the server's address (remote=ADDR:PORT) or pick another port",
				 ifname, s, svc[i].port, svc[i].what, svc[i].what);
			return;
		}
}

/* What a mark selector cannot do, said when it is set or loses its last
 * port endpoint: the peer's replies arrive as UDP, and only a port endpoint
 * turns them back into TCP. */
static void warn_mark(const char *ifname, const struct ep *have, int n_have, bool deleted)
{
	const struct ep *mark = NULL;
	char s[TIU_EP_STRLEN];
	int ports = 0;

	for (int i = 0; i < n_have; i++) {
		if (have[i].kind == EP_MARK)
			mark = &have[i];
		else
			ports++;
	}
	if (!mark || ports)
		return;
	format_endpoint(mark, s, sizeof(s));
	tiu_warn("%s: %s selects egress TCP by its mark, but incoming UDP is matched by address and port only (ingress cannot see the sender's mark): %s, so the peer's tunnelled replies stay UDP; add one for them (remote=PEER:PORT or local=ADDR:PORT)",
		 ifname, s, deleted ? "the last port endpoint is gone" : "there is no port endpoint");
}

static void warn_mark_value(const char *ifname, const struct ep *ep)
{
	char s[TIU_EP_STRLEN];

	if (ep->kind != EP_MARK || ep->mark)
		return;
	format_endpoint(ep, s, sizeof(s));
	tiu_warn("%s: %s: selects TCP whose mark is 0 in the bits of the mask: %s",
		 ifname, s, ep->mask == 0xffffffff ? "every TCP packet without a mark leaving it is tunnelled" :
		 "is that what you mean?");
}

/* Room in the endpoint table (shared by the interfaces of a pin
 * directory) for the ports of eps? 0, or -1 after one line. */
int eps_check_room(const struct tiu_maps *m, const char *ifname, const struct ep *eps, int n)
{
	unsigned long need = 0;
	int used = maps_ep_count(m), big = -1;
	char s[TIU_EP_STRLEN];

	if (used < 0)
		return tiu_fail("%s: cannot read %s: %s", ifname, TIU_MAP_ENDPOINTS, strerror(-used));
	for (int i = 0; i < n; i++) {
		need += ep_size(&eps[i]);
		if (big < 0 || ep_size(&eps[i]) > ep_size(&eps[big]))
			big = i;
	}
	if (need <= (unsigned long)(TIU_MAX_ENDPOINTS - used))
		return 0;
	format_endpoint(&eps[big], s, sizeof(s));
	if (n == 1)
		return tiu_fail("%s: %s needs %lu entries of the endpoint table (one per port), %d of %d are free (shared by every interface of this pin directory): use a smaller range, or delete endpoints",
				ifname, s, need, TIU_MAX_ENDPOINTS - used, TIU_MAX_ENDPOINTS);
	return tiu_fail("%s: these endpoints need %lu entries of the endpoint table (one per port; %s alone %u), %d of %d are free (shared by every interface of this pin directory): use fewer or smaller ranges, or delete endpoints",
			ifname, need, s, ep_size(&eps[big]), TIU_MAX_ENDPOINTS - used,
			TIU_MAX_ENDPOINTS);
}

/* Write (add) or delete the elements of the first `upto` ports of one port
 * endpoint. Returns how many were done before an error (errno set), or, to
 * undo (undo: errors ignored), upto. */
static unsigned int write_ports(const struct tiu_maps *m, __u32 slot, const struct ep *ep,
				bool add, unsigned int upto, bool undo)
{
	struct tiu_endpoint_key key = { .role = ep->role, .slot = (__u8)slot };
	struct tiu_endpoint_val val = { .first = ep->first, .last = ep->last,
					.flags = ep->follow ? TIU_EP_F_FOLLOW : 0 }, old;
	unsigned int i;

	memcpy(key.addr, ep->addr, 16);
	for (i = 0; i < upto; i++) {
		key.port = htons((__u16)(ep->first + i));
		if (add) {
			if (elem_update(m->endpoints, &key, &val, BPF_NOEXIST) && !undo)
				break;
		} else if (!bpf_map_lookup_elem(m->endpoints, &key, &old) &&
			   old.first == val.first && old.last == val.last &&
			   bpf_map_delete_elem(m->endpoints, &key) && errno != ENOENT && !undo) {
			break;
		}
		if (!i && !undo)
			tiu_crash_point("ep-elem"); /* halfway through a range */
	}
	return i;
}

/* The slot's mark selector in tiu_ifaces: set (ep) or cleared (NULL). */
static int write_mark(const struct tiu_maps *m, __u32 slot, const struct ep *ep)
{
	struct tiu_iface ifc;
	int err = maps_iface(m, slot, &ifc);

	if (err)
		return err;
	ifc.flags = ep ? ifc.flags | TIU_IFACE_F_MARK : ifc.flags & ~TIU_IFACE_F_MARK;
	ifc.mark = ep ? ep->mark : 0;
	ifc.mark_mask = ep ? ep->mask : 0;
	return maps_set_iface(m, slot, &ifc);
}

/*
 * Add or delete eps[0..n) on the interface of slot, all or nothing: check
 * them against what it has (eps_check_add/del) and the room in the table
 * before writing anything; undo the written part if a write fails. 0, or
 * -1 after one line.
 *
 * The order keeps one invariant at every instant, so also after a crash
 * between any two writes: the datapath matches a subset of what `endpoint
 * list` shows (it lists an endpoint while one element of it is left). A
 * port-table bit alone decides for a wildcard (local=*:P, remote=*:P), so
 * no bit may be set whose elements are not in the table:
 *  - add: the elements first (listed, not yet matched: the bits are not
 *    set), then the bits (ep-elem, ep-elems, ep-ports are the crash points
 *    after the first element, every element, the bits);
 *  - del: the bits first, as if the endpoints were gone (still listed, no
 *    longer matched), then the elements (crash points ep-unset, ep-elem,
 *    ep-elems, ep-ports); a failed delete puts the elements and then the
 *    bits back.
 * The mark selector is one write of tiu_ifaces: listed exactly while set.
 */
int eps_apply(const struct tiu_maps *m, __u32 slot, const char *ifname, bool add,
	      const struct ep *eps, int n)
{
	unsigned int lo = TIU_PORTS, hi = 0, done = 0;
	struct ep *have = NULL, *after = NULL;
	char s[TIU_EP_STRLEN];
	int n_have = maps_endpoints(m, slot, &have), n_after = 0, i, err;
	bool gen = false; /* the generation stepped (begun) */

	if (n_have < 0)
		return tiu_fail("%s: cannot read %s: %s", ifname, TIU_MAP_ENDPOINTS,
				strerror(-n_have));
	err = add ? eps_check_add(ifname, have, n_have, eps, n) :
		    eps_check_del(ifname, have, n_have, eps, n);
	if (!err && add)
		err = eps_check_room(m, ifname, eps, n);
	for (i = 0; !err && add && i < n; i++) {
		warn_local_port(ifname, &eps[i]);
		warn_udp_service(ifname, &eps[i]);
		warn_mark_value(ifname, &eps[i]);
	}
	for (i = 0; i < n; i++) {
		if (eps[i].kind != EP_PORTS)
			continue;
		if (eps[i].first < lo)
			lo = eps[i].first;
		if (eps[i].last > hi)
			hi = eps[i].last;
	}
	if (!err && !add && lo <= hi) { /* del: no longer matched before it goes */
		err = maps_ports_sync_except(m, slot, lo, hi, eps, n);
		if (err) {
			maps_ports_sync(m, slot, lo, hi); /* the bits that went, back */
			err = tiu_fail("%s: cannot update %s: %s (nothing changed)", ifname,
				       TIU_MAP_PORTS, strerror(-err));
		} else {
			tiu_crash_point("ep-unset");
		}
	}
	/* deletions step the generation that makes the programs forget them
	 * (loader/sys/epgen.c); so does the undo of an addition, below */
	if (!err && !add) {
		maps_ep_gen_begin(m);
		gen = true;
	}
	for (i = 0; !err && i < n; i++) {
		if (eps[i].kind == EP_MARK) {
			err = write_mark(m, slot, add ? &eps[i] : NULL);
			if (err) {
				errno = -err;
				done = 0;
			}
		} else {
			done = write_ports(m, slot, &eps[i], add, ep_size(&eps[i]), false);
			err = done < ep_size(&eps[i]) ? -1 : 0;
		}
	}
	if (err && i > 0) { /* a write failed: undo, the failed one first */
		int e = errno;

		if (!gen) {
			maps_ep_gen_begin(m);
			gen = true;
		}
		format_endpoint(&eps[i - 1], s, sizeof(s));
		for (int j = i - 1; j >= 0; j--) {
			if (eps[j].kind == EP_MARK)
				write_mark(m, slot, add ? NULL : &eps[j]);
			else
				write_ports(m, slot, &eps[j], !add, j == i - 1 ? done : ep_size(&eps[j]),
					    true);
		}
		if (!add && lo <= hi) /* the elements are back: their bits too */
			maps_ports_sync(m, slot, lo, hi);
		err = tiu_fail("%s: cannot %s endpoint %s: %s (nothing changed)", ifname,
			       add ? "add" : "delete", s,
			       e == E2BIG ? "the endpoint table is full" : strerror(e));
	}
	if (gen)
		maps_ep_gen_end(m);
	if (!err)
		tiu_crash_point("ep-elems");
	if (!err && lo <= hi && (err = maps_ports_sync(m, slot, lo, hi)))
		err = tiu_fail("%s: cannot update %s: %s", ifname, TIU_MAP_PORTS, strerror(-err));
	if (!err) {
		tiu_crash_point("ep-ports");
		n_after = maps_endpoints(m, slot, &after);
		if (n_after >= 0)
			warn_mark(ifname, after, n_after, !add);
	}
	free(have);
	free(after);
	return err ? -1 : 0;
}
