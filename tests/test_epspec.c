// SPDX-License-Identifier: GPL-2.0
/*
 * test_epspec.c - the endpoint syntax of `tiu` (loader/state/epspec.c) in tables:
 * what parse_endpoint() accepts and how `tiu endpoint list` prints it (which
 * must parse back to the same endpoint), every bad form with its message,
 * and the rules of `add` and `del` against what an interface has: duplicates,
 * overlapping ranges, one mark selector, a port inside a range. No root, no
 * BPF: loader/state/epspec.c is linked alone, tiu_fail() is caught here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "state/state.h"

bool tiu_verbose;
static char last_err[512];

int tiu_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_err, sizeof(last_err), fmt, ap);
	va_end(ap);
	return -1;
}

void tiu_warn(const char *fmt, ...)
{
	(void)fmt;
}

/* Accepted forms: the input, what `endpoint list` prints, and the fields. */
static const struct {
	const char *in, *out;
	int kind, role;
	unsigned int first, last;
	unsigned int mark, mask;
} good[] = {
	{ "local=*:443", "local=*:443", EP_PORTS, TIU_ROLE_LOCAL, 443, 443 },
	{ "local=*:7000-7999", "local=*:7000-7999", EP_PORTS, TIU_ROLE_LOCAL, 7000, 7999 },
	{ "remote=192.0.2.1:7000-7099", "remote=192.0.2.1:7000-7099", EP_PORTS, TIU_ROLE_REMOTE,
	  7000, 7099 },
	{ "remote=[2001:db8::1]:443-444", "remote=[2001:db8::1]:443-444", EP_PORTS,
	  TIU_ROLE_REMOTE, 443, 444 },
	{ "local=[2001:db8::1]:443-444", "local=[2001:db8::1]:443-444", EP_PORTS, TIU_ROLE_LOCAL,
	  443, 444 },
	{ "local=0.0.0.0:80-81", "local=*:80-81", EP_PORTS, TIU_ROLE_LOCAL, 80, 81 },
	{ "local=[::]:80", "local=*:80", EP_PORTS, TIU_ROLE_LOCAL, 80, 80 },
	{ "remote=[::ffff:192.0.2.9]:5", "remote=192.0.2.9:5", EP_PORTS, TIU_ROLE_REMOTE, 5, 5 },
	{ "local=*:443-443", "local=*:443", EP_PORTS, TIU_ROLE_LOCAL, 443, 443 },
	{ "local=*:00080", "local=*:80", EP_PORTS, TIU_ROLE_LOCAL, 80, 80 },
	{ "local=*:1-65535", "local=*:1-65535", EP_PORTS, TIU_ROLE_LOCAL, 1, 65535 },
	{ "remote=10.0.0.1:65535", "remote=10.0.0.1:65535", EP_PORTS, TIU_ROLE_REMOTE, 65535,
	  65535 },
	{ "follow=*:443", "follow=*:443", EP_PORTS, TIU_ROLE_LOCAL, 443, 443 },
	{ "follow=[2001:db8::1]:8443-8444", "follow=[2001:db8::1]:8443-8444", EP_PORTS,
	  TIU_ROLE_LOCAL, 8443, 8444 },
	{ "follow=0.0.0.0:80", "follow=*:80", EP_PORTS, TIU_ROLE_LOCAL, 80, 80 },
	{ "mark=0x10", "mark=0x10", EP_MARK, 0, 0, 0, 0x10, 0xffffffff },
	{ "mark=16", "mark=0x10", EP_MARK, 0, 0, 0, 0x10, 0xffffffff },
	{ "mark=010", "mark=0xa", EP_MARK, 0, 0, 0, 10, 0xffffffff }, /* decimal, not octal */
	{ "mark=0x10/0xf0", "mark=0x10/0xf0", EP_MARK, 0, 0, 0, 0x10, 0xf0 },
	{ "mark=0X1F/0XFF", "mark=0x1f/0xff", EP_MARK, 0, 0, 0, 0x1f, 0xff },
	{ "mark=0xFFFFFFFF", "mark=0xffffffff", EP_MARK, 0, 0, 0, 0xffffffff, 0xffffffff },
	{ "mark=4294967295/4294967295", "mark=0xffffffff", EP_MARK, 0, 0, 0, 0xffffffff,
	  0xffffffff },
	{ "mark=0/1", "mark=0x0/0x1", EP_MARK, 0, 0, 0, 0, 1 },
};

/* Refused forms and a part of the message. */
static const struct {
	const char *in, *msg;
} bad[] = {
	{ "local=*:8000-7000", "the range 8000-7000 runs backwards" },
	{ "local=*:0", "port 0 is not allowed" },
	{ "follow=*:0", "port 0 is not allowed" },
	{ "follow:*:443", "write local=ADDR:PORT or remote=ADDR:PORT" },
	{ "local=*:0-5", "port 0 is not allowed" },
	{ "local=*:65536", "'65536' is not a port number (1-65535)" },
	{ "local=*:1-65536", "'1-65536' is not a port number" },
	{ "local=*:7000-", "'7000-' is not a port number" },
	{ "local=*:-7000", "'-7000' is not a port number" },
	{ "local=*:70a0", "'70a0' is not a port number" },
	{ "local=*:7000-7999-8000", "'7000-7999-8000' is not a port number (1-65535) or range (FIRST-LAST" },
	{ "local=*:+80", "'+80' is not a port number" },
	{ "local=*: 80", "' 80' is not a port number" },
	{ "local=*:999999", "is not a port number" },
	{ "local=*:", "'' is not a port number" },
	{ "local=*", "no port" },
	{ "remote=fd78::2:80", "is not an IPv4 address, [IPv6] address or *" },
	{ "remote=10.1.2:80-90", "'10.1.2' is not an IPv4 address" },
	{ "remote=[fd78::2:80", "is not an IPv4 address" },
	{ "server=192.0.2.1:80", "write local=ADDR:PORT or remote=ADDR:PORT" },
	{ "", "write local=ADDR:PORT" },
	{ "mark=", "'' is not a mark" },
	{ "mark=0x", "'0x' is not a mark" },
	{ "mark=0x100000000", "is not a mark" },
	{ "mark=4294967296", "is not a mark" },
	{ "mark=-1", "'-1' is not a mark" },
	{ "mark=1e3", "'1e3' is not a mark" },
	{ "mark=0x10/0", "mask 0 selects every packet" },
	{ "mark=0x12/0xf", "the value 0x12 has bits outside the mask 0xf" },
	{ "mark=0x10/", "'' is not a mask" },
	{ "mark=0x10/0xf0/1", "'0xf0/1' is not a mask" },
	{ "mark=0x10 ", "is not a mark" },
	/* edges found by the mutation run (tests/mutants/): a range backwards
	 * by one, port 0 as the last port, nine hex digits */
	{ "local=*:8001-8000", "the range 8001-8000 runs backwards" },
	{ "local=*:5-0", "port 0 is not allowed" },
	{ "mark=0x0ffffffff", "'0x0ffffffff' is not a mark" },
};

#define MAXE 4
static const struct {
	const char *name;
	bool add;
	const char *have[MAXE], *eps[MAXE];
	const char *msg;  /* NULL: accepted */
} rules[] = {
	{ "of a port inside a range: an overlap", true, { "local=*:7000-7999" }, { "local=*:7500" },
	  "la: endpoint local=*:7500 overlaps local=*:7000-7999 (already there): delete that first (`tiu endpoint del la local=*:7000-7999`)" },
	{ "the same range again is a duplicate", true, { "local=*:7000-7999" },
	  { "local=*:7000-7999" },
	  "la: duplicate endpoint local=*:7000-7999 (already there; see `tiu endpoint list la`)" },
	{ "ranges touching at one port overlap", true, { "local=*:7000-7999" },
	  { "local=*:6000-7000" }, "overlaps local=*:7000-7999" },
	{ "adjacent ranges do not overlap", true, { "local=*:7000-7999" }, { "local=*:8000-8999" },
	  NULL },
	{ "another address may share ports", true, { "local=*:7000-7999" },
	  { "local=10.0.0.1:7500", "local=[2001:db8::1]:7000-7999" }, NULL },
	{ "another role may share ports", true, { "local=*:7000-7999" }, { "remote=*:7500" },
	  NULL },
	{ "overlap between two given", true, {}, { "local=*:1-10", "local=*:10-20" },
	  "la: endpoint local=*:10-20 overlaps local=*:1-10 (both given): give each port once" },
	{ "the same one given twice", true, {}, { "remote=192.0.2.1:80", "remote=192.0.2.1:80" },
	  "la: duplicate endpoint remote=192.0.2.1:80 (given twice)" },
	{ "IPv4 and its v4-mapped form are one endpoint", true, { "local=[::ffff:10.0.0.1]:80" },
	  { "local=10.0.0.1:80" }, "duplicate endpoint local=10.0.0.1:80" },
	{ "IPv6 ranges overlap", true, { "local=[2001:db8::1]:443-444" },
	  { "local=[2001:db8::1]:444" }, "overlaps local=[2001:db8::1]:443-444" },
	{ "a second mark selector names the first", true, { "mark=0x1" }, { "mark=0x2/0xff" },
	  "la: cannot add mark=0x2/0xff: la has the mark selector mark=0x1 already (one per interface): `tiu endpoint del la mark=0x1` first" },
	{ "two mark selectors given", true, {}, { "mark=0x1", "mark=0x2" },
	  "la: two mark selectors, mark=0x1 and mark=0x2: an interface takes one" },
	{ "the same mark twice", true, {}, { "mark=0x1", "mark=1" },
	  "duplicate endpoint mark=0x1 (given twice)" },
	{ "a mark beside port endpoints", true, { "local=*:80" }, { "mark=0x1", "remote=*:90" },
	  NULL },
	{ "of a range as added", false, { "local=*:7000-7999", "remote=*:1" },
	  { "local=*:7000-7999" }, NULL },
	{ "of a port inside a range names the range", false, { "local=*:7000-7999" },
	  { "local=*:7005" },
	  "la: cannot delete local=*:7005: port 7005 belongs to the range local=*:7000-7999, which goes as a whole (`tiu endpoint del la local=*:7000-7999`)" },
	{ "of part of a range names the range", false, { "local=*:7000-7999" },
	  { "local=*:7000-7005" },
	  "la: no endpoint local=*:7000-7005 to delete: it overlaps local=*:7000-7999, which goes as a whole" },
	{ "of what is not there", false, { "local=*:7000-7999" }, { "local=*:9000" },
	  "la: no endpoint local=*:9000 to delete (see `tiu endpoint list la`)" },
	{ "of a mark with another mask", false, { "mark=0x1/0xff" }, { "mark=0x1" },
	  "la: no mark selector mark=0x1 to delete: la has mark=0x1/0xff" },
	{ "of the mark as set", false, { "mark=0x1/0xff", "local=*:1" }, { "mark=1/255" },
	  NULL },
	{ "of a mark that is not there", false, { "local=*:1" }, { "mark=0x1" },
	  "no endpoint mark=0x1 to delete" },
	{ "of one given twice", false, { "local=*:80" }, { "local=*:80", "local=*:80" },
	  "la: endpoint local=*:80 given twice" },
	{ "of several, all there", false, { "local=*:80", "remote=[2001:db8::2]:1-9", "mark=0x5" },
	  { "mark=0x5", "remote=[2001:db8::2]:1-9", "local=*:80" }, NULL },
};

static int parse_list(const char *const *s, struct ep *out)
{
	int n = 0;

	for (; n < MAXE && s[n]; n++)
		if (parse_endpoint(s[n], &out[n])) {
			fprintf(stderr, "# table error: '%s': %s\n", s[n], last_err);
			return -1;
		}
	return n;
}

static void test_parse(void)
{
	char buf[TIU_EP_STRLEN];
	struct ep ep, back;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int ok = !parse_endpoint(good[i].in, &ep);

		if (ok) {
			format_endpoint(&ep, buf, sizeof(buf));
			ok = ep.kind == good[i].kind && !strcmp(buf, good[i].out) &&
			     !parse_endpoint(buf, &back) && !memcmp(&ep, &back, sizeof(ep));
			if (ep.kind == EP_PORTS)
				ok = ok && ep.role == good[i].role && ep.first == good[i].first &&
				     ep.last == good[i].last && !ep.mark && !ep.mask &&
				     ep_size(&ep) == good[i].last - good[i].first + 1;
			else
				ok = ok && ep.mark == good[i].mark && ep.mask == good[i].mask &&
				     !ep.first && !ep.last && ep_size(&ep) == 0;
		}
		tap(ok, "parse '%s' -> '%s'%s%s", good[i].in, ok ? buf : good[i].out,
		    ok ? "" : ": got ", ok ? "" : (last_err[0] ? last_err : buf));
		last_err[0] = '\0';
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[600];
		int r;

		last_err[0] = '\0';
		snprintf(want, sizeof(want), "bad endpoint '%s': ", bad[i].in);
		r = parse_endpoint(bad[i].in, &ep);
		tap(r == -1 && !strncmp(last_err, want, strlen(want)) && strstr(last_err, bad[i].msg),
		    "refuse '%s': %s", bad[i].in, last_err[0] ? last_err : "(accepted)");
	}
}

static void test_rules(void)
{
	struct ep have[MAXE], eps[MAXE];

	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		int nh = parse_list(rules[i].have, have), n = parse_list(rules[i].eps, eps), r;

		last_err[0] = '\0';
		if (nh < 0 || n < 0) {
			tap(0, "%s: table entry does not parse", rules[i].name);
			continue;
		}
		r = rules[i].add ? eps_check_add("la", have, nh, eps, n) :
				   eps_check_del("la", have, nh, eps, n);
		if (!rules[i].msg)
			tap(r == 0, "%s %s: accepted%s%s", rules[i].add ? "add" : "del", rules[i].name,
			    r ? ": " : "", last_err);
		else
			tap(r == -1 && strstr(last_err, rules[i].msg), "%s %s: %s",
			    rules[i].add ? "add" : "del", rules[i].name, last_err);
	}
}

/* ep_overlap against the definition: a port in common, over small ranges
 * and every pair of them. */
static void test_overlap(void)
{
	struct ep a = { .kind = EP_PORTS, .role = TIU_ROLE_LOCAL }, b = a;
	int bad = 0, pairs = 0;

	for (int a1 = 1; a1 <= 6; a1++)
		for (int a2 = a1; a2 <= 6; a2++)
			for (int b1 = 1; b1 <= 6; b1++)
				for (int b2 = b1; b2 <= 6; b2++) {
					bool common = false;

					a.first = a1, a.last = a2, b.first = b1, b.last = b2;
					for (int p = a1; p <= a2; p++)
						common |= p >= b1 && p <= b2;
					bad += ep_overlap(&a, &b) != common || ep_overlap(&b, &a) != common;
					pairs++;
				}
	tap(!bad, "ep_overlap is 'a port in common' and symmetric over %d pairs of ranges (%d wrong)",
	    pairs, bad);
	b.role = TIU_ROLE_REMOTE;
	a.first = b.first = 1, a.last = b.last = 6;
	tap(!ep_overlap(&a, &b), "ep_overlap: other role, same ports: no overlap");
	b.role = TIU_ROLE_LOCAL;
	b.addr[15] = 1;
	tap(!ep_overlap(&a, &b), "ep_overlap: other address (the wildcard and an exact one): no overlap");
}

int main(void)
{
	test_parse();
	test_rules();
	test_overlap();
	{
		struct ep l, f;

		parse_endpoint("local=*:443", &l);
		parse_endpoint("follow=*:443", &f);
		tap(!l.follow && f.follow && !ep_same(&l, &f) && ep_overlap(&l, &f),
		    "follow=*:443 is not local=*:443 (del of one leaves the other) but overlaps it (one map key)");
	}
	return tap_done();
}
