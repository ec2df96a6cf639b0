#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0
#
# report.pl - summarise throughput.sh's "throughput key=value" lines.
#
# usage: report.pl RAW MD_OUT DAT_OUT
#   MD_OUT:  Markdown table (medians over runs, ratios to the baselines of the
#            same run) and the headline ratios
#   DAT_OUT: gnuplot data: config, median Gbit/s per flow count (- if absent)
use strict;
use warnings;

my ($raw, $md_out, $dat_out) = @ARGV;
die "usage: report.pl RAW MD_OUT DAT_OUT\n" unless $dat_out;

my (@order, %seen, %rows, %skip, %flows_seen);
open(my $in, '<', $raw) or die "$raw: $!\n";
while (<$in>) {
	next unless s/^throughput //;
	my %kv;
	$kv{$1} = $2 while /(\w+)=("[^"]*"|\S+)/g;
	my $c = $kv{config};
	push @order, $c unless $seen{$c}++;
	if (/ SKIP /) {
		($skip{$c} = $kv{reason} // '') =~ s/"//g;
		next;
	}
	$flows_seen{$kv{flows}} = 1;
	push @{$rows{$c}{$kv{flows}}}, \%kv;
}
close $in;

sub median {
	my @v = sort { $a <=> $b } @_;
	return undef unless @v;
	return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}

# median of a field over the good runs of (config, flows)
sub med {
	my ($c, $f, $k) = @_;
	my @ok = grep { $_->{ok} && defined $_->{$k} } @{$rows{$c}{$f} // []};
	return median(map { $_->{$k} } @ok);
}

my @flows = sort { $a <=> $b } keys %flows_seen;
my %desc = (
	'plain-default'     => 'plain TCP, veth defaults (TSO), tx on',
	'plain-swgso'       => 'plain TCP, software GSO (tx off)',
	'plain-seg1'        => 'plain TCP, gso_max_segs 1 (tx off)',
	'tiu-xdpN'          => 'tiu, XDP native decap, GRO off, tx off',
	'tiu-xdpN-gro'      => 'tiu, XDP native decap, GRO on, tx off',
	'tiu-xdpG'          => 'tiu, XDP generic decap, tx off',
	'tiu-tc'            => 'tiu, TC decap, tx off',
	'tiu-tc-txon'       => 'tiu, TC decap, tx on',
	'tiu-xdpN-gro-txon' => 'tiu, XDP native decap, GRO on, tx on',
	'tiu-tc-64k'        => 'tiu, TC decap, tx off, 65,536 endpoints in the map of each side (scale case)',
);

open(my $md, '>', $md_out) or die "$md_out: $!\n";
print $md "| configuration | flows | good runs | Gbit/s median | min–max | × plain-swgso | × plain-seg1 | retrans. median | machine CPU s/GB | sender iperf3 CPU s/GB | receiver iperf3 CPU s/GB | on the wire |\n";
print $md "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n";
for my $c (@order) {
	if (exists $skip{$c}) {
		print $md "| $c | | 0 | skipped: $skip{$c} | | | | | | | | |\n";
		next;
	}
	for my $f (@flows) {
		my $all = $rows{$c}{$f} or next;
		my @ok = grep { $_->{ok} } @$all;
		my @g = sort { $a <=> $b } map { $_->{gbps} } @ok;
		my $g = median(@g);
		my ($sw, $s1) = (med('plain-swgso', $f, 'gbps'), med('plain-seg1', $f, 'gbps'));
		my $fmt = sub { defined $_[0] ? sprintf($_[1], $_[0]) : '–' };
		my $ratio = sub { defined $g && $_[0] ? sprintf('%.2f', $g / $_[0]) : '–' };
		my %wire = map { $_->{wire} => 1 } @$all;
		printf $md "| %s | %d | %d/%d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			$c, $f, scalar @ok, scalar @$all, $fmt->($g, '%.2f'),
			@g ? sprintf('%.2f–%.2f', $g[0], $g[-1]) : '–',
			$ratio->($sw), $ratio->($s1), $fmt->(med($c, $f, 'retr'), '%.0f'),
			$fmt->(med($c, $f, 'cpu_s_per_gb'), '%.2f'),
			$fmt->(med($c, $f, 'snd_cpu_s_per_gb'), '%.2f'),
			$fmt->(med($c, $f, 'rcv_cpu_s_per_gb'), '%.2f'), join(',', sort keys %wire);
	}
}
print $md "\nConfigurations:\n\n";
print $md "- `$_`: " . ($desc{$_} // $_) . "\n" for @order;

# Headline: the best tiu configuration with tx off (what a real NIC does)
# against the two baselines, per flow count, all from this run.
print $md "\nHeadline ratios (medians of this run; tiu = each tiu configuration with tx off):\n\n";
for my $f (@flows) {
	my ($sw, $s1) = (med('plain-swgso', $f, 'gbps'), med('plain-seg1', $f, 'gbps'));
	for my $c (grep { /^tiu-/ && !/txon/ } @order) {
		my $g = med($c, $f, 'gbps');
		next unless defined $g;
		printf $md "- %d flow(s), %s: %.2f Gbit/s = %s × plain TCP with software GSO, %s × one segment per skb\n",
			$f, $c, $g, $sw ? sprintf('%.2f', $g / $sw) : '–', $s1 ? sprintf('%.2f', $g / $s1) : '–';
	}
}
close $md;

open(my $dat, '>', $dat_out) or die "$dat_out: $!\n";
print $dat "# config " . join(' ', map { "flows$_" } @flows) . "\n";
for my $c (@order) {
	next if exists $skip{$c};
	print $dat join(' ', $c, map { my $g = med($c, $_, 'gbps'); defined $g ? sprintf('%.3f', $g) : '-' } @flows) . "\n";
}
close $dat;
