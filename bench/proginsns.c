// SPDX-License-Identifier: GPL-2.0
/*
 * proginsns.c - what the verifier did for loaded programs.
 *
 * usage: proginsns PROG_ID...
 *   prints one line per program: "NAME ID VERIFIED_INSNS XLATED_INSNS",
 *   followed by the programs in its program arrays (tiu's have none now),
 *   each once. verified_insns is bpf_prog_info's
 *   (kernel >= 5.16; 0 before). bench/loadcost.sh uses it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#define MAX_SEEN 64

static __u32 seen[MAX_SEEN];
static int nseen;

static int show(__u32 id);

static void follow_prog_array(__u32 map_id)
{
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi), k, v;
	int fd = bpf_map_get_fd_by_id(map_id);

	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &mi, &len) && mi.type == BPF_MAP_TYPE_PROG_ARRAY)
		for (k = 0; k < mi.max_entries; k++)
			if (!bpf_map_lookup_elem(fd, &k, &v))
				show(v);
	close(fd);
}

static int show(__u32 id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), map_ids[64], i;
	int fd;

	for (i = 0; i < (__u32)nseen; i++)
		if (seen[i] == id)
			return 0;
	if (nseen < MAX_SEEN)
		seen[nseen++] = id;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0) {
		fprintf(stderr, "proginsns: program id %u: %s\n", id, strerror(errno));
		return -1;
	}
	info.nr_map_ids = 64;
	info.map_ids = (__u64)(unsigned long)map_ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		fprintf(stderr, "proginsns: program id %u: no info: %s\n", id, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	printf("%s %u %u %u\n", info.name, id, info.verified_insns, info.xlated_prog_len / 8);
	for (i = 0; i < info.nr_map_ids && i < 64; i++)
		follow_prog_array(map_ids[i]);
	return 0;
}

int main(int argc, char **argv)
{
	int i, err = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: proginsns PROG_ID...\n");
		return 2;
	}
	for (i = 1; i < argc; i++)
		err |= show((__u32)strtoul(argv[i], NULL, 0));
	return err ? 1 : 0;
}
