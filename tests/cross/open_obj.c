// SPDX-License-Identifier: GPL-2.0
/*
 * open_obj.c - opens BPF objects with the libbpf of the CPU it is built for
 * (bpf_object__open_mem(), as a skeleton does) and prints each one's
 * programs and maps. tests/cross/cross.t builds it static for each target
 * and runs it (under qemu-user) on that target's own objects: a libbpf of a
 * big-endian CPU must open the big-endian objects that the static tiu
 * embeds. Opening does not load: no bpf() call is made.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <bpf/libbpf.h>

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(int argc, char **argv)
{
	int bad = 0;

	libbpf_set_print(quiet);
	for (int i = 1; i < argc; i++) {
		struct bpf_object *obj;
		struct bpf_program *prog;
		struct bpf_map *map;
		int np = 0, nm = 0;
		size_t n;
		char *buf;
		FILE *f = fopen(argv[i], "rb");

		if (!f || fseek(f, 0, SEEK_END) || (n = (size_t)ftell(f)) == 0 || fseek(f, 0, SEEK_SET) ||
		    !(buf = malloc(n)) || fread(buf, 1, n, f) != n) {
			printf("%s: cannot read\n", argv[i]);
			return 2;
		}
		fclose(f);
		obj = bpf_object__open_mem(buf, n, NULL);
		if (libbpf_get_error(obj)) {
			printf("%s: refused: %ld\n", argv[i], libbpf_get_error(obj));
			bad = 1;
			continue;
		}
		bpf_object__for_each_program(prog, obj)
			np++;
		bpf_object__for_each_map(map, obj)
			nm++;
		printf("%s: opened: %d programs, %d maps\n", argv[i], np, nm);
		bpf_object__close(obj);
		free(buf);
	}
	return bad;
}
