// SPDX-License-Identifier: GPL-2.0
/*
 * pins.c - where the shared maps are pinned, and whether those pins are ours.
 *
 * One pin directory per network namespace: TIU_PIN_ROOT in the namespace of
 * PID 1, TIU_PIN_ROOT/netns-COOKIE in any other (the namespace's cookie), so that containers on one
 * host do not share endpoints or statistics. The bpffs is found at
 * /sys/fs/bpf; `ip netns exec` hides it (it remounts /sys), so there the
 * host's bpffs is reached through /proc/1/root (or 2). Whether the pins are
 * usable by this tiu is maps.c's question (maps_check_pins).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "state.h"

#define SYS_BPFFS  "/sys/fs/bpf"

static bool is_bpffs(const char *path)
{
	struct statfs st;

	/* f_type is a long on 64-bit and an int on 32-bit targets, where the
	 * magic 0xcafe4a11 is negative: compare the 32 bits it has. */
	return !statfs(path, &st) && (unsigned int)st.f_type == BPF_FS_MAGIC;
}

static unsigned long ns_inode(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

/*
 * The process that stands for "the host": PID 1, or, where PID 1 cannot be
 * inspected (a sandbox init that is not dumpable) and we are in the initial
 * PID namespace, kthreadd (PID 2), which always lives in the initial network
 * and mount namespaces.
 */
static const char *host_pid(void)
{
	char comm[32] = "";
	FILE *f;

	if (ns_inode("/proc/1/ns/net"))
		return "1";
	f = fopen("/proc/2/comm", "r");
	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
	}
	return !strcmp(comm, "kthreadd\n") ? "2" : "1";
}

/*
 * Our root's mount ID (statx STATX_MNT_ID, Linux 5.8); 0 if unknown.
 */
static unsigned long long root_mount_id(void)
{
	struct statx stx;

	if (statx(AT_FDCWD, "/", 0, STATX_MNT_ID, &stx) || !(stx.stx_mask & STATX_MNT_ID))
		return 0;
	return stx.stx_mnt_id;
}

/* Whether /proc/PID/mountinfo lists mount id: 1 yes, 0 no, -1 unreadable. */
static int mountinfo_has(const char *pid, unsigned long long id)
{
	unsigned long long mid;
	char path[64];
	int c, found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/mountinfo", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (!found && fscanf(f, "%llu", &mid) == 1) {
		found = mid == id;
		while ((c = getc(f)) != EOF && c != '\n')
			;
	}
	fclose(f);
	return found;
}

/*
 * Whether we share the host's ("net") or mount ("mnt") namespace, where the
 * host is host_pid(). /proc/PID/ns/KIND would say it directly, but reading
 * it needs ptrace access to PID (proc_ns_get_link() -> ptrace_may_access()),
 * and a root process whose capability bounding set is reduced (tiu@.service:
 * CapabilityBoundingSet=) has none over PID 1 or kthreadd:
 * cap_ptrace_access_check() wants our permitted set to cover theirs, or
 * CAP_SYS_PTRACE. So both answers come from files that need no ptrace:
 * - net: /proc/PID/net (get_proc_task_net() takes the task's namespace
 *   without a ptrace check). Every network namespace registers its own
 *   /proc/net entries, each with an inode number of its own
 *   (proc_register() -> proc_alloc_inum()), so /proc/PID/net/dev and
 *   /proc/self/net/dev are one inode exactly when the namespaces are one;
 * - mnt: /proc/PID/mountinfo (mounts_open_common(), no ptrace check either)
 *   lists PID's mount namespace. Mount IDs are unique in the system
 *   (mnt_alloc_id()), and a new mount namespace gets copies of every mount
 *   with new IDs (copy_tree() -> clone_mnt()), so the mount ID of our "/"
 *   appears there exactly when we are in PID's mount namespace.
 * Where those cannot be read either (a /proc mounted with hidepid=), the
 * nsfs inodes decide as before.
 */
static bool same_ns(const char *kind)
{
	char self[64], host[64];
	const char *pid = host_pid();
	unsigned long long id;
	int has;

	if (!strcmp(kind, "net")) {
		snprintf(host, sizeof(host), "/proc/%s/net/dev", pid);
		if (ns_inode(host) && ns_inode("/proc/self/net/dev"))
			return ns_inode(host) == ns_inode("/proc/self/net/dev");
	} else if (!strcmp(kind, "mnt")) {
		id = root_mount_id();
		has = id ? mountinfo_has(pid, id) : -1;
		if (has >= 0)
			return has;
	}
	snprintf(self, sizeof(self), "/proc/self/ns/%s", kind);
	snprintf(host, sizeof(host), "/proc/%s/ns/%s", pid, kind);
	return ns_inode(self) == ns_inode(host);
}

/*
 * The network namespace's cookie (SO_NETNS_COOKIE, Linux 5.14): unique for
 * the life of the system, unlike the inode of /proc/self/ns/net, which a new
 * namespace reuses as soon as an old one is gone (its pins would then look
 * like ours). Falls back to the inode on older kernels.
 */
static unsigned long long netns_id(void)
{
	unsigned long long cookie = 0;
	socklen_t len = sizeof(cookie);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len))
		cookie = 0;
	if (fd >= 0)
		close(fd);
	return cookie ? cookie : ns_inode("/proc/self/ns/net");
}

/*
 * A --pin-dir outside any bpffs. The advice must work where tiu runs: under
 * `ip netns exec` /sys/fs/bpf is not the host's bpffs (the command remounts
 * /sys), so "a directory under /sys/fs/bpf" would fail the same way there;
 * mounting a bpffs on the parent would shadow whatever else lives there.
 */
static int not_bpffs(const char *dir)
{
	char host[64];

	if (is_bpffs(SYS_BPFFS))
		return tiu_fail("%s: not on a bpffs: pick a directory under " SYS_BPFFS " (e.g. " SYS_BPFFS "/tiu-NAME), or mount a bpffs of its own first (`mkdir -p %s && mount -t bpf bpf %s`)",
				dir, dir, dir);
	snprintf(host, sizeof(host), "/proc/%s/root" SYS_BPFFS, host_pid());
	if (!same_ns("mnt") && is_bpffs(host))
		return tiu_fail("%s: not on a bpffs: this mount namespace (`ip netns exec`?) hides the host's " SYS_BPFFS ": pick a directory under %s (the host's bpffs), or run tiu through `nsenter --net=/run/netns/NAME`",
				dir, host);
	return tiu_fail("%s: not on a bpffs, and none is mounted at " SYS_BPFFS ": run `mount -t bpf bpf " SYS_BPFFS "` and pick a directory under it",
			dir);
}

/*
 * A --pin-dir as an absolute path: `up` records it for `down`, `status`,
 * `stats` and `endpoint`, which may run from another directory (systemd
 * runs them from /), so "./x" must mean the directory it meant to `up`.
 * Made absolute from the working directory, not resolved: a symlink in it
 * is refused by the trust check, not followed.
 */
static int absolute_dir(const char *dir, char *out, size_t len)
{
	char cwd[PATH_MAX];

	if (dir[0] == '/')
		return snprintf(out, len, "%s", dir) < (int)len ? 0 : -1;
	if (!getcwd(cwd, sizeof(cwd)))
		return tiu_fail("%s: a relative pin directory, and the working directory is unknown (%s): give an absolute path",
				dir, strerror(errno));
	while (dir[0] == '.' && dir[1] == '/')
		dir += 2;
	if (!strcmp(dir, "."))
		dir = "";
	return snprintf(out, len, "%s%s%s", cwd, strcmp(cwd, "/") && dir[0] ? "/" : "", dir) <
	       (int)len ? 0 : -1;
}

/* A --pin-dir that does not exist: for `up` a directory to make; for the
 * other commands nothing to read (they say so, and create nothing). err:
 * ENOENT, or EPERM from a bpffs, which refuses every name with a dot below
 * its root (they are reserved: kernel/bpf/inode.c, bpf_lookup). */
static int absent_dir(struct pins *p, bool mount_ok, int err)
{
	p->absent = true;
	if (!mount_ok)
		snprintf(p->note, sizeof(p->note), "%s",
			 err == EPERM ? "no such directory: a bpffs has no names with a dot in them" :
					"no such directory");
	return 0;
}

static int user_pin_dir(const char *given, bool mount_ok, struct pins *p)
{
	char parent[sizeof(p->dir)], *slash;
	const char *dir = p->dir;
	struct trust_err te;
	struct stat st;
	int r;

	if (strlen(given) >= sizeof(p->dir) ||
	    (absolute_dir(given, p->dir, sizeof(p->dir)) && p->dir[0]))
		return tiu_fail("%.40s...: pin directory path too long (at most %zu characters)",
				given, sizeof(p->dir) - 1);
	if (!p->dir[0])
		return -1; /* no working directory: said */
	snprintf(p->note, sizeof(p->note), "given with --pin-dir");
	p->user_dir = true;
	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	if (!is_bpffs(dir) && !is_bpffs(parent)) {
		if (!mount_ok && lstat(dir, &st) && (errno == ENOENT || errno == EPERM))
			return absent_dir(p, mount_ok, errno);
		return not_bpffs(dir);
	}
	r = tiu_dir_check(dir, &te);
	if (r == 1 || (r < 0 && !mount_ok && te.looked && te.err == EPERM))
		return absent_dir(p, mount_ok, r == 1 ? ENOENT : EPERM);
	return r < 0 ? tiu_trust_fail(&te) : 0;
}

/* The bpffs to pin in, into base. Returns 1 if there is none and mount_ok
 * is false (then nothing of tiu can exist in this namespace). */
static int find_bpffs(bool mount_ok, struct pins *p, char *base, size_t len)
{
	char host[64];

	if (is_bpffs(SYS_BPFFS)) {
		snprintf(base, len, SYS_BPFFS);
		snprintf(p->note, sizeof(p->note), "bpffs at " SYS_BPFFS);
		return 0;
	}
	snprintf(host, sizeof(host), "/proc/%s/root" SYS_BPFFS, host_pid());
	if (!same_ns("mnt") && is_bpffs(host)) {
		/* ip netns exec: use the host's bpffs, and tell libxdp too. */
		snprintf(base, len, "%s", host);
		snprintf(p->note, sizeof(p->note),
			 "the host's bpffs through %s (this mount namespace hides /sys/fs/bpf)", host);
		setenv("LIBXDP_BPFFS", host, 0);
		return 0;
	}
	if (!mount_ok)
		return 1;
	if (!same_ns("mnt"))
		return tiu_fail("no bpffs: this mount namespace (ip netns exec?) hides /sys/fs/bpf and the host has none mounted: run `mount -t bpf bpf /sys/fs/bpf` on the host first, or run tiu through `nsenter --net=/run/netns/NAME`");
	if (mount("bpf", SYS_BPFFS, "bpf", 0, "mode=0700"))
		return tiu_fail("bpffs is not mounted at " SYS_BPFFS " and mounting it failed (%s): run `mount -t bpf bpf " SYS_BPFFS "`",
				strerror(errno));
	snprintf(base, len, SYS_BPFFS);
	snprintf(p->note, sizeof(p->note), "bpffs mounted at " SYS_BPFFS " by tiu");
	return 0;
}

static int resolve(const char *pin_dir_opt, bool mount_ok, bool own_only, struct pins *p)
{
	unsigned long long owner;
	struct trust_err te;
	char base[64];
	int err;

	memset(p, 0, sizeof(*p));
	p->netns = netns_id();
	p->initial_netns = same_ns("net");
	if (pin_dir_opt) {
		err = user_pin_dir(pin_dir_opt, mount_ok, p);
		if (!err && own_only && !p->absent && pins_owner(p, &owner))
			return pins_foreign_fail(p, owner, false);
		return err;
	}
	err = find_bpffs(mount_ok, p, base, sizeof(base));
	if (err)
		return err;
	if (p->initial_netns)
		snprintf(p->dir, sizeof(p->dir), "%s/tiu", base);
	else
		snprintf(p->dir, sizeof(p->dir), "%s/tiu/netns-%llu", base, p->netns);
	return tiu_dir_check(p->dir, &te) < 0 ? tiu_trust_fail(&te) : 0;
}

/*
 * Fill p with the pin directory of this network namespace, or pin_dir_opt.
 * mount_ok: mount a bpffs if there is none (only `up` does). The other
 * commands also refuse a directory whose pins serve another namespace
 * (pins_owner). Returns 0, 1 when there is no bpffs and mount_ok is false,
 * or -1 after printing an error.
 */
int pins_resolve(const char *pin_dir_opt, bool mount_ok, struct pins *p)
{
	return resolve(pin_dir_opt, mount_ok, !mount_ok, p);
}

/*
 * Directories that someone else may have made. A bpffs mounted by hand
 * (`mount -t bpf bpf /sys/fs/bpf`) has a root of mode 1777
 * (kernel/bpf/inode.c, bpf_fill_super: S_ISVTX | the mode option, 0777 by
 * default), so any user can create /sys/fs/bpf/tiu, a netns-ID directory in
 * it or a record link before tiu does; tiu would then pin into, and `down`
 * unlink in, a place that user controls. So every directory of a path
 * below the root of its bpffs must be a directory, not a symlink, owned by
 * root (or by the user tiu runs as) and writable by its owner only. A
 * mount point (another device than its parent: the bpffs' root, and
 * anything above it, /proc/1/root included) is taken as it is: only root
 * mounts. tiu creates its directories 0700, whatever the umask.
 */
static int dir_bad(const char *path, const struct stat *st, struct trust_err *e)
{
	snprintf(e->path, sizeof(e->path), "%s", path);
	e->err = 0;
	if (S_ISLNK(st->st_mode))
		snprintf(e->why, sizeof(e->why), "is a symbolic link");
	else if (!S_ISDIR(st->st_mode))
		snprintf(e->why, sizeof(e->why), "is not a directory");
	else if (st->st_uid && st->st_uid != geteuid())
		snprintf(e->why, sizeof(e->why), "is owned by uid %u, not root", st->st_uid);
	else if (st->st_mode & (S_IWGRP | S_IWOTH))
		snprintf(e->why, sizeof(e->why), "is writable by group or others (mode %04o)",
			 st->st_mode & 07777);
	else
		return 0;
	return -1;
}

/* Walk dir from the top: check each directory below a bpffs' root
 * (dir_bad), creating the missing ones if create. 0; 1 if dir (or a
 * directory above it) does not exist and !create; -1 with e filled. */
static int dir_walk(const char *dir, bool create, struct trust_err *e)
{
	char path[PATH_MAX];
	struct stat st, up = {};
	bool have_up = false;

	memset(e, 0, sizeof(*e));
	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path)) {
		snprintf(e->path, sizeof(e->path), "%.200s...", dir);
		e->err = ENAMETOOLONG;
		return -1;
	}
	for (char *s = path + 1;; s++) {
		char c = *s;
		bool made = false;

		if (c && c != '/')
			continue;
		if (s[-1] == '/') { /* "//" or a trailing '/' */
			if (!c)
				break;
			continue;
		}
		*s = '\0';
		if (lstat(path, &st)) {
			if (errno != ENOENT || !create) {
				snprintf(e->path, sizeof(e->path), "%s", path);
				e->err = errno;
				e->looked = true;
				return errno == ENOENT ? 1 : -1;
			}
			if (!mkdir(path, 0700)) {
				made = true;
				chmod(path, 0700); /* whatever the umask took away */
			} else if (errno != EEXIST) {
				goto fail;
			}
			if (lstat(path, &st))
				goto fail;
		}
		if (!made && have_up && st.st_dev == up.st_dev && is_bpffs(path) &&
		    dir_bad(path, &st, e))
			return -1;
		up = st;
		have_up = true;
		if (!c)
			break;
		*s = c;
	}
	return 0;
fail:
	snprintf(e->path, sizeof(e->path), "%s", path);
	e->err = errno;
	return -1;
}

int tiu_dir_check(const char *dir, struct trust_err *e)
{
	return dir_walk(dir, false, e);
}

int tiu_mkdir_private(const char *dir, struct trust_err *e)
{
	return dir_walk(dir, true, e);
}

/* Does a bpffs refuse path for the dot in its last name (see absent_dir)? */
static bool dot_refused(const char *path)
{
	char parent[PATH_MAX];
	const char *base = strrchr(path, '/');

	if (!base || !strchr(base + 1, '.'))
		return false;
	snprintf(parent, sizeof(parent), "%.*s", base == path ? 1 : (int)(base - path), path);
	return is_bpffs(parent);
}

int tiu_trust_fail(const struct trust_err *e)
{
	if (e->err == EPERM && e->looked && dot_refused(e->path))
		return tiu_fail("%s: a bpffs refuses every name with a dot in it (%s): pick a name without one",
				e->path, strerror(e->err));
	if (e->err)
		return tiu_fail("%s: cannot %s the directory: %s", e->path,
				e->looked ? "look up" : "create", strerror(e->err));
	return tiu_fail("%s %s: tiu does not use a directory that someone else may control: see what it holds, remove it (`rm -r %s`) and run tiu again",
			e->path, e->why, e->path);
}

int pins_mkdir(const struct pins *p)
{
	struct trust_err te;

	return tiu_mkdir_private(p->dir, &te) ? tiu_trust_fail(&te) : 0;
}

/* The owner record: a bpffs symlink OWNER_LINK -> netns-ID (see pins_owner). */
#define OWNER_LINK "netns"

static void pin_path(const struct pins *p, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", p->dir, name);
}

static bool pins_exist_in(const char *dir)
{
	char path[PATH_MAX + 32];

	for (int i = 0; i < TIU_N_MAPS; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, maps_name(i));
		if (!access(path, F_OK))
			return true;
	}
	return false;
}

bool pins_exist(const struct pins *p)
{
	return pins_exist_in(p->dir);
}

int pins_map(const struct pins *p, const char *name)
{
	char path[PATH_MAX];
	int fd;

	pin_path(p, name, path, sizeof(path));
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

/* Remove tiu's pins (not anything else found there) and the directory if
 * that leaves it empty. */
int pins_purge(const struct pins *p)
{
	char path[PATH_MAX];
	int err = 0;

	for (int i = 0; i < TIU_N_MAPS; i++) {
		pin_path(p, maps_name(i), path, sizeof(path));
		if (unlink(path) && errno != ENOENT)
			err = tiu_fail("%s: cannot remove pin: %s", path, strerror(errno));
	}
	pin_path(p, OWNER_LINK, path, sizeof(path));
	if (!err)
		unlink(path); /* no pins left to serve anyone */
	if (rmdir(p->dir) && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST)
		err = tiu_fail("%s: cannot remove pin directory: %s", p->dir, strerror(errno));
	if (!p->initial_netns && !p->user_dir) {
		/* .../tiu/netns-ID: also .../tiu if that was the last one */
		char parent[sizeof(p->dir)], *slash;

		snprintf(parent, sizeof(parent), "%s", p->dir);
		slash = strrchr(parent, '/');
		if (slash) {
			*slash = '\0';
			if (!pins_exist_in(parent))
				rmdir(parent);
		}
	}
	return err;
}

/* tiu's run-state directory of this network namespace (it may not exist). */
void run_state_dir(const struct pins *p, char *buf, size_t len)
{
	snprintf(buf, len, TIU_RUN_DIR "/netns-%llu", p->netns);
}

/*
 * Where the pins of an interface are: `up` records the pin directory it
 * used for each interface (by ifindex), twice, so that `down`, `status`,
 * `stats` and `endpoint` find it without --pin-dir:
 *  - in the run state: /run/tiu/netns-ID/IFINDEX.pin-dir, one line;
 *  - in the namespace's default pin directory, as the bpffs symlink
 *    iface-IFINDEX -> DIR (bpffs keeps symlinks: kernel/bpf/inode.c,
 *    bpf_symlink), which lives as long as the pins do, whatever happens to
 *    /run/tiu.
 * The record stays until `down --purge` removes those pins.
 */
#define RECORD_LINK "iface-%u"

static void record_path(const struct pins *p, __u32 ifindex, char *buf, size_t len)
{
	char dir[PATH_MAX - 32];

	run_state_dir(p, dir, sizeof(dir));
	snprintf(buf, len, "%s/%u.pin-dir", dir, ifindex);
}

/* The recorded pin directory of ifindex into dir, "" if none. d: the
 * namespace's default pins. */
static void record_read(const struct pins *d, __u32 ifindex, char *dir, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	FILE *f;

	dir[0] = '\0';
	record_path(d, ifindex, path, sizeof(path));
	f = fopen(path, "r");
	if (f) {
		if (!fgets(dir, (int)len, f))
			dir[0] = '\0';
		fclose(f);
		dir[strcspn(dir, "\n")] = '\0';
		if (dir[0])
			return;
	}
	if (!d->dir[0])
		return;
	snprintf(path, sizeof(path), "%s/" RECORD_LINK, d->dir, ifindex);
	n = readlink(path, dir, len - 1);
	dir[n > 0 ? n : 0] = '\0';
}

/*
 * A recorded path as this mount namespace reaches it: a path recorded by
 * `up` in the host's mount namespace is under /proc/N/root here if this one
 * (`ip netns exec`) hides the host's bpffs, and one recorded under
 * /proc/N/root works as it is everywhere.
 */
static void host_path(char *dir, size_t len)
{
	char host[PATH_MAX];

	if (!dir[0] || is_bpffs(dir) || same_ns("mnt"))
		return;
	if (snprintf(host, sizeof(host), "/proc/%s/root%s", host_pid(), dir) >= (int)sizeof(host) ||
	    strlen(host) >= len || !is_bpffs(host))
		return;
	memcpy(dir, host, strlen(host) + 1);
}

/*
 * The pins of interface ifindex: pin_dir_opt if given, else the directory
 * `up` recorded for it, else the namespace's default. Returns as
 * pins_resolve.
 */
static int of_iface(const char *pin_dir_opt, __u32 ifindex, bool mount_ok, bool own_only,
		    struct pins *p)
{
	char dir[sizeof(p->dir)];
	struct pins d;
	int err;

	if (pin_dir_opt)
		return resolve(pin_dir_opt, mount_ok, own_only, p);
	err = resolve(NULL, mount_ok, own_only, &d);
	if (err < 0)
		return err;
	record_read(&d, ifindex, dir, sizeof(dir));
	host_path(dir, sizeof(dir));
	if (!dir[0] || !strcmp(dir, d.dir)) {
		*p = d;
		return err;
	}
	err = resolve(dir, false, own_only, p);
	if (!err && !p->absent)
		snprintf(p->note, sizeof(p->note), "recorded for ifindex %u by `tiu up --pin-dir`",
			 ifindex);
	return err;
}

int pins_of_iface(const char *pin_dir_opt, __u32 ifindex, bool mount_ok, struct pins *p)
{
	return of_iface(pin_dir_opt, ifindex, mount_ok, !mount_ok, p);
}

/*
 * The pins for `down IFACE` (and apply's): as pins_of_iface, but where the
 * record names a directory that another namespace took over since (`tiu
 * up` there), nothing of IFACE is in it: the record goes, with a warning,
 * and the namespace's default pins stand in (teardown then takes down what
 * the kernel shows on IFACE). A --pin-dir of another namespace is refused.
 */
int pins_of_iface_down(const char *pin_dir_opt, __u32 ifindex, const char *ifname,
		       struct pins *p)
{
	unsigned long long owner;
	int r;

	if (pin_dir_opt)
		return pins_of_iface(pin_dir_opt, ifindex, false, p);
	r = pins_recorded(ifindex, p);
	if (r < 0)
		return -1; /* said */
	if (r || !pins_owner(p, &owner))
		return r; /* what pins_of_iface() would find again */
	tiu_warn("%s: %s holds the pins of another network namespace now (netns-%llu): left alone, and the record of it for %s dropped",
		 ifname, p->dir, owner, ifname);
	pins_unrecord(p, ifindex);
	return pins_resolve(NULL, false, p);
}

/* The pins recorded for ifindex (as pins_of_iface without --pin-dir), also
 * when they serve another namespace now: the caller asks pins_owner. */
int pins_recorded(__u32 ifindex, struct pins *p)
{
	return of_iface(NULL, ifindex, false, false, p);
}

/*
 * Which network namespace a pin directory serves. Its maps are keyed by
 * ifindex (tiu_links, tiu_ifaces), and ifindexes are per namespace: two
 * namespaces in one directory would read and write each other's slots,
 * endpoints and counters. So `up` records the namespace in the directory
 * (pins_claim: the bpffs symlink OWNER_LINK -> netns-ID, ID as in the
 * default directories' names), and it stays until the pins go
 * (pins_purge). A record not made by root (or us) is no record: a bpffs
 * root is mode 1777. Returns the ID, 0 if none.
 */
unsigned long long pins_owner_of(const char *dir)
{
	char path[PATH_MAX], target[64], end;
	unsigned long long id;
	struct stat st;
	ssize_t n;

	if (!dir[0] || snprintf(path, sizeof(path), "%s/" OWNER_LINK, dir) >= (int)sizeof(path) ||
	    lstat(path, &st) || !S_ISLNK(st.st_mode) || (st.st_uid && st.st_uid != geteuid()))
		return 0;
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	target[n] = '\0';
	return sscanf(target, "netns-%llu%c", &id, &end) == 1 ? id : 0;
}

/* 1 if p's pins serve another namespace (*owner: its ID), else 0. */
int pins_owner(const struct pins *p, unsigned long long *owner)
{
	*owner = pins_owner_of(p->dir);
	return *owner && *owner != p->netns;
}

/* Record this namespace as the one p's pins serve (`up`, under the lock,
 * after checking that no other namespace has an interface up there). */
int pins_claim(const struct pins *p)
{
	char path[PATH_MAX], target[32];

	if (pins_owner_of(p->dir) == p->netns)
		return 0;
	pin_path(p, OWNER_LINK, path, sizeof(path));
	snprintf(target, sizeof(target), "netns-%llu", p->netns);
	unlink(path);
	if (symlink(target, path))
		return tiu_fail("%s: cannot record which network namespace the pins serve: %s", path,
				strerror(errno));
	return 0;
}

/* p's pins serve the namespace owner: say so, and what to do. up: for `tiu
 * up`, which found interfaces of that namespace up there. */
int pins_foreign_fail(const struct pins *p, unsigned long long owner, bool up)
{
	if (netns_alive(owner) == 0)
		return tiu_fail("%s: holds the pins of network namespace netns-%llu, which no longer exists: run `tiu down --stale` to remove them, or give this namespace its own --pin-dir",
				p->dir, owner);
	if (up)
		return tiu_fail("%s: holds the pins of another network namespace (netns-%llu), with interfaces up there; a pin directory serves one namespace (its maps are keyed by ifindex): give this namespace its own --pin-dir, or `tiu down` the interfaces there first",
				p->dir, owner);
	return tiu_fail("%s: holds the pins of another network namespace (netns-%llu), nothing of this one's (its maps are keyed by ifindex): give the --pin-dir of this namespace's pins (`tiu status` lists them)",
			p->dir, owner);
}

/* A --pin-dir that does not exist, for the commands that only read it. */
int pins_absent_fail(const struct pins *p)
{
	return tiu_fail("%s: %s: nothing of tiu is there, and a command that only reads creates nothing: give the --pin-dir that `tiu up` was given (`tiu status` lists those in use)",
			p->dir, p->note);
}

/* Record p as the pin directory of ifindex (see above); for the default
 * directory, remove any older record instead (the default needs none, and
 * its path differs between mount namespaces, e.g. under `ip netns exec`). */
int pins_record(const struct pins *p, __u32 ifindex)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct pins d;
	FILE *f;

	if (!p->user_dir) {
		pins_unrecord(p, ifindex);
		return 0;
	}
	record_path(p, ifindex, path, sizeof(path));
	mkdir(TIU_RUN_DIR, 0755);
	*strrchr(path, '/') = '\0';
	mkdir(path, 0755);
	record_path(p, ifindex, path, sizeof(path));
	f = fopen(path, "w");
	if (!f || fprintf(f, "%s\n", p->dir) < 0 || fclose(f))
		return tiu_fail("%s: cannot record the pin directory: %s", path, strerror(errno));
	if (pins_resolve(NULL, false, &d) || !d.dir[0])
		return 0;
	snprintf(link, sizeof(link), "%s/" RECORD_LINK, d.dir, ifindex);
	unlink(link);
	if (!strcmp(d.dir, p->dir))
		return 0;
	if (pins_mkdir(&d))
		return -1;
	if (symlink(p->dir, link))
		return tiu_fail("%s: cannot record the pin directory: %s", link, strerror(errno));
	return 0;
}

/* Forget the record of ifindex (its pins are gone). */
void pins_unrecord(const struct pins *p, __u32 ifindex)
{
	char path[PATH_MAX];
	struct pins d;

	record_path(p, ifindex, path, sizeof(path));
	unlink(path);
	*strrchr(path, '/') = '\0';
	rmdir(path); /* the namespace's run-state directory, if now empty */
	if (pins_resolve(NULL, false, &d) || !d.dir[0])
		return;
	snprintf(path, sizeof(path), "%s/" RECORD_LINK, d.dir, ifindex);
	if (!unlink(path) && !pins_exist(&d))
		pins_purge(&d); /* only the directory, now empty */
}

static int add_dir(struct pins *out, int n, int max, const struct pins *p)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(out[i].dir, p->dir))
			return n;
	if (n < max)
		out[n++] = *p;
	return n;
}

/*
 * Every pin directory in use in this namespace: the default one first (if
 * there is a bpffs), then those recorded for an interface, less those that
 * serve another namespace now (pins_owner). Returns how many.
 */
static int in_use(struct pins *out, int max, bool taken_over)
{
	unsigned long long owner;
	char rs[PATH_MAX];
	struct pins d, u;
	struct dirent *e;
	unsigned int idx;
	int n = 0;
	DIR *dh;

	if (pins_resolve(NULL, false, &d) < 0)
		return 0;
	if (d.dir[0] && !taken_over)
		n = add_dir(out, n, max, &d);
	run_state_dir(&d, rs, sizeof(rs));
	dh = opendir(rs);
	while (dh && (e = readdir(dh))) {
		char end[16];

		if (sscanf(e->d_name, "%u.%15s", &idx, end) != 2 || strcmp(end, "pin-dir"))
			continue;
		if (!pins_recorded(idx, &u) && u.dir[0] && pins_owner(&u, &owner) == taken_over)
			n = add_dir(out, n, max, &u);
	}
	if (dh)
		closedir(dh);
	dh = d.dir[0] ? opendir(d.dir) : NULL;
	while (dh && (e = readdir(dh))) {
		if (sscanf(e->d_name, RECORD_LINK, &idx) != 1)
			continue;
		if (!pins_recorded(idx, &u) && u.dir[0] && pins_owner(&u, &owner) == taken_over)
			n = add_dir(out, n, max, &u);
	}
	if (dh)
		closedir(dh);
	return n;
}

int pins_in_use(struct pins *out, int max)
{
	return in_use(out, max, false);
}

/* The directories recorded for an interface here that serve another
 * namespace now (left out of pins_in_use); their note names the ifindex. */
int pins_taken_over(struct pins *out, int max)
{
	return in_use(out, max, true);
}
