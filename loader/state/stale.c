// SPDX-License-Identifier: GPL-2.0
/*
 * stale.c - tiu's state of network namespaces that no longer exist.
 *
 * `ip netns del` (or the end of a container) of a namespace where tiu was
 * up removes its devices, and with them the programs, but not the pin
 * directory TIU_PIN_ROOT/netns-ID nor the run state /run/tiu/netns-ID (ID:
 * the namespace's cookie, see pins.c). State whose ID matches none of the
 * namespaces this host can see (sys/netns.c) is stale; `tiu down --stale` removes it and nothing else:
 * tiu's pins and records, the directories if that leaves them empty, and
 * the pins of a --pin-dir directory recorded only by dead namespaces.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "state.h"

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
	static struct netns_set live;
	char roots[2][PATH_MAX];
	unsigned long long id;
	struct dirent *e;
	int n = 0;
	DIR *dh;

	if (state_roots(roots))
		return -1;
	if (netns_live(&live)) {
		snprintf(why, len, "%d network namespace%s could not be entered (%s)", live.unknown,
			 live.unknown == 1 ? "" : "s", strerror(live.err));
		return -1;
	}
	for (int r = 0; r < 2; r++) {
		dh = roots[r][0] ? opendir(roots[r]) : NULL;
		while (dh && (e = readdir(dh)) && n < max) {
			if (sscanf(e->d_name, "netns-%llu", &id) != 1 || netns_in(&live, id))
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
			/* a path too long for PATH_MAX names nothing of tiu's */
			if (snprintf(path, sizeof(path), "%s/%s", roots[r], e->d_name) >= (int)sizeof(path))
				continue;
			sub = opendir(path);
			while (sub && !found && (f = readdir(sub))) {
				if (snprintf(path, sizeof(path), "%s/%s/%s", roots[r], e->d_name,
					     f->d_name) >= (int)sizeof(path))
					continue;
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
	unsigned long long owner;
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
		bool note = strstr(e->d_name, ".clsact") != NULL ||
			    strstr(e->d_name, ".apply") != NULL; /* apply.c's records */

		snprintf(path, sizeof(path), "%s/%s", s->path, e->d_name);
		record_target(path, e->d_name, target, sizeof(target));
		owner = target[0] ? pins_owner_of(target) : 0;
		/* not the pins of a namespace that took the directory over since */
		if (target[0] && strcmp(target, s->path) && (!owner || owner == s->id) &&
		    !named_by_live(target, all, n)) {
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

/* Keepalive entries of namespaces that are gone but have no directory
 * left (removed by hand, or by an older tiu): forget them too. How many
 * namespaces. */
static int forget_dead_ka(const struct stale_dir *st, int n_st)
{
	static struct tiu_ka_iface_key ka[1024];
	static struct netns_set live;
	unsigned long long done[64];
	int n = ka_list(ka, 1024), n_done = 0, k;

	if (!n || netns_live(&live))
		return 0;
	for (int i = 0; i < n && n_done < 64; i++) {
		bool seen = false;

		for (int j = 0; j < n_done; j++)
			seen |= done[j] == ka[i].netns;
		for (int j = 0; j < n_st; j++)
			seen |= st[j].pins && st[j].id == ka[i].netns;
		if (seen || netns_in(&live, ka[i].netns))
			continue;
		done[n_done++] = ka[i].netns;
		if ((k = ka_forget_netns(ka[i].netns)) > 0)
			printf("removed %d keepalive entr%s of network namespace %llu\n", k,
			       k == 1 ? "y" : "ies", ka[i].netns);
	}
	return n_done;
}

int stale_remove(void)
{
	static struct stale_dir st[256];
	char why[128] = "";
	int n, err = 0, k, r;

	/* devices of this namespace that are gone: no other namespace needed */
	r = vanished_release_all(true);
	n = find(st, 256, why, sizeof(why));
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
	/* keepalive entries of namespaces whose directories are gone already */
	k = forget_dead_ka(st, n);
	if (r < 0)
		err = -1;
	if (!n && !k && r <= 0)
		printf("no stale state: every tiu directory belongs to a namespace that exists\n");
	return err;
}

/*
 * Devices that are gone. A device deleted while tiu was up on it (a PPP
 * session re-dialled, a modem re-enumerated, a tun device closed: every one
 * comes back with a new ifindex) takes its programs and filters with it, but
 * not what lives outside it: its slot and entries in the maps, its detour
 * pair tiuNd/tiuNp (a veth pair of its own), its keepalive entries (which
 * keep the sock_ops link on the cgroup root), the records of its pin
 * directory and of its clsact qdisc, and apply's record of it. The ifindex
 * of such state names no device of this namespace; that is how it is found.
 */
#define MAX_VANISHED (TIU_MAX_IFACES * 2)

static bool exists(__u32 ifindex)
{
	char name[IF_NAMESIZE];

	return if_indextoname(ifindex, name) != NULL;
}

static int add_idx(struct vanished *v, int n, int max, __u32 ifindex, const char *name)
{
	for (int i = 0; i < n; i++)
		if (v[i].ifindex == ifindex) {
			if (name && name[0] && !strcmp(v[i].name, "?"))
				snprintf(v[i].name, sizeof(v[i].name), "%s", name);
			return n;
		}
	if (n >= max || !ifindex || exists(ifindex))
		return n;
	v[n].ifindex = ifindex;
	snprintf(v[n].name, sizeof(v[n].name), "%s", name && name[0] ? name : "?");
	return n + 1;
}

/* The ifindexes of N.suffix files in dir. */
static int add_files(struct vanished *v, int n, int max, const char *dir, const char *suffix)
{
	struct dirent *e;
	unsigned int idx;
	char end[32];
	DIR *dh = opendir(dir);

	while (dh && (e = readdir(dh)))
		if (sscanf(e->d_name, "%u.%31s", &idx, end) == 2 && !strcmp(end, suffix))
			n = add_idx(v, n, max, idx, NULL);
	if (dh)
		closedir(dh);
	return n;
}

int vanished_find(struct vanished *v, int max)
{
	static __u32 ifs[TIU_MAX_IFACES];
	static struct tiu_ka_iface_key ka[1024];
	struct if_nameindex *all = if_nameindex(), *i;
	struct pins dirs[16], d;
	struct tiu_maps m;
	char rs[PATH_MAX], alias[256];
	int n = 0, k;

	/* detour pairs first: their alias names the device */
	for (i = all; i && i->if_index; i++) {
		unsigned int idx;
		char end, extra;

		if (sscanf(i->if_name, "tiu%u%c%c", &idx, &end, &extra) != 2 || end != 'd' ||
		    nl_link_alias(i->if_index, alias, sizeof(alias)) ||
		    strncmp(alias, "tiu detour of ", 14))
			continue;
		n = add_idx(v, n, max, idx, alias + 14);
	}
	if (all)
		if_freenameindex(all);
	k = pins_in_use(dirs, 16);
	for (int j = 0; j < k; j++) {
		if (maps_open(&dirs[j], &m))
			continue;
		int c = maps_real_ifaces(&m, ifs, TIU_MAX_IFACES);

		for (int x = 0; x < c; x++)
			n = add_idx(v, n, max, ifs[x], NULL);
		maps_close(&m);
	}
	if (pins_resolve(NULL, false, &d) < 0)
		return n;
	run_state_dir(&d, rs, sizeof(rs));
	n = add_files(v, n, max, rs, "pin-dir");
	n = add_files(v, n, max, rs, "clsact");
	n = add_files(v, n, max, rs, "apply");
	k = ka_list(ka, 1024);
	for (int j = 0; j < k; j++)
		if (ka[j].netns == d.netns)
			n = add_idx(v, n, max, ka[j].ifindex, NULL);
	return n;
}

/* Release everything of one vanished device; done: what was removed. */
int vanished_release(const struct vanished *v, char *done, size_t len)
{
	unsigned long long owner;
	struct pins own, d;
	struct tiu_maps m;
	__u32 ifs[TIU_MAX_IFACES];
	char rs[PATH_MAX], path[PATH_MAX + 32];
	size_t n;
	int err, left = 1, foreign;

	if (pins_recorded(v->ifindex, &own) < 0)
		return -1;
	/* pins that serve another namespace now hold nothing of this device:
	 * its record goes, their entries (that namespace's ifindex) stay */
	foreign = pins_owner(&own, &owner);
	if (foreign && pins_resolve(NULL, false, &own) < 0)
		return -1;
	err = teardown(v->ifindex, v->name, &own, false, done, len);
	if (!maps_open(&own, &m)) {
		left = maps_real_ifaces(&m, ifs, TIU_MAX_IFACES);
		maps_close(&m);
	}
	pins_unrecord(&own, v->ifindex);
	/* the pins served this device alone: they go with it */
	if (!foreign && !left && pins_exist(&own) && !pins_purge(&own)) {
		n = strlen(done);
		snprintf(done + n, len - n, "%spins in %s", n ? ", " : "", own.dir);
	}
	if (!pins_resolve(NULL, false, &d)) {
		run_state_dir(&d, rs, sizeof(rs));
		snprintf(path, sizeof(path), "%s/%u.apply", rs, v->ifindex);
		if (!unlink(path)) {
			n = strlen(done);
			snprintf(done + n, len - n, "%sapply record", n ? ", " : "");
		}
		rmdir(rs); /* if now empty */
	}
	return err;
}

/* Release every vanished device; one line each (JSON lines of apply: no). */
int vanished_release_all(bool print)
{
	static struct vanished v[MAX_VANISHED];
	char done[512];
	int n = vanished_find(v, MAX_VANISHED), err = 0;

	for (int i = 0; i < n; i++) {
		done[0] = '\0';
		err |= vanished_release(&v[i], done, sizeof(done)) < 0;
		if (print)
			printf("%s: released (ifindex %u no longer exists): %s\n", v[i].name,
			       v[i].ifindex, done[0] ? done : "nothing left");
	}
	return err ? -1 : n;
}
