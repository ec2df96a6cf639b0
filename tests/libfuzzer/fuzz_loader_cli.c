// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_loader_cli.c - libFuzzer target for the `tiu` loader's parsers
 * (loader/cli.c: parse_endpoint, format_endpoint, up_opt, read_config),
 * linked with loader/cli.c alone (tiu_fail is stubbed here).
 *
 * Input: one mode byte, then text.
 *  mode % 3 == 0: an endpoint argument. Accepted: port != 0, role local or
 *     remote, padding 0, ifindex kept; format_endpoint fits its buffer and
 *     parses back to the same key (the form `tiu endpoint list` prints must
 *     be accepted by `tiu endpoint add/del`).
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
#include "tiu.h"
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

static void free_opts(struct up_opts *o)
{
	for (int i = 0; i < o->n_eps; i++)
		free(o->eps[i]);
	free((char *)o->pin_dir);
}

static void endpoint_checks(const char *s)
{
	struct tiu_endpoint_key k, k2;
	char buf[96];

	if (parse_endpoint(s, 7, &k))
		return;
	CHECK(k.ifindex == 7 && k.port != 0 && k.pad == 0);
	CHECK(k.role == TIU_ROLE_LOCAL || k.role == TIU_ROLE_REMOTE);
	format_endpoint(&k, buf, sizeof(buf));
	CHECK(strlen(buf) < sizeof(buf) - 1);
	if (parse_endpoint(buf, 7, &k2)) {
		fprintf(stderr, "fuzz_loader_cli: '%s' formats as '%s', which is refused\n", s, buf);
		abort();
	}
	if (memcmp(&k, &k2, sizeof(k))) {
		fprintf(stderr, "fuzz_loader_cli: '%s' formats as '%s', which parses to another key\n",
			s, buf);
		abort();
	}
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
	case 0:
		endpoint_checks(s);
		break;
	case 1: {
		int fd = memfd_create("tiu-conf", 0);
		char path[64];

		if (fd < 0)
			break;
		if (write(fd, data + 1, size - 1) == (ssize_t)(size - 1)) {
			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			read_config(&o, path);
			CHECK(o.n_eps >= 0 && o.n_eps <= TIU_MAX_CLI_ENDPOINTS);
			for (int i = 0; i < o.n_eps; i++)
				endpoint_checks(o.eps[i]);
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
