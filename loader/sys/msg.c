// SPDX-License-Identifier: GPL-2.0
/*
 * msg.c - what every subcommand shares besides the command line: messages,
 * libbpf/libxdp logging, the root check, the lock, and the crash test hook (test build only).
 *
 * Every failure is reported as one line on stderr ("tiu: what: why: what to
 * do") by the function that knows the context, and the command exits 1.
 * libbpf's and libxdp's own messages are shown only with -v; the last one is
 * kept so that an error can quote it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "sys.h"

bool tiu_verbose;
static char libbpf_last[256];

static char *capture;
static size_t capture_len;

/* Messages (tiu_fail, tiu_warn) into buf instead of stderr, the last one
 * kept, without prefix and newline (a caller that words the line itself);
 * buf NULL: to stderr again. */
void tiu_msg_capture(char *buf, size_t len)
{
	capture = buf;
	capture_len = len;
}

/* One message, one line: composed first and written in one write(2), so
 * that it always ends with exactly one newline and never interleaves with
 * the lines of another tiu writing to the same stderr (a journal). */
static void say(const char *prefix, const char *fmt, va_list ap)
{
	char line[2048];
	size_t n;
	int k;

	k = snprintf(line, sizeof(line), "%s", capture ? "" : prefix);
	vsnprintf(line + k, sizeof(line) - k - 1, fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	if (capture) {
		snprintf(capture, capture_len, "%s", line);
		return;
	}
	line[n++] = '\n';
	fflush(stdout); /* what was said before comes before */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

int tiu_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("tiu: ", fmt, ap);
	va_end(ap);
	return -1;
}

int tiu_usage_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("tiu: ", fmt, ap);
	va_end(ap);
	return TIU_EUSAGE;
}

void tiu_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("tiu: warning: ", fmt, ap);
	va_end(ap);
}

const char *tiu_libbpf_last(void)
{
	return libbpf_last[0] ? libbpf_last : "no detail (run with -v)";
}

static int lib_print(int level, const char *fmt, va_list ap)
{
	va_list copy;
	size_t n;

	va_copy(copy, ap);
	if (level == LIBBPF_WARN) {
		vsnprintf(libbpf_last, sizeof(libbpf_last), fmt, copy);
		n = strlen(libbpf_last);
		while (n && libbpf_last[n - 1] == '\n')
			libbpf_last[--n] = '\0';
	}
	va_end(copy);
	if (!tiu_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return lib_print(level == LIBBPF_WARN ? LIBBPF_WARN : LIBBPF_INFO, fmt, ap);
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	return lib_print(level == LIBXDP_WARN ? LIBBPF_WARN : LIBBPF_INFO, fmt, ap);
}

/* Route libbpf's and libxdp's messages through lib_print. */
void tiu_log_init(void)
{
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
}

/* Root, or at least CAP_BPF + CAP_NET_ADMIN (and CAP_SYS_ADMIN to mount bpffs). */
int tiu_need_root(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	unsigned long long eff;

	if (geteuid() == 0)
		return 0;
	if (syscall(SYS_capget, &hdr, data))
		return tiu_fail("cannot read capabilities: %s", strerror(errno));
	eff = data[0].effective | ((unsigned long long)data[1].effective << 32);
	if ((eff & (1ULL << CAP_BPF)) && (eff & (1ULL << CAP_NET_ADMIN)))
		return 0;
	return tiu_fail("needs root or CAP_BPF and CAP_NET_ADMIN: run it with sudo");
}

/*
 * Commands that change state (up, down, endpoint add/del) hold this lock, so
 * two of them never interleave: a second `up` waits, then finds the first
 * one's work and says "already up" instead of undoing it. One lock for the
 * host: the commands take well under a second.
 */
int tiu_lock(void)
{
	static int held = -1; /* `apply` runs up/endpoint under its own lock */
	int fd;

	if (held >= 0)
		return 0;
	mkdir(TIU_RUN_DIR, 0755);
	fd = open(TIU_RUN_DIR "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return tiu_fail(TIU_RUN_DIR "/lock: %s: is /run writable?", strerror(errno));
	if (flock(fd, LOCK_EX))
		return tiu_fail(TIU_RUN_DIR "/lock: %s", strerror(errno));
	held = fd;
	return 0; /* released when the process exits */
}

/*
 * Test hook: TIU_TEST_CRASH_AT=STEP makes `tiu up` kill itself with SIGKILL
 * right after STEP, so that tests can check that `tiu down` recovers from a
 * crash at every point of `up`. Steps: pins detour links endpoints
 * detour-prog decap egress. `tiu endpoint add|del` (and the endpoints of
 * `up`): ep-unset (del: the port bits cleared), ep-elem (the first element
 * of a range written or deleted), ep-elems (every element), ep-ports (the
 * port table synced); see eps_apply. Only in the test build of the loader
 * (make: build/test/tiu, -DTIU_TEST_HOOKS); elsewhere a no-op (sys.h).
 */
#ifdef TIU_TEST_HOOKS
void tiu_crash_point(const char *step)
{
	const char *at = getenv("TIU_TEST_CRASH_AT");

	if (at && !strcmp(at, step))
		raise(SIGKILL);
}
#endif
