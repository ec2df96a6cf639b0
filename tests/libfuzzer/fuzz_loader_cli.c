// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_loader_cli.c - libFuzzer target for the `tiu` loader's parsers
 * (loader/state/epspec.c: parse_endpoint, format_endpoint, the add/del rules;
 * loader/cmd/cli.c: up_opt, read_config), linked with those two files alone
 * (tiu_fail, tiu_usage_fail, tiu_warn and tiu_msg_capture are stubbed here).
 *
 * Input: one mode byte, then text.
 *  mode % 3 == 0, mode < 0x80: an endpoint argument. Accepted port
 *     endpoints: role local or remote, 1 <= first <= last, no mark; marks:
 *     mask != 0, no value bit outside the mask, no port. format_endpoint fits
 *     its buffer and parses back to the same endpoint (the form `tiu
 *     endpoint list` prints must be accepted by `tiu endpoint add/del`).
 *  mode % 3 == 0, mode >= 0x80: two endpoints, "A B" (the first space
 *     splits). Both accepted: ep_overlap is symmetric and agrees with the
 *     ports (a port in common, same role and address; marks always); adding
 *     B where A is fails exactly when they overlap; deleting B where A is
 *     works exactly when they are the same.
 *  mode % 3 == 1: a configuration file (read_config through a memfd), then
 *     every endpoint it named through parse_endpoint; nothing leaks.
 *  mode % 3 == 2: one option "NAME VALUE" through up_opt.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include "fuzz_check.h"

bool tiu_verbose;

int tiu_fail(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt); /* format it: the messages are part of what is fuzzed */
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return -1;
}

int tiu_usage_fail(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return TIU_EUSAGE;
}

void tiu_warn(const char *fmt, ...)
{
	(void)fmt;
}

void tiu_msg_capture(char *buf, size_t len)
{
	if (buf && len)
		buf[0] = '\0';
}

static void free_opts(struct up_opts *o)
{
	for (int i = 0; i < o->n_eps; i++)
		free(o->eps[i]);
	free((char *)o->pin_dir);
}

/* Parses: the invariants of an accepted endpoint; 0, or -1 if refused. */
static int endpoint_checks(const char *s, struct ep *e)
{
	struct ep back;
	char buf[TIU_EP_STRLEN];

	if (parse_endpoint(s, e))
		return -1;
	if (e->kind == EP_PORTS) {
		CHECK(e->role == TIU_ROLE_LOCAL || e->role == TIU_ROLE_REMOTE);
		CHECK(e->first >= 1 && e->first <= e->last && !e->mark && !e->mask);
		CHECK(ep_size(e) == (unsigned int)e->last - e->first + 1);
	} else {
		CHECK(e->kind == EP_MARK && e->mask && !(e->mark & ~e->mask));
		CHECK(!e->first && !e->last && !e->role && ep_size(e) == 0);
	}
	format_endpoint(e, buf, sizeof(buf));
	CHECK(strlen(buf) < sizeof(buf) - 1);
	if (parse_endpoint(buf, &back)) {
		fprintf(stderr, "fuzz_loader_cli: '%s' formats as '%s', which is refused\n", s, buf);
		abort();
	}
	if (memcmp(e, &back, sizeof(back))) {
		fprintf(stderr, "fuzz_loader_cli: '%s' formats as '%s', which parses to another endpoint\n",
			s, buf);
		abort();
	}
	return 0;
}

static void pair_checks(char *s)
{
	char *b = strchr(s, ' ');
	struct ep x, y;
	bool over, common = false;

	if (!b)
		return;
	*b++ = '\0';
	if (endpoint_checks(s, &x) || endpoint_checks(b, &y))
		return;
	over = ep_overlap(&x, &y);
	CHECK(over == ep_overlap(&y, &x));
	if (x.kind != y.kind)
		common = false;
	else if (x.kind == EP_MARK)
		common = true;
	else if (x.role == y.role && !memcmp(x.addr, y.addr, 16))
		for (unsigned int p = x.first; p <= x.last && !common; p++)
			common = p >= y.first && p <= y.last;
	CHECK(over == common);
	CHECK(!ep_same(&x, &y) || over);
	CHECK((eps_check_add("fz0", &x, 1, &y, 1) != 0) == over);
	CHECK((eps_check_add("fz0", NULL, 0, (struct ep[]){ x, y }, 2) != 0) == over);
	CHECK((eps_check_del("fz0", &x, 1, &y, 1) == 0) == ep_same(&x, &y));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct up_opts o;
	char *s;

	if (size < 1 || size > 4096)
		return 0;
	s = strndup((const char *)data + 1, size - 1);
	if (!s)
		return 0;
	memset(&o, 0, sizeof(o));
	switch (data[0] % 3) {
	case 0: {
		struct ep e;

		if (data[0] >= 0x80)
			pair_checks(s);
		else
			endpoint_checks(s, &e);
		break;
	}
	case 1: {
		int fd = memfd_create("tiu-conf", 0);
		char path[64];

		if (fd < 0)
			break;
		if (write(fd, data + 1, size - 1) == (ssize_t)(size - 1)) {
			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			read_config(&o, path);
			CHECK(o.n_eps >= 0 && o.n_eps <= TIU_MAX_CLI_ENDPOINTS);
			for (int i = 0; i < o.n_eps; i++) {
				struct ep e;

				endpoint_checks(o.eps[i], &e);
			}
		}
		close(fd);
		break;
	}
	default: {
		char *val = strpbrk(s, " \t");

		if (val)
			*val++ = '\0';
		up_opt(&o, s, val);
		break;
	}
	}
	free_opts(&o);
	free(s);
	return 0;
}
