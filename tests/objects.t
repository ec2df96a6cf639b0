#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# objects.t - the BPF objects tiu ships and how they are embedded, without
# root or a kernel (a few seconds: clang, llvm-readelf, llvm-objdump):
#   - each object is BPF of this machine's byte order (the loader's);
#   - no object calls bpf_trace_printk or bpf_trace_vprintk (helpers 6 and
#     177; bpf_printk expands to one of them), checked on a program made here
#     with bpf_printk first, so that the check is shown to catch one;
#   - the same sources build for the other byte order with -Werror, and
#     what a skeleton depends on (scripts/bpf-layout.sh: maps, variables,
#     programs, data sections) is the same in both builds;
#   - scripts/skel-embed.pl, given a skeleton and the object it was made
#     from, gives bpftool's file back byte for byte;
#   - what a kernel without BTF or without a JIT refuses: no global
#     subprogram takes the program's context (struct xdp_md *,
#     struct __sk_buff *, ...: the context only with the kernel's BTF), and
#     no object both tail-calls (helper 12) and has subprograms (refused
#     without a JIT with subprogram tail calls); each check shown on a
#     program made here that has the fault.
# The static binaries of other CPUs are checked by tests/cross/cross.t
# (make test-cross).
set -u
cd "$(dirname "$0")/.." || exit 1
source tests/lib/harness.sh

OBJS="tiu_xdp tiu_tc tiu_tc_compat tiu_sockops"
need_cmd clang llvm-readelf llvm-objdump perl bpftool
for o in $OBJS; do
	[ -r "$BUILD/$o.bpf.o" ] && [ -r "$BUILD/$o.skel.h" ] || skip_all "$BUILD/$o.bpf.o or its skeleton not built (make)"
done
h_init tiuo

# The byte order of this machine's compiler, as readelf names it.
if echo | ${CC:-cc} -dM -E - | grep -q '__BYTE_ORDER__ __ORDER_BIG_ENDIAN__'; then
	HOST=big OTHER=bpfel OTHER_NAME=little
else
	HOST=little OTHER=bpfeb OTHER_NAME=big
fi

# printk_calls OBJECT: the calls of helper 6 or 177 in its code, one per line.
printk_calls() { llvm-objdump -d --no-show-raw-insn "$1" | grep -E '^ *[0-9]+:[[:space:]]+call (6|177)$'; }

t_byte_order() {
	local o data bad=0
	for o in $OBJS; do
		data=$(LC_ALL=C llvm-readelf -h "$BUILD/$o.bpf.o" | sed -n 's/^ *Data: *//p')
		note "$o.bpf.o: $data, $(LC_ALL=C llvm-readelf -h "$BUILD/$o.bpf.o" | sed -n 's/^ *Machine: *//p')"
		grep -q "$HOST endian" <<<"$data" || bad=1
	done
	return $bad
}
check "every shipped object is BPF of this machine's byte order ($HOST endian)" t_byte_order

t_printk_caught() {
	cat >"$H_WORK/printk.bpf.c" <<-'EOF'
	#include <linux/bpf.h>
	#include <bpf/bpf_helpers.h>
	SEC("xdp") int p(struct xdp_md *ctx) { bpf_printk("hello %d", ctx->ingress_ifindex); return XDP_PASS; }
	char LICENSE[] SEC("license") = "GPL";
	EOF
	clang -O2 -g -target bpf -I"/usr/include/$(${CC:-cc} -dumpmachine)" -c "$H_WORK/printk.bpf.c" -o "$H_WORK/printk.bpf.o" || return 1
	printk_calls "$H_WORK/printk.bpf.o" | sed 's/^/found: /'
	[ -n "$(printk_calls "$H_WORK/printk.bpf.o")" ]
}
check "the check finds the bpf_trace_printk call of a program using bpf_printk" t_printk_caught

t_no_printk() {
	local o bad=0 c
	for o in $OBJS; do
		c=$(printk_calls "$BUILD/$o.bpf.o")
		[ -z "$c" ] && continue
		echo "# $o.bpf.o calls a trace_printk helper:"; sed 's/^/#   /' <<<"$c"
		bad=1
	done
	return $bad
}
check "no shipped object calls bpf_trace_printk or bpf_trace_vprintk" t_no_printk

t_other_order() {
	local o src def bad=0
	for o in $OBJS; do
		def=
		case $o in
		tiu_xdp) src=xdp/tiu_xdp.bpf.c ;;
		tiu_tc_compat) src=tc/tiu_tc.bpf.c def=-DTIU_NO_KFUNC ;;
		tiu_sockops) src=cgroup/tiu_sockops.bpf.c ;;
		*) src=tc/$o.bpf.c ;;
		esac
		clang -O2 -g -target $OTHER -Wall -Werror -Iheaders -I"/usr/include/$(${CC:-cc} -dumpmachine)" \
			$def -c $src -o "$H_WORK/$o.$OTHER.o"
		[ -r "$H_WORK/$o.$OTHER.o" ] || { echo "# $src does not build with -target $OTHER"; bad=1; continue; }
		LC_ALL=C llvm-readelf -h "$H_WORK/$o.$OTHER.o" | grep -q "Data:.*$OTHER_NAME endian" ||
			{ echo "# $o.$OTHER.o is not $OTHER_NAME endian"; bad=1; }
		if ! diff <(scripts/bpf-layout.sh "$BUILD/$o.bpf.o") <(scripts/bpf-layout.sh "$H_WORK/$o.$OTHER.o") |
			sed 's/^/# /'; then
			echo "# $o: the $OTHER build differs in what the skeleton names"; bad=1
		fi
		note "$o: $(scripts/bpf-layout.sh "$H_WORK/$o.$OTHER.o" | wc -l) layout lines equal in both byte orders"
	done
	return $bad
}
check "every object builds for the other byte order ($OTHER) with -Werror, with the same maps, variables and programs" t_other_order

t_embed_identity() {
	local o bad=0
	for o in $OBJS; do
		scripts/skel-embed.pl "$BUILD/$o.skel.h" "$BUILD/$o.bpf.o" >"$H_WORK/$o.skel.h" &&
			cmp "$H_WORK/$o.skel.h" "$BUILD/$o.skel.h" || bad=1
	done
	return $bad
}
check "skel-embed.pl of each skeleton and its own object is bpftool's skeleton, byte for byte" t_embed_identity

t_embed_other() {
	# The other byte order's bytes replace the host's: the embedded string
	# decodes to exactly that object.
	scripts/skel-embed.pl "$BUILD/tiu_sockops.skel.h" "$H_WORK/tiu_sockops.$OTHER.o" >"$H_WORK/eb.skel.h" || return 1
	perl -0ne 'm/__elf_bytes\(size_t \*sz\)\n\{\n\t\*sz = (\d+);\n\treturn \(const void \*\)"\\\n(.*?)";\n\}/s or die "no bytes\n";
		my ($n, $s) = ($1, $2); $s =~ s/\\\n//g; $s =~ s/\\x([0-9a-f]{2})/chr(hex($1))/ge; $s =~ s/\\0/\0/g;
		length($s) == $n or die "size $n, bytes " . length($s) . "\n"; print $s' "$H_WORK/eb.skel.h" >"$H_WORK/eb.o" &&
		cmp "$H_WORK/eb.o" "$H_WORK/tiu_sockops.$OTHER.o"
}
check "skel-embed.pl puts the $OTHER object's bytes, and their size, into the skeleton" t_embed_other

# ctx_globals OBJECT: "NAME(ARG: struct TYPE *)" for each global subprogram
# (a global function in .text) with an argument that points to a program
# context type; a kernel without BTF types it as possibly-NULL memory
# (btf_prepare_func_args(), btf_get_prog_ctx_type()) and refuses the
# context's fields.
ctx_globals() {
	local subs
	subs=$(llvm-objdump -t "$1" | awk '$2 == "g" && $3 == "F" && $4 == ".text" { print $NF }')
	[ -n "$subs" ] || return 0
	bpftool btf dump file "$1" format raw | SUBS="$subs" perl -e '
		my %sub = map { $_ => 1 } split /\s+/, $ENV{SUBS};
		my (%t, %params, $cur);
		while (<STDIN>) {
			if (/^\[(\d+)\] (\S+) \x27([^\x27]*)\x27(.*)$/) {
				$cur = $1; $t{$1} = { kind => $2, name => $3, rest => $4 };
			} elsif (/^\t\x27([^\x27]*)\x27 type_id=(\d+)/ && defined $cur) {
				push @{$params{$cur}}, [$1, $2];
			}
		}
		for my $id (sort { $a <=> $b } keys %t) {
			my $f = $t{$id};
			next unless $f->{kind} eq "FUNC" && $sub{$f->{name}} && $f->{rest} =~ /linkage=global/;
			my ($proto) = $f->{rest} =~ /type_id=(\d+)/;
			for my $p (@{$params{$proto} || []}) {
				my $tid = $p->[1];
				next unless $t{$tid} && $t{$tid}{kind} eq "PTR";
				($tid) = $t{$tid}{rest} =~ /type_id=(\d+)/;
				$tid = ($t{$tid}{rest} =~ /type_id=(\d+)/)[0]
					while $t{$tid} && $t{$tid}{kind} =~ /^(CONST|VOLATILE|TYPEDEF|RESTRICT|TYPE_TAG)$/;
				my $n = $t{$tid} ? $t{$tid}{name} : "";
				print "$f->{name}($p->[0]: struct $n *)\n"
					if $n =~ /^(xdp_md|__sk_buff|bpf_sock_ops|sk_msg_md|bpf_sock|bpf_sock_addr|sk_reuseport_md|bpf_sk_lookup|bpf_sockopt|bpf_perf_event_data|pt_regs)$/;
			}
		}'
}

# tail_and_sub OBJECT: a line if it has both a tail call (helper 12) and a
# subprogram in .text.
tail_and_sub() {
	local tc sub
	tc=$(llvm-objdump -d --no-show-raw-insn "$1" | grep -cE '^ *[0-9]+:[[:space:]]+call 12$')
	sub=$(llvm-objdump -t "$1" | awk '$3 == "F" && $4 == ".text"' | wc -l)
	[ "$tc" -gt 0 ] && [ "$sub" -gt 0 ] && echo "$tc tail call(s), $sub subprogram(s)"
	return 0
}

t_nobtf_caught() {
	cat >"$H_WORK/ctxsub.bpf.c" <<-'EOF'
	#include <linux/bpf.h>
	#include <bpf/bpf_helpers.h>
	struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); } pa SEC(".maps");
	__attribute__((noinline)) int sub(struct xdp_md *ctx) { return ctx->data_end - ctx->data; }
	SEC("xdp") int p(struct xdp_md *ctx) { bpf_tail_call(ctx, &pa, 0); return sub(ctx) > 0 ? XDP_PASS : XDP_DROP; }
	char LICENSE[] SEC("license") = "GPL";
	EOF
	clang -O2 -g -target bpf -I"/usr/include/$(${CC:-cc} -dumpmachine)" -c "$H_WORK/ctxsub.bpf.c" -o "$H_WORK/ctxsub.bpf.o" || return 1
	local c t
	c=$(ctx_globals "$H_WORK/ctxsub.bpf.o") t=$(tail_and_sub "$H_WORK/ctxsub.bpf.o")
	echo "# found: ${c:-nothing}; ${t:-nothing}"
	[ "$c" = "sub(ctx: struct xdp_md *)" ] && [ -n "$t" ]
}
check "the checks find a global subprogram taking struct xdp_md * and a tail call beside a subprogram" t_nobtf_caught

# each_obj CHECK WHY: CHECK's findings in every shipped object, each told with WHY; fails if any
each_obj() {
	local o bad=0 c
	for o in $OBJS; do
		c=$($1 "$BUILD/$o.bpf.o")
		[ -z "$c" ] && continue
		echo "# $o.bpf.o ($2):"
		sed 's/^/#   /' <<<"$c"
		bad=1
	done
	return $bad
}
check "no global subprogram of a shipped object takes the program's context (kernels without BTF)" \
	each_obj ctx_globals "a global subprogram takes the context: refused without kernel BTF"
check "no shipped object mixes tail calls and subprograms (interpreter, 32-bit JITs)" \
	each_obj tail_and_sub "refused without a JIT that has subprogram tail calls"

tap_done
