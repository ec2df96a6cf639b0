// SPDX-License-Identifier: GPL-2.0
/*
 * netns.c - the network namespaces this host can see, and whether one that
 * tiu names by its ID (the cookie, else the inode; see state/pins.c) still
 * exists. A namespace is alive if something this host can see holds it: a
 * process (/proc/PID/ns/net), an open file (/proc/PID/fd/N), a bind mount
 * (/run/netns/NAME or any nsfs mount in /proc/self/mountinfo, e.g. a
 * container runtime's). Its cookie is read by entering it for a moment
 * (setns, SO_NETNS_COOKIE). Used by state/stale.c (`tiu down --stale`) and
 * state/pins.c (a pin directory of a namespace that is gone).
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

#include "sys.h"

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

static void add_ns(struct netns_set *s, const char *path, int self)
{
	struct stat st;
	int fd;

	if (stat(path, &st) || s->n >= NETNS_MAX)
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

static void add_fds(struct netns_set *s, const char *pid, int self)
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

static void add_mounts(struct netns_set *s, int self)
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

/* Every network namespace this host can see, into s: 0, or -1 when one
 * could not be entered (s->unknown of them, s->err why) or this process
 * has no /proc/self/ns/net (said). */
int netns_live(struct netns_set *s)
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

bool netns_in(const struct netns_set *s, unsigned long long id)
{
	for (int i = 0; i < s->n; i++)
		if (s->ns[i].id == id || s->ns[i].ino == id)
			return true;
	return false;
}

/* Whether the namespace tiu names id exists: 1, 0 gone, -1 cannot tell
 * (a namespace that could not be entered might be it). */
int netns_alive(unsigned long long id)
{
	static struct netns_set live;

	if (netns_live(&live))
		return -1;
	return netns_in(&live, id);
}

