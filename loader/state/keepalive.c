// SPDX-License-Identifier: GPL-2.0
/*
 * keepalive.c - TCP keepalive for tunnelled connections: the sock_ops
 * program (cgroup/tiu_sockops.bpf.c) on the cgroup v2 root, and its maps.
 *
 * One attachment serves every interface of every network namespace, so its
 * pins are global: TIU_PIN_ROOT/keepalive next to the namespaces' pin
 * directories (see ka_paths()), holding the two cgroup links (sock_ops, and
 * the setsockopt program that notes an application's own keepalive options)
 * and the three maps.
 * Entries are keyed by the network namespace's cookie:
 *  - tiu_ka_ifaces {netns, ifindex}: each interface's setting and counters;
 *    the attachment lives while this map has an entry (its users);
 *  - tiu_ka_eps {netns, addr, port, role}: what the program matches,
 *    derived by ka_sync() from the settings and the namespace's endpoint map
 *    (one entry per port of a range; none for a mark selector), so that
 *    `up`, `down` and `endpoint add|del` only ever re-derive it.
 * Like everything else, `down` works from what is pinned, so a `tiu` killed
 * at any point leaves nothing that the next `down` does not remove; the
 * pinned link keeps the program attached after `tiu` exits or crashes.
 * Where cgroup v2 or sock_ops is missing: one warning, the tunnel still works.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "state.h"
#include "tiu_sockops.skel.h"

struct ka_paths {
	char dir[280];
	char eps[320], ifaces[320], link[320], own[320], optlink[320];
};

static bool is_fs(const char *path, long magic)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == magic;
}

/* The keepalive directory: next to the namespaces' pin directories
 * (TIU_PIN_ROOT/keepalive in the bpffs that pins.c found, the host's one
 * where `ip netns exec` hides it), or inside a directory given with
 * --pin-dir: such a pin root gets its own attachment, which matches only
 * its own entries. */
static int ka_paths(const struct pins *p, struct ka_paths *kp)
{
	char root[sizeof(p->dir)];
	char *slash;

	if (!p->dir[0])
		return -1;
	snprintf(root, sizeof(root), "%s", p->dir);
	if (!p->user_dir && !p->initial_netns) {
		slash = strrchr(root, '/'); /* .../tiu/netns-COOKIE */
		if (slash)
			*slash = '\0';
	}
	snprintf(kp->dir, sizeof(kp->dir), "%s/" TIU_KA_DIR, root);
	snprintf(kp->eps, sizeof(kp->eps), "%s/" TIU_MAP_KA_EPS, kp->dir);
	snprintf(kp->ifaces, sizeof(kp->ifaces), "%s/" TIU_MAP_KA_IFACES, kp->dir);
	snprintf(kp->link, sizeof(kp->link), "%s/" TIU_KA_LINK, kp->dir);
	snprintf(kp->own, sizeof(kp->own), "%s/" TIU_MAP_KA_OWN, kp->dir);
	snprintf(kp->optlink, sizeof(kp->optlink), "%s/" TIU_KA_OPT_LINK, kp->dir);
	return 0;
}

/* The cgroup v2 mount from /proc/self/mounts, else the host's (ip netns
 * exec remounts /sys and hides it): through PID 1, or kthreadd (PID 2)
 * where PID 1 cannot be inspected, as pins.c does for the bpffs. */
static int cgroup2_root(char *buf, size_t len)
{
	static const char *const tabs[][2] = {
		{ "/proc/self/mounts", "" },
		{ "/proc/1/mounts", "/proc/1/root" },
		{ "/proc/2/mounts", "/proc/2/root" },
	};
	char dev[256], dir[256], type[64];

	if (getenv("TIU_TEST_NO_CGROUP2")) /* tests: a system without cgroup v2 */
		return -1;
	for (size_t i = 0; i < sizeof(tabs) / sizeof(tabs[0]); i++) {
		FILE *f = fopen(tabs[i][0], "r");
		int found = 0;

		if (!f)
			continue;
		while (!found && fscanf(f, "%255s %255s %63s %*[^\n]", dev, dir, type) == 3) {
			snprintf(buf, len, "%s%s", tabs[i][1], dir);
			found = !strcmp(type, "cgroup2") && is_fs(buf, CGROUP2_SUPER_MAGIC);
		}
		fclose(f);
		if (found)
			return 0;
	}
	return -1;
}

/* TCP_KEEPCNT for an idle time: enough probes that a peer is declared dead
 * only after TIU_KA_DEAD_AFTER seconds of silence (at most MAX_TCP_KEEPCNT). */
static __u32 ka_count(__u32 seconds)
{
	__u32 n = (TIU_KA_DEAD_AFTER + seconds - 1) / seconds;

	return n < 1 ? 1 : n > TIU_KA_MAX_CNT ? TIU_KA_MAX_CNT : n;
}

struct ka_fds {
	int eps, ifaces;
};

static int ka_open(const struct ka_paths *kp, struct ka_fds *f)
{
	f->eps = bpf_obj_get(kp->eps);
	f->ifaces = bpf_obj_get(kp->ifaces);
	if (f->eps >= 0 && f->ifaces >= 0)
		return 0;
	if (f->eps >= 0)
		close(f->eps);
	if (f->ifaces >= 0)
		close(f->ifaces);
	f->eps = f->ifaces = -1;
	return -1;
}

static void ka_close(struct ka_fds *f)
{
	if (f->eps >= 0)
		close(f->eps);
	if (f->ifaces >= 0)
		close(f->ifaces);
}

/* The link pinned at path, if it is a cgroup link of that attach type:
 * its id, else 0. */
static __u32 ka_cg_link_id(const char *path, enum bpf_attach_type type, __u32 *prog_id)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path);
	__u32 id = 0;

	if (fd < 0)
		return 0;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == BPF_LINK_TYPE_CGROUP &&
	    info.cgroup.attach_type == type) {
		id = info.id;
		if (prog_id)
			*prog_id = info.prog_id;
	}
	close(fd);
	return id;
}

/* The pinned sock_ops link: its id, else 0. */
static __u32 ka_link_id(const struct ka_paths *kp, __u32 *prog_id)
{
	return ka_cg_link_id(kp->link, BPF_CGROUP_SOCK_OPS, prog_id);
}

/* The pinned setsockopt link: its id, else 0. */
static __u32 ka_optlink_id(const struct ka_paths *kp)
{
	return ka_cg_link_id(kp->optlink, BPF_CGROUP_SETSOCKOPT, NULL);
}

/* The cgroup v2 root, open, and its path for messages. */
struct ka_cgroup {
	int fd;
	const char *path;
};

/* Attach prog (what: its name in messages) to the cgroup and pin the link at
 * path, replacing what was pinned there (checked by the caller: not a link
 * of this kind). */
static int ka_attach_one(struct bpf_program *prog, const char *what, const struct ka_cgroup *cg,
			 const char *path, char *why, size_t len)
{
	struct bpf_link *link;

	unlink(path); /* not a link of this kind: not ours to keep */
	link = bpf_program__attach_cgroup(prog, cg->fd);
	if (!link) {
		snprintf(why, len, "cannot attach %s to the cgroup v2 root %.200s: %s", what, cg->path,
			 strerror(errno));
		return -1;
	}
	if (bpf_link__pin(link, path)) {
		snprintf(why, len, "cannot pin the %s link at %s: %s", what, path, strerror(errno));
		bpf_link__destroy(link);
		return -1;
	}
	bpf_link__disconnect(link);
	bpf_link__destroy(link);
	return 0;
}

/*
 * Load the programs with their maps pinned (or reused) in the keepalive
 * directory and attach them to the cgroup v2 root, each unless its pinned
 * link is there already. The setsockopt program first: from the moment
 * sock_ops acts, applications' choices are noted (the socket storage map
 * is pinned, so both programs see the same one whichever `tiu up` attached
 * each). Returns 0, or -1 with the reason in why.
 */
static int ka_attach(const struct ka_paths *kp, char *why, size_t len)
{
	struct tiu_sockops *skel = NULL;
	struct ka_cgroup root;
	struct trust_err te;
	char cg[256];
	int cgfd = -1, err = -1;

	if (cgroup2_root(cg, sizeof(cg))) {
		snprintf(why, len, "no cgroup v2 mount in /proc/self/mounts");
		return -1;
	}
	if (tiu_mkdir_private(kp->dir, &te)) {
		if (te.err)
			snprintf(why, len, "cannot create %.200s: %s", te.path, strerror(te.err));
		else
			snprintf(why, len, "%.200s %s: tiu does not use a directory that someone else may control (remove it)",
				 te.path, te.why);
		return -1;
	}
	skel = tiu_sockops__open();
	if (!skel || bpf_map__set_pin_path(skel->maps.tiu_ka_eps, kp->eps) ||
	    bpf_map__set_pin_path(skel->maps.tiu_ka_ifaces, kp->ifaces) ||
	    bpf_map__set_pin_path(skel->maps.tiu_ka_own, kp->own)) {
		snprintf(why, len, "cannot open the sock_ops object: %s", strerror(errno));
		goto out;
	}
	if (tiu_sockops__load(skel)) {
		snprintf(why, len, "the kernel refused the sock_ops program or its pinned maps in %s (%.200s): if the maps are stale, `tiu down` every interface, or remove %s",
			 kp->dir, tiu_libbpf_last(), kp->dir);
		goto out;
	}
	tiu_crash_point("keepalive-maps");
	if (ka_optlink_id(kp) && ka_link_id(kp, NULL)) {
		err = 0;
		goto out;
	}
	cgfd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0) {
		snprintf(why, len, "cannot open the cgroup v2 root %.200s: %s", cg, strerror(errno));
		goto out;
	}
	root = (struct ka_cgroup){ .fd = cgfd, .path = cg };
	if (!ka_optlink_id(kp) &&
	    ka_attach_one(skel->progs.tiu_ka_setsockopt, "setsockopt", &root, kp->optlink, why,
			  len))
		goto out;
	if (!ka_link_id(kp, NULL) &&
	    ka_attach_one(skel->progs.tiu_sockops, "sock_ops", &root, kp->link, why, len))
		goto out;
	err = 0;
out:
	if (cgfd >= 0)
		close(cgfd);
	tiu_sockops__destroy(skel);
	return err;
}

/* Remove the link and the maps when no interface of any namespace uses them. */
static bool ka_detach_if_unused(const struct ka_paths *kp, const struct ka_fds *f)
{
	struct tiu_ka_iface_key k;

	if (!bpf_map_get_next_key(f->ifaces, NULL, &k))
		return false;
	unlink(kp->link);
	unlink(kp->optlink);
	unlink(kp->eps);
	unlink(kp->ifaces);
	unlink(kp->own);
	rmdir(kp->dir);
	return true;
}

struct ka_want {
	struct tiu_ka_key k;
	struct tiu_ka_val v;
};

static int ka_key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct tiu_ka_key));
}

/*
 * The entries this namespace's endpoints call for: one per port of every
 * port endpoint of every interface with a setting (a range gives one per
 * port; a mark selector none: sock_ops sees the socket, not the packet's
 * mark, and the mark may be set later by nftables), sorted by key, an
 * endpoint published by two interfaces once with the shorter idle time.
 * How many, at most TIU_KA_MAX_EPS (*over: how many more there were).
 */
static int ka_wanted(const struct pins *p, const struct ka_fds *f, const struct tiu_maps *m,
		     struct ka_want *want, long *over)
{
	struct tiu_ka_iface_key ik, iprev;
	struct tiu_ka_iface iv;
	bool first = true;
	int n = 0, k = 0;
	__u32 slot;

	*over = 0;
	while (!bpf_map_get_next_key(f->ifaces, first ? NULL : &iprev, &ik)) {
		struct ep *eps;
		int n_eps;

		first = false;
		iprev = ik;
		if (ik.netns != p->netns || bpf_map_lookup_elem(f->ifaces, &ik, &iv) || !iv.seconds ||
		    maps_slot_of(m, ik.ifindex, &slot))
			continue;
		n_eps = maps_endpoints(m, slot, &eps);
		for (int i = 0; i < n_eps; i++) {
			struct tiu_ka_val nv = { ik.ifindex, iv.seconds, iv.seconds, ka_count(iv.seconds) };

			if (eps[i].kind != EP_PORTS ||
			    ((iv.flags & TIU_KA_F_DEFAULT) && eps[i].role != TIU_ROLE_REMOTE))
				continue;
			for (unsigned int port = eps[i].first; port <= eps[i].last; port++) {
				struct ka_want *w = &want[n];

				if (n == TIU_KA_MAX_EPS) {
					(*over)++;
					continue;
				}
				memset(w, 0, sizeof(*w));
				w->k.netns = p->netns;
				memcpy(w->k.addr, eps[i].addr, sizeof(w->k.addr));
				w->k.port = htons((__u16)port);
				w->k.role = eps[i].role;
				w->v = nv;
				n++;
			}
		}
		free(eps);
	}
	qsort(want, n, sizeof(*want), ka_key_cmp);
	for (int i = 0; i < n; i++) { /* one per key, the shortest idle time */
		if (k && !ka_key_cmp(&want[k - 1].k, &want[i].k)) {
			if (want[i].v.idle < want[k - 1].v.idle)
				want[k - 1].v = want[i].v;
			continue;
		}
		want[k++] = want[i];
	}
	return k;
}

/*
 * Re-derive this namespace's entries of tiu_ka_eps from the settings in
 * tiu_ka_ifaces and the endpoints in the namespace's own maps: add what is
 * missing, rewrite what changed, delete what no interface publishes any
 * more. More than the map holds (TIU_KA_MAX_EPS over all namespaces): the
 * rest get no keepalive, with a warning, not an error: the endpoints
 * themselves are in force.
 */
static int ka_sync_fds(const struct pins *p, const struct ka_fds *f)
{
	struct tiu_ka_key *have = NULL, k, prev;
	struct ka_want *want = NULL, *w;
	struct tiu_ka_val v;
	struct tiu_maps m;
	bool have_maps = !maps_open(p, &m), first = true;
	int n_want = 0, n_have = 0, err = 0;
	long over = 0, full = 0;

	want = calloc(TIU_KA_MAX_EPS, sizeof(*want));
	have = calloc(TIU_KA_MAX_EPS, sizeof(*have));
	if (!want || !have) {
		err = tiu_fail("out of memory");
		goto out;
	}
	if (have_maps)
		n_want = ka_wanted(p, f, &m, want, &over);
	if (over)
		tiu_warn("keepalive: the endpoints call for %ld entries more than the %d that %s holds (a range takes one per port): connections of the ports beyond get no keepalive",
			 over, TIU_KA_MAX_EPS, TIU_MAP_KA_EPS);
	while (n_have < TIU_KA_MAX_EPS &&
	       !bpf_map_get_next_key(f->eps, first ? NULL : &prev, &k)) {
		first = false;
		prev = k;
		if (k.netns == p->netns)
			have[n_have++] = k;
	}
	for (int i = 0; i < n_have; i++)
		if (!bsearch(&have[i], want, n_want, sizeof(*want), ka_key_cmp))
			bpf_map_delete_elem(f->eps, &have[i]);
	for (int j = 0; j < n_want && !err; j++) {
		w = &want[j];
		if (!bpf_map_lookup_elem(f->eps, &w->k, &v) && !memcmp(&v, &w->v, sizeof(v)))
			continue;
		if (!elem_update(f->eps, &w->k, &w->v, BPF_ANY))
			continue;
		if (errno == E2BIG)
			full++;
		else
			err = tiu_fail("keepalive: cannot write %s: %s", TIU_MAP_KA_EPS, strerror(errno));
	}
	if (full)
		tiu_warn("keepalive: %s is full (%d entries, shared by every namespace): %ld endpoint port%s of this namespace get no keepalive",
			 TIU_MAP_KA_EPS, TIU_KA_MAX_EPS, full, full == 1 ? "" : "s");
out:
	if (have_maps)
		maps_close(&m);
	free(want);
	free(have);
	return err;
}

int ka_up(const char *ifname, __u32 ifindex, int seconds, const struct pins *p)
{
	struct tiu_ka_iface_key ik = { .netns = p->netns, .ifindex = ifindex };
	struct tiu_ka_iface iv = {};
	struct ka_paths kp;
	struct ka_fds f;
	char why[1024];
	int err;

	if (seconds == 0)
		return 0;
	iv.seconds = seconds < 0 ? TIU_KA_DEFAULT_REMOTE : (__u32)seconds;
	iv.flags = seconds < 0 ? TIU_KA_F_DEFAULT : 0;
	if (ka_paths(p, &kp)) {
		snprintf(why, sizeof(why), "no bpffs found for its pins");
		goto unavailable;
	}
	if (ka_attach(&kp, why, sizeof(why)))
		goto unavailable;
	if (ka_open(&kp, &f)) {
		snprintf(why, sizeof(why), "cannot open the maps pinned in %s: %s", kp.dir, strerror(errno));
		goto unavailable;
	}
	tiu_crash_point("keepalive-link");
	err = bpf_map_update_elem(f.ifaces, &ik, &iv, BPF_ANY);
	if (err)
		err = tiu_fail("%s: cannot write %s: %s", ifname, TIU_MAP_KA_IFACES, strerror(errno));
	else
		err = ka_sync_fds(p, &f);
	ka_close(&f);
	return err;
unavailable:
	tiu_warn("%s: keepalive not available (%s): the tunnel works, but idle tunnelled connections may lose their NAT mapping",
		 ifname, why);
	return 0;
}

int ka_sync(const struct pins *p)
{
	struct ka_paths kp;
	struct ka_fds f;
	int err;

	if (ka_paths(p, &kp) || ka_open(&kp, &f))
		return 0; /* no keepalive anywhere: nothing to derive */
	err = ka_sync_fds(p, &f);
	ka_close(&f);
	return err;
}

int ka_down(__u32 ifindex, const struct pins *p, char *done, size_t len)
{
	struct tiu_ka_iface_key ik = { .netns = p->netns, .ifindex = ifindex };
	struct ka_paths kp;
	struct ka_fds f;
	int err = 0;

	if (ka_paths(p, &kp))
		return 0;
	if (ka_open(&kp, &f)) {
		/* maps gone (or never made): a link left alone is unused */
		if (ka_link_id(&kp, NULL) && !unlink(kp.link) && done)
			snprintf(done + strlen(done), len - strlen(done), "%ssock_ops link",
				 done[0] ? ", " : "");
		if (ka_optlink_id(&kp) && !unlink(kp.optlink) && done)
			snprintf(done + strlen(done), len - strlen(done), "%ssetsockopt link",
				 done[0] ? ", " : "");
		unlink(kp.own);
		rmdir(kp.dir);
		return 0;
	}
	if (!bpf_map_delete_elem(f.ifaces, &ik) && done)
		snprintf(done + strlen(done), len - strlen(done), "%skeepalive", done[0] ? ", " : "");
	err = ka_sync_fds(p, &f);
	if (ka_detach_if_unused(&kp, &f) && done)
		snprintf(done + strlen(done), len - strlen(done), "%ssock_ops link", done[0] ? ", " : "");
	ka_close(&f);
	return err;
}

/*
 * A namespace that is gone (stale.c): its entries in both maps, then the
 * attachment if nothing else uses it. The default keepalive directory only;
 * returns how many entries were removed.
 */
int ka_forget_netns(unsigned long long netns)
{
	struct tiu_ka_iface_key ik, iprev, idrop[256];
	struct tiu_ka_key ek, eprev;
	struct ka_paths kp;
	struct ka_fds f;
	struct pins p;
	int n = 0, again;

	if (pins_resolve(NULL, false, &p) || ka_paths(&p, &kp) || ka_open(&kp, &f))
		return 0;
	do { /* collect, then delete: deleting while walking restarts the walk */
		int k = 0;
		bool first = true;

		while (k < 256 && !bpf_map_get_next_key(f.ifaces, first ? NULL : &iprev, &ik)) {
			first = false;
			iprev = ik;
			if (ik.netns == netns)
				idrop[k++] = ik;
		}
		for (int i = 0; i < k; i++)
			n += !bpf_map_delete_elem(f.ifaces, &idrop[i]);
		again = k == 256;
	} while (again);
	do {
		bool first = true;

		again = 0;
		while (!bpf_map_get_next_key(f.eps, first ? NULL : &eprev, &ek)) {
			first = false;
			eprev = ek;
			if (ek.netns == netns && !bpf_map_delete_elem(f.eps, &ek)) {
				n++;
				again = 1;
				break;
			}
		}
	} while (again);
	ka_detach_if_unused(&kp, &f);
	ka_close(&f);
	return n;
}

void ka_state(const struct pins *p, __u32 ifindex, struct ka_state *s)
{
	struct tiu_ka_iface_key ik = { .netns = p->netns, .ifindex = ifindex }, k, prev;
	struct tiu_ka_key ek, eprev;
	struct tiu_ka_val ev;
	struct ka_paths kp;
	struct ka_fds f;
	bool first = true;

	memset(s, 0, sizeof(*s));
	if (ka_paths(p, &kp) || ka_open(&kp, &f))
		return;
	s->link_id = ka_link_id(&kp, &s->prog_id);
	s->on = !bpf_map_lookup_elem(f.ifaces, &ik, &s->v);
	while (!bpf_map_get_next_key(f.ifaces, first ? NULL : &prev, &k)) {
		first = false;
		prev = k;
		s->users++;
	}
	first = true;
	while (!bpf_map_get_next_key(f.eps, first ? NULL : &eprev, &ek)) {
		first = false;
		eprev = ek;
		if (ek.netns == p->netns && !bpf_map_lookup_elem(f.eps, &ek, &ev) &&
		    ev.ifindex == ifindex)
			s->n_eps++;
	}
	snprintf(s->dir, sizeof(s->dir), "%.*s", (int)sizeof(s->dir) - 1, kp.dir);
	ka_close(&f);
}

void ka_print_text(const struct ka_state *s)
{
	if (!s->on) {
		printf("  keepalive: off%s\n", s->link_id ? "" : " (no sock_ops attachment)");
		return;
	}
	printf("  keepalive: %u s idle and interval%s, %d endpoint entr%s; %llu connection%s given it, %llu failed, %llu kept their application's own; sock_ops link %u%s (cgroup v2 root, %d interface%s of all namespaces), pins %s\n",
	       s->v.seconds, (s->v.flags & TIU_KA_F_DEFAULT) ? " (default: remote= endpoints only)" : "",
	       s->n_eps, s->n_eps == 1 ? "y" : "ies",
	       (unsigned long long)s->v.given, s->v.given == 1 ? "" : "s",
	       (unsigned long long)s->v.failed, (unsigned long long)s->v.kept, s->link_id,
	       s->link_id ? "" : " (none: not attached, run `tiu down` and `tiu up` again)",
	       s->users, s->users == 1 ? "" : "s", s->dir);
}

void ka_print_json(FILE *f, const struct ka_state *s)
{
	if (!s->on) {
		fprintf(f, "{\"seconds\":0,\"link_id\":%u}", s->link_id);
		return;
	}
	fprintf(f, "{\"seconds\":%u,\"default\":%s,\"endpoints\":%d,\"given\":%llu,\"failed\":%llu,\"kept\":%llu,\"link_id\":%u,\"prog_id\":%u,\"users\":%d,\"dir\":",
		s->v.seconds, (s->v.flags & TIU_KA_F_DEFAULT) ? "true" : "false", s->n_eps,
		(unsigned long long)s->v.given, (unsigned long long)s->v.failed,
		(unsigned long long)s->v.kept, s->link_id,
		s->prog_id, s->users);
	json_str(f, s->dir);
	fputc('}', f);
}

/*
 * The keys (namespace, ifindex) of every interface with a keepalive setting
 * in the default keepalive directory, at most max; how many. stale.c uses
 * it to find the entries of devices and namespaces that are gone.
 */
int ka_list(struct tiu_ka_iface_key *out, int max)
{
	struct tiu_ka_iface_key k, prev;
	struct ka_paths kp;
	struct ka_fds f;
	struct pins p;
	bool first = true;
	int n = 0;

	if (pins_resolve(NULL, false, &p) || ka_paths(&p, &kp) || ka_open(&kp, &f))
		return 0;
	while (n < max && !bpf_map_get_next_key(f.ifaces, first ? NULL : &prev, &k)) {
		first = false;
		prev = k;
		out[n++] = k;
	}
	ka_close(&f);
	return n;
}
