#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0
#
# perfcost.pl - where the CPU of a throughput run goes, per GB received.
#
# usage: perfcost.pl [-s TOP] [-i REGEX]... RAW PERFDIR
#   RAW:     throughput.sh's output of a run with `-p PERFDIR`
#   PERFDIR: its profiles, CFG-fFLOWS-rRUN.data (`perf record -a -g`)
#   -s TOP:  also list the TOP symbols by self time (default 25), without
#            the samples of "other processes" and "user other"
#   -i REGEX: also print the inclusive time of the samples with a kernel
#            frame matching REGEX anywhere in their chain (e.g. -i
#            '^__skb_checksum_complete$': the receiver's checksum check)
#
# Each sample (cpu-clock, its period in ns) is charged to a group: walk its
# kernel call chain from the leaf up and take the first frame that names a
# group (below); frames such as locks, allocators, memcpy and interrupt entry
# name none, so they are charged to their caller (an allocation in
# skb_segment() is segmentation, a lock in enqueue_to_backlog() is backlog).
# Idle (the leaf is a halt/idle function) is left out. User-space leaves are
# "user iperf3" or "user other". A sample of another process (not iperf3,
# the idle task, ksoftirqd, a NAPI thread or a kworker) counts as "other
# processes" unless it is in softirq or interrupt context, where the
# benchmark's packets are processed on whatever task was running.
# Printed: milliseconds of CPU per GB received, median over the runs of
# each configuration and flow count; "busy, benchmark" leaves out
# "other processes" and "user other", i.e. most of what other work on the
# machine did meanwhile (the profile is system-wide).
use strict;
use warnings;

my ($top, @incl) = (25);
while (@ARGV && $ARGV[0] =~ /^-([si])$/) {
	shift;
	my $v = shift // die "usage: perfcost.pl [-s TOP] [-i REGEX]... RAW PERFDIR\n";
	if ($1 eq 's') { $top = $v } else { push @incl, $v }
}
my ($raw, $dir) = @ARGV;
die "usage: perfcost.pl [-s TOP] RAW PERFDIR\n" unless $dir;

# group => frame regex; tried in this order on each frame, leaf first
my @groups = (
	['idle'            => qr/^(pv_native_safe_halt|default_idle|native_safe_halt|cpu_idle_poll|acpi_idle|intel_idle|mwait_idle|poll_idle)/],
	['csum'            => qr/^(csum_partial|csum_partial_copy\w*|__skb_checksum\w*|skb_checksum\w*|csum_and_copy\w*|do_csum|csum_block\w*|skb_copy_and_csum\w*)$/],
	['user copy'       => qr/^(_copy_from_iter|_copy_to_iter|__skb_datagram_iter|skb_copy_datagram_iter|copy_user\w*|rep_movs\w*|_copy_from_user|_copy_to_user|skb_do_copy_data_nocache|tcp_sendmsg_fastopen)$/],
	['GSO segmentation'=> qr/^(skb_segment\w*|__skb_gso_segment|skb_mac_gso_segment|inet_gso_segment|ipv6_gso_segment|tcp\d?_gso_segment|tcp_gso_segment|__tcp_gso_segment\w*|validate_xmit_skb\w*|skb_gso_\w+|__copy_skb_header|skb_copy_bits)$/],
	['veth'            => qr/^veth_/],
	['backlog/RPS/IPI' => qr/^(enqueue_to_backlog|process_backlog|__netif_rx|netif_rx\w*|netif_rx_internal|get_rps_cpu|rps_\w+|net_rps_\w+|generic_exec_single|smp_call_function\w*|__smp_call_single_queue|send_call_function_single_ipi|flush_smp_call_function\w*|__flush_smp_call_function_queue|sysvec_call_function_single|x2apic_send_IPI|native_send_call_func_single_ipi|kick_napi\w*|____napi_schedule|__napi_schedule\w*)$/],
	['BPF/TC'          => qr/^(bpf_prog_\w+|bpf_\w+|__bpf_\w+|skb_do_redirect|tcf_\w+|tc_run|tcx_\w+|sch_handle_\w+|htab_\w+|__htab_\w+|percpu_array_\w+|array_map_\w+|cls_bpf_\w+|sk_skb_\w+|skb_ensure_writable|pskb_expand_head)$/],
	['netif_receive'   => qr/^(__netif_receive_skb\w*|netif_receive_skb\w*|eth_type_trans|napi_gro\w*|dev_gro_receive|gro_\w+|napi_complete\w*|napi_\w+|__napi_poll|net_rx_action|skb_defer_\w+)$/],
	['IP/route/forward/nf' => qr/^(ip_\w+|ip6_\w+|fib\w*|nf_\w+|nft_\w+|__nf_\w+|neigh_\w+|dst_\w+|rt_\w+|__ip_\w+|ipv4_\w+|raw_local_deliver|udp_\w+|__udp\w+|icmp\w*)$/],
	['dev xmit/qdisc'  => qr/^(__dev_queue_xmit|dev_queue_xmit\w*|dev_hard_start_xmit|sch_direct_xmit|__qdisc_run|pfifo_fast_\w+|netif_skb_features|dev_qdisc_\w+|qdisc_\w+|netdev_core_pick_tx|skb_network_protocol|validate_xmit_xfrm|skb_csum_hwoffload_help)$/],
	['TCP/socket'      => qr/^(tcp\w*|__tcp\w*|inet\w*|__inet\w*|sock_\w+|__sock_\w+|sk_\w+|__sk_\w+|release_sock|lock_sock\w*|skb_entail|tso_\w+|__skb_clone|skb_clone|sk_stream_\w+|security_sock\w*|bictcp\w*|cubictcp\w*|__release_sock|ksys_(read|write)|vfs_(read|write)|sock_(read|write)_iter|__x64_sys_\w+)$/],
);
my @order = ((map { $_->[0] } @groups[1 .. $#groups]), 'softirq/irq entry', 'other kernel', 'user iperf3',
	'user other', 'other processes');
my %not_ours = ('user other' => 1, 'other processes' => 1);
my $irq_frame = qr/^(handle_softirqs|__irq_exit_rcu|do_softirq\S*|__do_softirq|sysvec_\w+|asm_sysvec_\w+|irq_exit_rcu|__local_bh_enable_ip|net_rx_action)$/;

sub classify {
	my ($comm, $frames) = @_; # frames: [ [ip, sym], ... ] leaf first
	return 'user' unless @$frames;
	my $leaf = $frames->[0];
	if ($leaf->[0] !~ /^ffff/) {
		return $comm eq 'iperf3' ? 'user iperf3' : 'user other';
	}
	return 'idle' if $leaf->[1] =~ $groups[0][1];
	if ($comm !~ /^(iperf3|swapper|ksoftirqd\S*|napi\S*|kworker\S*)$/ &&
	    !grep { $_->[1] =~ $irq_frame } @$frames) {
		return 'other processes';
	}
	for my $f (@$frames) {
		next unless $f->[0] =~ /^ffff/;
		for my $g (@groups[1 .. $#groups]) {
			return $g->[0] if $f->[1] =~ $g->[1];
		}
	}
	for my $f (@$frames) {
		return 'softirq/irq entry' if $f->[1] =~ /^(handle_softirqs|__irq_exit_rcu|do_softirq|__do_softirq|sysvec_\w+|asm_sysvec_\w+|irq_exit_rcu|run_ksoftirqd)/;
	}
	return 'other kernel';
}

sub profile {
	my ($file) = @_;
	my (%grp, %self, $comm, $period, @frames);
	my $flush = sub {
		return unless defined $period;
		my $g = classify($comm, \@frames);
		$grp{$g} += $period;
		for my $re (@incl) {
			$grp{"incl $re"} += $period if $g ne 'idle' && $g ne 'other processes' &&
				grep { $_->[0] =~ /^ffff/ && $_->[1] =~ /$re/ } @frames;
		}
		if ($g ne 'idle' && !$not_ours{$g} && @frames) {
			my $s = $frames[0][0] =~ /^ffff/ ? $frames[0][1] : "[user $comm]";
			$self{$s} += $period;
		}
		undef $period;
		@frames = ();
	};
	open(my $ps, '-|', 'perf', 'script', '-i', $file, '-F', 'comm,period,ip,sym') or die "perf script: $!\n";
	while (<$ps>) {
		chomp;
		if (/^(\S.*?)\s+(\d+)\s*$/) {
			$flush->();
			($comm, $period) = ($1, $2);
		} elsif (/^\s+([0-9a-f]+)\s+(\S+)/) {
			push @frames, [$1, $2];
		}
	}
	$flush->();
	close $ps;
	return (\%grp, \%self);
}

sub median {
	my @v = sort { $a <=> $b } @_;
	return 0 unless @v;
	return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}

# per (config, flows): list of {group => ms/GB}, {sym => ms/GB}
my (%res, @keys);
open(my $in, '<', $raw) or die "$raw: $!\n";
while (<$in>) {
	next unless /^throughput / && / ok=1/;
	my %kv;
	$kv{$1} = $2 while /(\w+)=(\S+)/g;
	my $f = "$dir/$kv{config}-f$kv{flows}-r$kv{run}.data";
	next unless -e $f;
	my $gb = $kv{bytes} / 1e9;
	my ($grp, $self) = profile($f);
	my %g = map { $_ => $grp->{$_} / 1e6 / $gb } keys %$grp;
	my %s = map { $_ => $self->{$_} / 1e6 / $gb } keys %$self;
	my $k = "$kv{config} f=$kv{flows}";
	push @keys, $k unless $res{$k};
	push @{$res{$k}}, { grp => \%g, self => \%s, gbps => $kv{gbps}, cpu => $kv{cpu_s_per_gb} };
}
close $in;
die "perfcost.pl: no profiled runs found in $raw / $dir\n" unless @keys;

print "CPU ms per GB received, median of the runs (n = runs)\n\n";
printf "| group | %s |\n", join(' | ', map { "$_ (n=" . @{$res{$_}} . ")" } @keys);
print '|---|', join('|', map { '---:' } @keys), "|\n";
my %tot;
for my $g (@order) {
	my @m = map { my $k = $_; median(map { $_->{grp}{$g} // 0 } @{$res{$k}}) } @keys;
	next unless grep { $_ >= 0.5 } @m;
	printf "| %s | %s |\n", $g, join(' | ', map { sprintf '%.0f', $_ } @m);
}
printf "| **busy, all groups** | %s |\n", join(' | ', map {
	my $k = $_;
	sprintf '%.0f', median(map { my $r = $_; my $t = 0; $t += $r->{grp}{$_} // 0 for @order; $t } @{$res{$k}})
} @keys);
for my $re (@incl) {
	printf "| inclusive: `%s` | %s |\n", $re, join(' | ', map {
		my $k = $_; sprintf '%.0f', median(map { $_->{grp}{"incl $re"} // 0 } @{$res{$k}})
	} @keys);
}
printf "| **busy, benchmark** | %s |\n", join(' | ', map {
	my $k = $_;
	sprintf '%.0f', median(map { my $r = $_; my $t = 0; $t += $not_ours{$_} ? 0 : $r->{grp}{$_} // 0 for @order; $t } @{$res{$k}})
} @keys);
printf "| Gbit/s (perf on) | %s |\n", join(' | ', map { my $k = $_; sprintf '%.2f', median(map { $_->{gbps} } @{$res{$k}}) } @keys);
printf "| throughput.sh machine CPU s/GB | %s |\n", join(' | ', map { my $k = $_; sprintf '%.2f', median(map { $_->{cpu} } @{$res{$k}}) } @keys);

if ($top > 0) {
	for my $k (@keys) {
		my %all;
		for my $r (@{$res{$k}}) { $all{$_} = 1 for keys %{$r->{self}} }
		my %m = map { my $s = $_; $s => median(map { $_->{self}{$s} // 0 } @{$res{$k}}) } keys %all;
		my @s = (sort { $m{$b} <=> $m{$a} } keys %m)[0 .. $top - 1];
		print "\nTop symbols by self time, $k (ms/GB, median):\n";
		printf "  %6.0f  %s\n", $m{$_}, $_ for grep { defined } @s;
	}
}
