// SPDX-License-Identifier: GPL-2.0
/*
 * stale.c - tiu's state of network namespaces that no longer exist.
 *
 * `ip netns del` (or the end of a container) of a namespace where tiu was
 * up removes its devices, and with them the programs, but not the pin
 * directory TIU_PIN_ROOT/netns-ID nor the run state /run/tiu/netns-ID (ID:
 * the namespace's cookie, see pins.c). A namespace is alive if something
 * this host can see holds it: a process (/proc/PID/ns/net), an open file
 * (/proc/PID/fd/N), a bind mount (/run/netns/NAME or any nsfs mount in
 * /proc/self/mountinfo, e.g. a container runtime's). Its cookie is read by
 * entering it for a moment (setns, SO_NETNS_COOKIE). State whose ID matches
 * none of them is stale; `tiu down --stale` removes it and nothing else:
 * tiu's pins and records, the directories if that leaves them empty, and
 * the pins of a --pin-dir directory recorded only by dead namespaces.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "tiu.h"

#define MAX_NS 4096

struct ns_set {
	int n;
	int unknown;          /* namespaces whose cookie could not be read */
	int err;              /* why (errno of setns) */
	struct { dev_t dev; ino_t ino; unsigned long long id; } ns[MAX_NS];
};

/* The namespace's ID as tiu names its state: the cookie, else (a kernel
 * without SO_NETNS_COOKIE) the inode; 0 if it cannot be entered. */
static unsigned long long id_of(int nsfd, int self, ino_t ino)
{
	unsigned long long cookie = 0;
	socklen_t len = sizeof(cookie);
	int fd;

	if (setns(nsfd, CLONE_NEWNET))
		return 0;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len))
		cookie = 0;
	if (fd >= 0)
		close(fd);
	if (setns(self, CLONE_NEWNET))
		abort(); /* cannot happen: our own namespace */
	return cookie ? cookie : ino;
}

static void add_ns(struct ns_set *s, const char *path, int self)
{
	struct stat st;
	int fd;

	if (stat(path, &st) || s->n >= MAX_NS)
		return;
	for (int i = 0; i < s->n; i++)
		if (s->ns[i].ino == st.st_ino && s->ns[i].dev == st.st_dev)
			return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	s->ns[s->n].dev = st.st_dev;
	s->ns[s->n].ino = st.st_ino;
	s->ns[s->n].id = id_of(fd, self, st.st_ino);
	if (!s->ns[s->n].id) {
		s->unknown++;
		s->err = errno;
	}
	s->n++;
	close(fd);
}

static void add_fds(struct ns_set *s, const char *pid, int self)
{
	char dir[300], path[600], target[64];
	struct dirent *e;
	DIR *dh;
	ssize_t n;

	if (snprintf(dir, sizeof(dir), "/proc/%s/fd", pid) >= (int)sizeof(dir))
		return;
	dh = opendir(dir);
	while (dh && (e = readdir(dh))) {
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n > 0 && (target[n] = '\0', !strncmp(target, "net:[", 5)))
			add_ns(s, path, self);
	}
	if (dh)
		closedir(dh);
}

static void add_mounts(struct ns_set *s, int self)
{
	char line[1024], mnt[512], fstype[64];
	FILE *f = fopen("/proc/self/mountinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		char *dash = strstr(line, " - ");

		if (!dash || sscanf(dash, " - %63s", fstype) != 1 || strcmp(fstype, "nsfs") ||
		    sscanf(line, "%*s %*s %*s %*s %511s", mnt) != 1)
			continue;
		add_ns(s, mnt, self);
	}
	if (f)
		fclose(f);
}

/* Every network namespace this host can see. */
static int live_namespaces(struct ns_set *s)
{
	char path[320];
	struct dirent *e;
	DIR *dh;
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	s->n = s->unknown = 0;
	if (self < 0)
		return tiu_fail("/proc/self/ns/net: %s", strerror(errno));
	add_ns(s, "/proc/self/ns/net", self);
	dh = opendir("/proc");
	while (dh && (e = readdir(dh))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", e->d_name);
		add_ns(s, path, self);
		add_fds(s, e->d_name, self);
	}
	if (dh)
		closedir(dh);
	dh = opendir("/run/netns");
	while (dh && (e = readdir(dh))) {
		snprintf(path, sizeof(path), "/run/netns/%s", e->d_name);
		if (e->d_name[0] != '.')
			add_ns(s, path, self);
	}
	if (dh)
		closedir(dh);
	add_mounts(s, self);
	close(self);
	/* one namespace we cannot name could be the owner of any netns-ID: then
	 * nothing can be called stale */
	if (s->unknown)
		return -1;
	return 0;
}

static bool alive(const struct ns_set *s, unsigned long long id)
{
	for (int i = 0; i < s->n; i++)
		if (s->ns[i].id == id || s->ns[i].ino == id)
			return true;
	return false;
}

/* The two roots of per-namespace state: TIU_PIN_ROOT (on the bpffs that
 * pins.c finds) and /run/tiu. */
static int state_roots(char roots[2][PATH_MAX])
{
	struct pins d;

	if (pins_resolve(NULL, false, &d) < 0)
		return -1;
	snprintf(roots[0], PATH_MAX, "%s", d.dir);
	if (d.dir[0] && !d.initial_netns)
		*strrchr(roots[0], '/') = '\0';
	snprintf(roots[1], PATH_MAX, "%s", TIU_RUN_DIR);
	return 0;
}

/* The stale directories into out (at most max), how many; -1 if it cannot
 * be told (why: for the message). */
static int find(struct stale_dir *out, int max, char *why, size_t len)
{
	static struct ns_set live;
	char roots[2][PATH_MAX];
	unsigned long long id;
	struct dirent *e;
	int n = 0;
	DIR *dh;

	if (state_roots(roots))
		return -1;
	if (live_namespaces(&live)) {
		snprintf(why, len, "%d network namespace%s could not be entered (%s)", live.unknown,
			 live.unknown == 1 ? "" : "s", strerror(live.err));
		return -1;
	}
	for (int r = 0; r < 2; r++) {
		dh = roots[r][0] ? opendir(roots[r]) : NULL;
		while (dh && (e = readdir(dh)) && n < max) {
			if (sscanf(e->d_name, "netns-%llu", &id) != 1 || alive(&live, id))
				continue;
			if (snprintf(out[n].path, sizeof(out[n].path), "%s/%s", roots[r],
				     e->d_name) >= (int)sizeof(out[n].path))
				continue;
			out[n].id = id;
			out[n].pins = r == 0;
			n++;
		}
		if (dh)
			closedir(dh);
	}
	return n;
}

/* For status: the stale directories, 0 when that cannot be told. */
int stale_find(struct stale_dir *out, int max)
{
	char why[128];
	int n = find(out, max, why, sizeof(why));

	return n < 0 ? 0 : n;
}

/* The pin directory that the record NAME in DIR names ("" if NAME is no
 * record): a symlink iface-N or a file N.pin-dir (see pins.c). */
static void record_target(const char *path, const char *name, char *target, size_t len)
{
	ssize_t n;
	FILE *f;

	target[0] = '\0';
	if (!strncmp(name, "iface-", 6)) {
		n = readlink(path, target, len - 1);
		target[n > 0 ? n : 0] = '\0';
	} else if (strstr(name, ".pin-dir") && (f = fopen(path, "r"))) {
		if (!fgets(target, (int)len, f))
			target[0] = '\0';
		target[strcspn(target, "\n")] = '\0';
		fclose(f);
	}
}

/* Is dir named by a record of a namespace that is alive (not in st)? */
static bool named_by_live(const char *dir, const struct stale_dir *st, int n)
{
	char roots[2][PATH_MAX], path[PATH_MAX * 2], target[PATH_MAX];
	struct dirent *e, *f;
	DIR *dh, *sub;
	bool found = false;

	if (state_roots(roots))
		return true;
	for (int r = 0; r < 2 && !found; r++) {
		dh = opendir(roots[r]);
		while (dh && !found && (e = readdir(dh))) {
			bool dead = false;

			if (strncmp(e->d_name, "netns-", 6))
				continue;
			for (int i = 0; i < n; i++)
				dead |= !strcmp(strrchr(st[i].path, '/') + 1, e->d_name);
			if (dead)
				continue;
			snprintf(path, sizeof(path), "%s/%s", roots[r], e->d_name);
			sub = opendir(path);
			while (sub && !found && (f = readdir(sub))) {
				snprintf(path, sizeof(path), "%s/%s/%s", roots[r], e->d_name, f->d_name);
				record_target(path, f->d_name, target, sizeof(target));
				found = !strcmp(target, dir);
			}
			if (sub)
				closedir(sub);
		}
		if (dh)
			closedir(dh);
	}
	return found;
}

static void purge_dir(const char *dir)
{
	struct pins p = { .user_dir = true, .initial_netns = true };

	if (snprintf(p.dir, sizeof(p.dir), "%s", dir) < (int)sizeof(p.dir))
		pins_purge(&p);
}

/* Remove what tiu keeps in one stale directory; the --pin-dir
 * directories it names lose their pins too (unless a live one names them). */
static int remove_one(const struct stale_dir *s, const struct stale_dir *all, int n)
{
	char path[PATH_MAX * 2], target[PATH_MAX];
	struct trust_err te;
	struct dirent *e;
	DIR *dh;
	int err = 0;

	if (s->pins && tiu_dir_check(s->path, &te) < 0) /* its records may be planted */
		return tiu_trust_fail(&te);
	dh = opendir(s->path);

	while (dh && (e = readdir(dh))) {
		bool link = !strncmp(e->d_name, "iface-", 6);
		bool rec = strstr(e->d_name, ".pin-dir") != NULL;
		bool note = strstr(e->d_name, ".clsact") != NULL;

		snprintf(path, sizeof(path), "%s/%s", s->path, e->d_name);
		record_target(path, e->d_name, target, sizeof(target));
		if (target[0] && strcmp(target, s->path) && !named_by_live(target, all, n)) {
			struct trust_err te;

			if (tiu_dir_check(target, &te) < 0) /* a record planted to make us unlink */
				err = tiu_trust_fail(&te);
			else
				purge_dir(target);
		}
		if ((link || rec || note) && unlink(path) && errno != ENOENT)
			err = tiu_fail("%s: cannot remove: %s", path, strerror(errno));
	}
	if (dh)
		closedir(dh);
	if (s->pins)
		purge_dir(s->path); /* tiu's maps, then the directory */
	else
		rmdir(s->path);
	if (!err && !access(s->path, F_OK))
		err = tiu_fail("%s: holds more than tiu's pins and records: left in place, see what is in it",
			       s->path);
	return err;
}

int stale_remove(void)
{
	static struct stale_dir st[256];
	char why[128] = "";
	int n = find(st, 256, why, sizeof(why)), err = 0, k;

	if (n < 0 && !why[0]) /* the pin root is not to be trusted: said */
		return -1;
	if (n < 0)
		return tiu_fail("down --stale: cannot tell which namespaces are gone: %s: run it as root (CAP_SYS_ADMIN enters each namespace to read its cookie)",
				why[0] ? why : "no pin directory");
	for (int i = 0; i < n; i++) {
		if (remove_one(&st[i], st, n))
			err = -1;
		else
			printf("removed %s (network namespace %llu no longer exists)\n", st[i].path,
			       st[i].id);
		if (st[i].pins && (k = ka_forget_netns(st[i].id)) > 0)
			printf("removed %d keepalive entr%s of network namespace %llu\n", k,
			       k == 1 ? "y" : "ies", st[i].id);
	}
	if (!n)
		printf("no stale state: every tiu directory belongs to a namespace that exists\n");
	return err;
}
