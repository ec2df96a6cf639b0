// SPDX-License-Identifier: GPL-2.0
/*
 * epspec.c - endpoints as the user writes them, and the rules between them,
 * with no map and no system call: parse_endpoint() and format_endpoint()
 * (`tiu endpoint list` prints what `add` and `del` accept), and the checks
 * of an `add` or `del` against the endpoints an interface has (eps_check_add,
 * eps_check_del). Linked alone by the unit test (tests/test_epspec.c) and the
 * fuzzer (tests/libfuzzer/fuzz_loader_cli.c).
 *
 *   local=ADDR:PORT[-LAST]   remote=ADDR:PORT[-LAST]   mark=VALUE[/MASK]
 *   follow=ADDR:PORT[-LAST]  (a local= endpoint whose replies are tunnelled
 *                             only for connections that arrived tunnelled)
 *
 * Two port endpoints conflict when they have the same role and address and
 * their ranges share a port (a wildcard and an exact address never do: they
 * are separate map keys, and the wildcard decides first). An interface has
 * at most one mark selector.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

/* "1.2.3.4", "[2001:db8::1]", "*", "0.0.0.0", "[::]" -> 16 bytes, IPv4
 * v4-mapped, wildcard all zero. */
static int parse_addr(const char *s, size_t len, __u8 addr[16])
{
	char buf[INET6_ADDRSTRLEN + 2];
	struct in_addr a4;

	memset(addr, 0, 16);
	if (len == 0 || len >= sizeof(buf))
		return -1;
	if (len == 1 && s[0] == '*')
		return 0;
	if (s[0] == '[') {
		if (len < 3 || s[len - 1] != ']')
			return -1;
		memcpy(buf, s + 1, len - 2);
		buf[len - 2] = '\0';
		if (inet_pton(AF_INET6, buf, addr) != 1)
			return -1;
		/* [::ffff:0.0.0.0] is 0.0.0.0, the wildcard, as it is listed */
		if (addr[10] == 0xff && addr[11] == 0xff && !memcmp(addr, "\0\0\0\0\0\0\0\0\0\0", 10) &&
		    !memcmp(addr + 12, "\0\0\0\0", 4))
			memset(addr, 0, 16);
		return 0;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, &a4) != 1)
		return -1;
	if (a4.s_addr == 0)
		return 0; /* 0.0.0.0: the wildcard */
	addr[10] = 0xff;
	addr[11] = 0xff;
	memcpy(addr + 12, &a4, 4);
	return 0;
}

/* A port number of len characters: digits only, 0..65535 (0 is the
 * caller's error, with its own message). */
static int parse_port(const char *s, size_t len, unsigned int *port)
{
	unsigned long v = 0;

	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*port = (unsigned int)v;
	return 0;
}

/* "PORT" or "FIRST-LAST" of a port endpoint. */
static int parse_ports(const char *arg, const char *s, struct ep *ep)
{
	const char *dash = strchr(s, '-');
	size_t n1 = dash ? (size_t)(dash - s) : strlen(s);
	unsigned int first, last;

	if (parse_port(s, n1, &first) || (dash && parse_port(dash + 1, strlen(dash + 1), &last)))
		return tiu_fail("bad endpoint '%s': '%s' is not a port number (1-65535) or range (FIRST-LAST, e.g. 7000-7999)",
				arg, s);
	if (!dash)
		last = first;
	if (first == 0 || last == 0)
		return tiu_fail("bad endpoint '%s': port 0 is not allowed (use 1-65535)", arg);
	if (first > last)
		return tiu_fail("bad endpoint '%s': the range %u-%u runs backwards (write FIRST-LAST with FIRST <= LAST)",
				arg, first, last);
	ep->first = (__u16)first;
	ep->last = (__u16)last;
	return 0;
}

/* A 32-bit number as iproute2 writes marks: decimal, or hex after 0x. */
static int parse_u32(const char *s, size_t len, __u32 *out)
{
	unsigned long long v = 0;
	int base = 10;
	size_t i = 0;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len || len - i > (base == 16 ? 8 : 10))
		return -1;
	for (; i < len; i++) {
		int d;

		if (isdigit((unsigned char)s[i]))
			d = s[i] - '0';
		else if (base == 16 && isxdigit((unsigned char)s[i]))
			d = tolower((unsigned char)s[i]) - 'a' + 10;
		else
			return -1;
		v = v * (unsigned int)base + (unsigned int)d;
	}
	if (v > 0xffffffffULL)
		return -1;
	*out = (__u32)v;
	return 0;
}

/* "mark=VALUE[/MASK]" (the part after "mark="). */
static int parse_mark(const char *arg, const char *s, struct ep *ep)
{
	const char *slash = strchr(s, '/');
	size_t n1 = slash ? (size_t)(slash - s) : strlen(s);

	ep->kind = EP_MARK;
	ep->mask = 0xffffffff;
	if (parse_u32(s, n1, &ep->mark))
		return tiu_fail("bad endpoint '%s': '%.*s' is not a mark (a 32-bit number, decimal or 0x hex: mark=VALUE[/MASK])",
				arg, (int)n1, s);
	if (slash && parse_u32(slash + 1, strlen(slash + 1), &ep->mask))
		return tiu_fail("bad endpoint '%s': '%s' is not a mask (a 32-bit number, decimal or 0x hex: mark=VALUE[/MASK])",
				arg, slash + 1);
	if (!ep->mask)
		return tiu_fail("bad endpoint '%s': mask 0 selects every packet (give the bits of the mark that count, e.g. mark=0x10/0xf0)",
				arg);
	if (ep->mark & ~ep->mask)
		return tiu_fail("bad endpoint '%s': the value 0x%x has bits outside the mask 0x%x (VALUE & ~MASK must be 0)",
				arg, ep->mark, ep->mask);
	return 0;
}

/* "local=ADDR:PORT[-LAST]", "remote=ADDR:PORT[-LAST]" or "mark=VALUE[/MASK]"
 * into ep (all of it written, unused fields 0). */
int parse_endpoint(const char *arg, struct ep *ep)
{
	const char *v, *colon;

	memset(ep, 0, sizeof(*ep));
	if (!strncmp(arg, "mark=", 5))
		return parse_mark(arg, arg + 5, ep);
	ep->kind = EP_PORTS;
	if (!strncmp(arg, "local=", 6)) {
		ep->role = TIU_ROLE_LOCAL;
		v = arg + 6;
	} else if (!strncmp(arg, "follow=", 7)) {
		ep->role = TIU_ROLE_LOCAL;
		ep->follow = true;
		v = arg + 7;
	} else if (!strncmp(arg, "remote=", 7)) {
		ep->role = TIU_ROLE_REMOTE;
		v = arg + 7;
	} else {
		return tiu_fail("bad endpoint '%s': write local=ADDR:PORT or remote=ADDR:PORT (PORT may be a range FIRST-LAST), follow=ADDR:PORT (local= serving plain and tunnelled clients), or mark=VALUE[/MASK]",
				arg);
	}
	colon = strrchr(v, ':');
	if (!colon)
		return tiu_fail("bad endpoint '%s': no port (write ADDR:PORT, IPv6 as [ADDR]:PORT, any address as *:PORT)", arg);
	if (parse_addr(v, colon - v, ep->addr))
		return tiu_fail("bad endpoint '%s': '%.*s' is not an IPv4 address, [IPv6] address or * (IPv6 goes in brackets: [2001:db8::1]:443)",
				arg, (int)(colon - v), v);
	return parse_ports(arg, colon + 1, ep);
}

void format_endpoint(const struct ep *ep, char *buf, size_t len)
{
	static const __u8 zero[16], mapped[12] = { [10] = 0xff, [11] = 0xff };
	const char *role = ep->role == TIU_ROLE_LOCAL ? (ep->follow ? "follow" : "local") :
			   ep->role == TIU_ROLE_REMOTE ? "remote" : "role?";
	char a[INET6_ADDRSTRLEN + 2], p[16];

	if (ep->kind == EP_MARK) {
		if (ep->mask == 0xffffffff)
			snprintf(buf, len, "mark=0x%x", ep->mark);
		else
			snprintf(buf, len, "mark=0x%x/0x%x", ep->mark, ep->mask);
		return;
	}
	if (!memcmp(ep->addr, zero, 16)) {
		snprintf(a, sizeof(a), "*");
	} else if (!memcmp(ep->addr, mapped, 12)) {
		inet_ntop(AF_INET, ep->addr + 12, a, sizeof(a));
	} else {
		a[0] = '[';
		inet_ntop(AF_INET6, ep->addr, a + 1, sizeof(a) - 2);
		strcat(a, "]");
	}
	if (ep->first == ep->last)
		snprintf(p, sizeof(p), "%u", ep->first);
	else
		snprintf(p, sizeof(p), "%u-%u", ep->first, ep->last);
	snprintf(buf, len, "%s=%s:%s", role, a, p);
}

bool ep_same(const struct ep *a, const struct ep *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == EP_MARK)
		return a->mark == b->mark && a->mask == b->mask;
	return a->role == b->role && a->follow == b->follow && !memcmp(a->addr, b->addr, 16) &&
	       a->first == b->first && a->last == b->last;
}

/* Same role and address, a port in common. Marks: any two (one per
 * interface). */
bool ep_overlap(const struct ep *a, const struct ep *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == EP_MARK)
		return true;
	return a->role == b->role && !memcmp(a->addr, b->addr, 16) && a->first <= b->last &&
	       b->first <= a->last;
}

/* Map elements the endpoint takes (one per port; a mark none). */
unsigned int ep_size(const struct ep *ep)
{
	return ep->kind == EP_PORTS ? (unsigned int)ep->last - ep->first + 1 : 0;
}

/* Endpoints in a stable order: locals first, then by address (IPv4 before
 * IPv6, as the bytes sort) and first port; the mark selector last. */
int ep_cmp(const void *x, const void *y)
{
	const struct ep *a = x, *b = y;
	int d;

	if (a->kind != b->kind)
		return a->kind == EP_PORTS ? -1 : 1;
	if (a->kind == EP_MARK)
		return a->mark < b->mark ? -1 : a->mark > b->mark;
	if (a->role != b->role)
		return a->role == TIU_ROLE_LOCAL ? -1 : 1;
	d = memcmp(a->addr, b->addr, sizeof(a->addr));
	if (d)
		return d;
	if (a->first != b->first)
		return (int)a->first - (int)b->first;
	return (int)a->last - (int)b->last;
}

/*
 * `add` (and `up`) of eps[0..n) to an interface that has have[0..n_have):
 * nothing given twice, no overlap with each other or with what is there,
 * one mark selector. 0, or -1 after one line naming both endpoints.
 */
int eps_check_add(const char *ifname, const struct ep *have, int n_have, const struct ep *eps,
		  int n)
{
	char a[TIU_EP_STRLEN], b[TIU_EP_STRLEN];

	for (int i = 0; i < n; i++) {
		format_endpoint(&eps[i], a, sizeof(a));
		for (int j = 0; j < i; j++) {
			if (!ep_overlap(&eps[i], &eps[j]))
				continue;
			format_endpoint(&eps[j], b, sizeof(b));
			if (ep_same(&eps[i], &eps[j]))
				return tiu_fail("%s: duplicate endpoint %s (given twice)", ifname, a);
			if (eps[i].kind == EP_MARK)
				return tiu_fail("%s: two mark selectors, %s and %s: an interface takes one",
						ifname, b, a);
			return tiu_fail("%s: endpoint %s overlaps %s (both given): give each port once",
					ifname, a, b);
		}
		for (int j = 0; j < n_have; j++) {
			if (!ep_overlap(&eps[i], &have[j]))
				continue;
			format_endpoint(&have[j], b, sizeof(b));
			if (ep_same(&eps[i], &have[j]))
				return tiu_fail("%s: duplicate endpoint %s (already there; see `tiu endpoint list %s`)",
						ifname, a, ifname);
			if (eps[i].kind == EP_MARK)
				return tiu_fail("%s: cannot add %s: %s has the mark selector %s already (one per interface): `tiu endpoint del %s %s` first",
						ifname, a, ifname, b, ifname, b);
			return tiu_fail("%s: endpoint %s overlaps %s (already there): delete that first (`tiu endpoint del %s %s`) or give ports outside it",
					ifname, a, b, ifname, b);
		}
	}
	return 0;
}

/*
 * `del` of eps[0..n): each exactly one that is there (a range as a whole),
 * none given twice. 0, or -1 after one line; a port inside a range names
 * the range.
 */
int eps_check_del(const char *ifname, const struct ep *have, int n_have, const struct ep *eps,
		  int n)
{
	char a[TIU_EP_STRLEN], b[TIU_EP_STRLEN];
	int j, over;

	for (int i = 0; i < n; i++) {
		format_endpoint(&eps[i], a, sizeof(a));
		for (j = 0; j < i; j++)
			if (ep_overlap(&eps[i], &eps[j])) {
				format_endpoint(&eps[j], b, sizeof(b));
				return ep_same(&eps[i], &eps[j]) ?
					tiu_fail("%s: endpoint %s given twice", ifname, a) :
					tiu_fail("%s: endpoints %s and %s overlap: give each once", ifname,
						 b, a);
			}
		over = -1;
		for (j = 0; j < n_have; j++) {
			if (ep_same(&eps[i], &have[j]))
				break;
			if (over < 0 && ep_overlap(&eps[i], &have[j]))
				over = j;
		}
		if (j < n_have)
			continue;
		if (over < 0)
			return tiu_fail("%s: no endpoint %s to delete (see `tiu endpoint list %s`)", ifname,
					a, ifname);
		format_endpoint(&have[over], b, sizeof(b));
		if (eps[i].kind == EP_MARK)
			return tiu_fail("%s: no mark selector %s to delete: %s has %s", ifname, a, ifname, b);
		if (eps[i].first == eps[i].last)
			return tiu_fail("%s: cannot delete %s: port %u belongs to the range %s, which goes as a whole (`tiu endpoint del %s %s`)",
					ifname, a, eps[i].first, b, ifname, b);
		return tiu_fail("%s: no endpoint %s to delete: it overlaps %s, which goes as a whole (`tiu endpoint del %s %s`)",
				ifname, a, b, ifname, b);
	}
	return 0;
}
