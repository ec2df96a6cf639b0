// SPDX-License-Identifier: GPL-2.0
/*
 * model.c - the packet fuzzer's model: the tables the runner installs and
 * what each program does with a frame (verdict, the one counter that moves,
 * converted or not). Written from the wire format and the endpoint
 * semantics, without headers/ (only the counter and role numbers).
 */
#include <string.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include "pktfuzz.h"

/* ------------------------------------------------------------- the tables -- */
const uint8_t CLI4[4] = { 10, 77, 1, 1 }, SRV4[4] = { 10, 77, 2, 1 };
const uint8_t NEAR4[4] = { 10, 77, 2, 2 };
const uint8_t CLI6[16] = { 0xfd, 0x77, 0, 1, [15] = 1 };
const uint8_t SRV6[16] = { 0xfd, 0x77, 0, 2, [15] = 1 };
const uint8_t MAPPED_SRV4[16] = { [10] = 0xff, [11] = 0xff, 10, 77, 2, 1 };
const uint8_t MAPPED_CLI4[16] = { [10] = 0xff, [11] = 0xff, 10, 77, 1, 1 };
const uint16_t PORTS[] = { 5201, 7000, 8000, 9, 40000, 443, 6100, 6199, 6200, 7100, 7199, 7200,
			    6250 };
const size_t NPORTS = sizeof(PORTS) / sizeof(PORTS[0]);

const struct ep EPS[] = {
	{ SLOT, 4, SRV4, 5201, 5201, TIU_ROLE_REMOTE },
	{ SLOT, 6, SRV6, 5201, 5201, TIU_ROLE_REMOTE },
	{ SLOT, 0, NULL, 7000, 7000, TIU_ROLE_LOCAL },
	{ SLOT, 4, CLI4, 8000, 8000, TIU_ROLE_LOCAL },
	{ SLOT, 6, CLI6, 8000, 8000, TIU_ROLE_LOCAL },
	{ SLOT, 4, SRV4, 6100, 6199, TIU_ROLE_REMOTE },
	{ SLOT, 0, NULL, 7100, 7199, TIU_ROLE_LOCAL },
	{ SLOT_OTHER, 0, NULL, 9, 9, TIU_ROLE_REMOTE },
	{ SLOT_OTHER, 0, NULL, 5201, 5201, TIU_ROLE_LOCAL },
	{ SLOT_OTHER, 4, CLI4, 40000, 40000, TIU_ROLE_LOCAL },
	{ SLOT_OTHER, 6, SRV6, 6200, 6299, TIU_ROLE_REMOTE },
	{ SLOT_OTHER, 0, NULL, 7200, 7299, TIU_ROLE_LOCAL },
};
const size_t NEPS = sizeof(EPS) / sizeof(EPS[0]);

const char *const link_names[LM__N] = { "real+detour", "none", "real without detour",
					"detour without out" };

struct model_world world = { .eps_on = 1, .link = LM_BOTH };

/* The model's view of an endpoint key: 16 bytes, IPv4 v4-mapped. */
static void key_addr(const struct ep *e, uint8_t out[16])
{
	memset(out, 0, 16);
	if (e->family == 4) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, e->addr, 4);
	} else if (e->family == 6) {
		memcpy(out, e->addr, 16);
	}
}

/* An endpoint of SLOT with this role matches (exact address or wildcard,
 * the port within its range). */
static int match(const uint8_t addr[16], uint16_t port, uint8_t role)
{
	static const uint8_t zero[16];

	if (!world.eps_on)
		return 0;
	for (size_t i = 0; i < NEPS; i++) {
		uint8_t k[16];

		if (EPS[i].slot != SLOT || port < EPS[i].port || port > EPS[i].last ||
		    EPS[i].role != role)
			continue;
		key_addr(&EPS[i], k);
		if (!memcmp(k, addr, 16) || !memcmp(k, zero, 16))
			return 1;
	}
	return 0;
}

/* tiu_ifaces[SLOT] names IFX: the detour has an interface to send to. */
static int world_is_detour(void)
{
	return world.link == LM_BOTH || world.link == LM_REAL_NO_DETOUR;
}

/* tiu_ifaces[SLOT] names a detour (IFX) for egress to redirect to. */
static int world_has_detour(void)
{
	return world.link == LM_BOTH || world.link == LM_DETOUR_NO_OUT;
}

/* ---------------------------------------------------------------- parsing -- */
/*
 * Ethernet, up to two 802.1Q/802.1ad tags (or nothing: raw IP), IPv4 (IHL >= 5, total length
 * within the frame), IPv6 (payload length non-zero and within the frame,
 * up to 6 extension headers of the kinds hop-by-hop, routing, fragment,
 * destination options, AH, whose total fits in the payload). Lengths come
 * from the IP header; bytes after it are Ethernet padding.
 */
static int is_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60;
}

static int is_vlan(uint16_t et) { return et == 0x8100 || et == 0x88a8; }

/* Link layer: the offset of the IP header and its ethertype, or 0; *ipish
 * as struct mparse says (a tag cut short, or a third one, counts). */
static size_t parse_l2(const uint8_t *b, size_t len, uint16_t *et, int *ipish)
{
	size_t off = 14;

	*ipish = 0;
	if (len < 14)
		return 0;
	*et = pkt_get16(b + 12);
	for (int v = 0; v < 2 && is_vlan(*et); v++) {
		if (off + 4 > len) {
			*ipish = 1;
			return 0;
		}
		*et = pkt_get16(b + off + 2);
		off += 4;
	}
	if (is_vlan(*et)) {
		*ipish = 1;
		return 0;
	}
	*ipish = *et == 0x0800 || *et == 0x86dd;
	return off;
}

static int parse_ipv4(const uint8_t *b, size_t len, size_t off, struct mparse *m)
{
	const uint8_t *ip = b + off;
	size_t room = len - off;
	uint32_t ihl, tot;

	if (room < 20 || ip[0] >> 4 != 4)
		return 0;
	ihl = (ip[0] & 15) * 4;
	tot = pkt_get16(ip + 2);
	if (ihl < 20 || tot < ihl || tot > room)
		return 0;
	m->family = 4;
	m->frag = (pkt_get16(ip + 6) & 0x3fff) != 0;
	m->proto = ip[9];
	m->proto_off = off + 9;
	m->l4_off = off + ihl;
	m->l4_len = tot - ihl;
	m->saddr[10] = m->saddr[11] = m->daddr[10] = m->daddr[11] = 0xff;
	memcpy(m->saddr + 12, ip + 12, 4);
	memcpy(m->daddr + 12, ip + 16, 4);
	return 1;
}

static int parse_ipv6(const uint8_t *b, size_t len, size_t off, struct mparse *m)
{
	const uint8_t *ip = b + off;
	size_t room = len - off, cur = off + 40, nh_off = off + 6;
	uint32_t payload, ext = 0;
	uint8_t nh;

	if (room < 40 || ip[0] >> 4 != 6)
		return 0;
	payload = pkt_get16(ip + 4);
	if (payload == 0 || payload + 40 > room)
		return 0;
	nh = ip[6];
	for (int n = 0; is_ext(nh); n++) {
		uint32_t hl;

		if (n == 6 || cur + 2 > len)
			return 0;
		if (nh == 44) {
			m->frag = 1;
			hl = 8;
		} else if (nh == 51) {
			hl = (b[cur + 1] + 2) * 4;
		} else {
			hl = (b[cur + 1] + 1) * 8;
		}
		nh_off = cur;
		nh = b[cur];
		cur += hl;
		ext += hl;
	}
	if (ext > payload)
		return 0;
	m->family = 6;
	m->proto = nh;
	m->proto_off = nh_off;
	m->l4_off = cur;
	m->l4_len = payload - ext;
	memcpy(m->saddr, ip + 8, 16);
	memcpy(m->daddr, ip + 24, 16);
	return 1;
}

void model_parse_raw(const uint8_t *b, size_t len, struct mparse *m)
{
	memset(m, 0, sizeof(*m));
	m->ipish = len && (b[0] >> 4 == 4 || b[0] >> 4 == 6);
	if (len && b[0] >> 4 == 4)
		m->ok = parse_ipv4(b, len, 0, m);
	else if (len && b[0] >> 4 == 6)
		m->ok = parse_ipv6(b, len, 0, m);
}

void model_parse(const uint8_t *b, size_t len, struct mparse *m)
{
	uint16_t et = 0;
	size_t off;

	memset(m, 0, sizeof(*m));
	off = parse_l2(b, len, &et, &m->ipish);
	if (!off)
		return;
	m->l3_off = off;
	if (et == 0x0800)
		m->ok = parse_ipv4(b, len, off, m);
	else if (et == 0x86dd)
		m->ok = parse_ipv6(b, len, off, m);
}

/* -------------------------------------------------------------- decisions -- */
/* The outcome of one decision: a verdict and the counter that moves. */
struct outcome {
	enum mverdict v;
	int stat;
};

#define NOTHING       ((struct outcome){ MV_PASS, ST_NONE }) /* not a candidate */
#define PASS(s)       ((struct outcome){ MV_PASS, TIU_STAT_##s })
#define DROP(s)       ((struct outcome){ MV_DROP, TIU_STAT_##s })
#define REDIRECT(s)   ((struct outcome){ MV_REDIRECT, TIU_STAT_##s })

/* The bytes counter of a conversion counter; ST_NONE for any other. */
static int bytes_stat_of(int stat)
{
	switch (stat) {
	case TIU_STAT_DEC_CONVERTED: return TIU_STAT_DEC_BYTES;
	case TIU_STAT_ENC_CONVERTED: return TIU_STAT_ENC_BYTES;
	case TIU_STAT_DET_CONVERTED: return TIU_STAT_DET_BYTES;
	default: return ST_NONE;
	}
}

static unsigned doff_bytes(uint8_t b) { return (b >> 4) * 4u; }

/* ----------------------------------------------------------- ICMP errors -- */
/*
 * Errors that quote a packet we sent: ICMP destination unreachable (3), time
 * exceeded (11), parameter problem (12); ICMPv6 destination unreachable (1),
 * packet too big (2), time exceeded (3), parameter problem (4).
 */
static int icmp_is_error(int family, uint8_t type)
{
	if (family == 4)
		return type == 3 || type == 11 || type == 12;
	return type >= 1 && type <= 4;
}

void model_parse_quote(const uint8_t *b, const struct mparse *m, struct mquote *q)
{
	size_t off = m->l4_off + 8;
	uint32_t qlen = m->l4_len - 8, hl;
	const uint8_t *ip = b + off;

	memset(q, 0, sizeof(*q));
	q->off = off;
	q->len = qlen;
	if (m->family == 4) {
		if (qlen < 20 || ip[0] >> 4 != 4)
			return;
		hl = (ip[0] & 15) * 4;
		if (hl < 20 || hl > qlen || (pkt_get16(ip + 6) & 0x3fff))
			return;
		q->proto = ip[9];
		q->proto_off = off + 9;
		q->saddr[10] = q->saddr[11] = q->daddr[10] = q->daddr[11] = 0xff;
		memcpy(q->saddr + 12, ip + 12, 4);
		memcpy(q->daddr + 12, ip + 16, 4);
	} else {
		uint8_t nh;

		if (qlen < 40 || ip[0] >> 4 != 6)
			return;
		hl = 40;
		nh = ip[6];
		q->proto_off = off + 6;
		/* hop-by-hop, routing, destination options, AH; at most 6; a
		 * fragment header (44) ends the walk: a fragment is not ours */
		for (int n = 0; n < 6 && (nh == 0 || nh == 43 || nh == 60 || nh == 51); n++) {
			uint32_t ext;

			if (hl + 2 > qlen)
				return;
			ext = nh == 51 ? (ip[hl + 1] + 2) * 4u : (ip[hl + 1] + 1) * 8u;
			q->proto_off = off + hl;
			nh = ip[hl];
			hl += ext;
		}
		if (hl > qlen)
			return;
		q->proto = nh;
		memcpy(q->saddr, ip + 8, 16);
		memcpy(q->daddr, ip + 24, 16);
	}
	q->ok = 1;
	q->l4_off = off + hl;
	q->l4_len = qlen - hl;
}

/* ICMP/ICMPv6 on ingress: an error quoting a packet we sent through the
 * tunnel (UDP matching the egress rule) gets its quote restored. */
static struct outcome icmp(const struct mparse *m, const uint8_t *b, struct mquote *q)
{
	const uint8_t *l4;

	if (m->l4_off > 512 || m->l4_len < 8 || !icmp_is_error(m->family, b[m->l4_off]))
		return NOTHING; /* not an error of those types (or further in than tiu looks) */
	model_parse_quote(b, m, q);
	if (!q->ok || q->proto != 17 || q->l4_len < 4)
		return PASS(DEC_ICMP_PASS);
	l4 = b + q->l4_off;
	if (!match(q->saddr, pkt_get16(l4), TIU_ROLE_LOCAL) &&
	    !match(q->daddr, pkt_get16(l4 + 2), TIU_ROLE_REMOTE))
		return PASS(DEC_ICMP_PASS);
	if (q->l4_len < 16) /* the wire's sequence number ends at byte 16 */
		return PASS(DEC_ICMP_SKIP_SHORT);
	return PASS(DEC_ICMP_TRANSLATED);
}

/*
 * A remote=-only match is restored only for a connection this host has
 * (tiu_decap_ours()). The fuzzer's namespace holds exactly these, in
 * SYN_SENT for the whole run (test_pktfuzz.c, fuzz_sockets()): CLI:40000 ->
 * SRV:5201 in both families, CLI4:40000 -> SRV4:6100 and 6199. An IPv6
 * packet with v4-mapped addresses is looked up as IPv6 and finds none of
 * them. TC programs of the raw-IP objects run as LWT_XMIT, which has no
 * socket lookup: tiu_no_sk_lookup, nothing is ours there.
 */
static int ours(enum kind kind, const struct mparse *m, const uint8_t *l4)
{
	uint16_t sport = pkt_get16(l4), dport = pkt_get16(l4 + 2);

	if ((world.raw && kind == K_TC_DECAP) || dport != 40000)
		return 0;
	if (m->family == 4)
		return !memcmp(m->saddr, MAPPED_SRV4, 16) && !memcmp(m->daddr, MAPPED_CLI4, 16) &&
		       (sport == 5201 || sport == 6100 || sport == 6199);
	return !memcmp(m->saddr, SRV6, 16) && !memcmp(m->daddr, CLI6, 16) && sport == 5201;
}

/* Decap (XDP and TC ingress): tunnelled UDP to TCP. */
static struct outcome decap(enum kind kind, const struct mparse *m, const uint8_t *b,
			    size_t len, uint32_t gso, struct mquote *q)
{
	const uint8_t *l4 = b + m->l4_off;
	int local;

	if (!m->ok) /* IP that cannot be parsed may be tunnelled UDP */
		return m->ipish ? PASS(DEC_SKIP_UNPARSED) : NOTHING;
	if (!m->frag && m->proto == (m->family == 4 ? 1 : 58))
		return icmp(m, b, q);
	if (m->proto != 17)
		return NOTHING;
	if (m->frag)
		return PASS(DEC_SKIP_FRAGMENT);
	if (m->l4_off + 8 > len) /* no whole UDP header in the frame: cannot match */
		return PASS(DEC_SKIP_UNPARSED);
	local = match(m->daddr, pkt_get16(l4 + 2), TIU_ROLE_LOCAL);
	if (!local && !match(m->saddr, pkt_get16(l4), TIU_ROLE_REMOTE))
		return PASS(DEC_PASS);
	if (pkt_get16(l4 + 4) != m->l4_len)
		return PASS(DEC_SKIP_LENGTH);
	if (kind == K_TC_DECAP && gso > 1)
		return PASS(DEC_SKIP_GSO);
	if (doff_bytes(l4[8]) < 20 || doff_bytes(l4[8]) > m->l4_len)
		return PASS(DEC_SKIP_SHORT);
	if (!local && !ours(kind, m, l4))
		return PASS(DEC_SKIP_NOT_OURS);
	if (pkt_get16(l4 + 6) == 0)
		return m->family == 4 ? DROP(DEC_DROP_CSUM0_V4) : DROP(DEC_DROP_CSUM0_V6);
	return PASS(DEC_CONVERTED);
}

/* What egress and the detour see in a TCP frame, in the order they look. */
enum tcp_class { TCP_NONE, TCP_UNPARSED, TCP_FRAGMENT, TCP_NOT_OURS, TCP_MALFORMED, TCP_URG,
		 TCP_CANDIDATE };

/* Egress only: the interface's mark selector, (mark & mask) == value. */
static int mark_match(uint32_t mark)
{
	return world.mark_sel && (mark & MARK_MASK) == MARK_VAL;
}

static enum tcp_class tcp_classify(const struct mparse *m, const uint8_t *b, size_t len,
				   uint32_t mark)
{
	const uint8_t *l4 = b + m->l4_off;

	if (!m->ok) /* IP that cannot be parsed may be TCP to an endpoint */
		return m->ipish ? TCP_UNPARSED : TCP_NONE;
	if (m->proto != 6)
		return TCP_NONE;
	if (m->frag)
		return TCP_FRAGMENT;
	if (m->l4_off + 4 > len) /* ports not in the frame: cannot match */
		return TCP_UNPARSED;
	if ((!match(m->saddr, pkt_get16(l4), TIU_ROLE_LOCAL) &&
	     !match(m->daddr, pkt_get16(l4 + 2), TIU_ROLE_REMOTE) && !mark_match(mark)))
		return TCP_NOT_OURS;
	if (m->l4_off + 20 > len || doff_bytes(l4[12]) < 20 || doff_bytes(l4[12]) > m->l4_len)
		return TCP_MALFORMED;
	if (l4[13] & 0x20)
		return TCP_URG;
	return TCP_CANDIDATE;
}

/* Egress (TC): TCP to UDP in place, or to the detour. */
static struct outcome egress(int compat, enum tcp_class c, uint32_t gso)
{
	switch (c) {
	case TCP_NONE: return NOTHING;
	case TCP_UNPARSED: return PASS(ENC_SKIP_UNPARSED);
	case TCP_FRAGMENT: return PASS(ENC_SKIP_FRAGMENT);
	case TCP_NOT_OURS: return PASS(ENC_PASS);
	case TCP_MALFORMED: return DROP(ENC_DROP_MALFORMED);
	case TCP_URG: return DROP(ENC_DROP_URG);
	case TCP_CANDIDATE: break;
	}
	/* test-run skbs are CHECKSUM_NONE; compat cannot tell */
	if (compat || gso > 1)
		return world_has_detour() ? REDIRECT(ENC_DETOURED) : DROP(ENC_DROP_NO_DETOUR);
	return PASS(ENC_CONVERTED);
}

/* The detour (TC egress of the detour device): segmented TCP to UDP, then
 * redirected; nothing else may leave it. */
static struct outcome detour(enum tcp_class c, uint32_t gso)
{
	if (!world_is_detour())
		return DROP(DET_DROP_UNEXPECTED);
	switch (c) {
	case TCP_NONE:
	case TCP_UNPARSED:
	case TCP_FRAGMENT:
	case TCP_NOT_OURS: return DROP(DET_DROP_UNEXPECTED);
	case TCP_MALFORMED: return DROP(DET_DROP_MALFORMED);
	case TCP_URG: return DROP(DET_DROP_URG);
	case TCP_CANDIDATE: break;
	}
	if (gso > 1)
		return DROP(DET_DROP_NOT_SEGMENTED);
	return REDIRECT(DET_CONVERTED);
}

/*
 * The MSS clamp of a tunnelled TCP packet being converted: a SYN or SYN-ACK
 * on an interface with a clamp whose MSS option (kind 2, length 4) is larger.
 * The options are walked from the start: NOP is one byte, end-of-list, a
 * length below 2, a malformed MSS option or the end of the options or of
 * the frame stop the walk; tiu looks at 20 options and at TCP headers
 * within 512 bytes of the frame's start. Returns the offset of the value
 * to lower, or 0.
 */
static size_t mss_to_clamp(const uint8_t *b, size_t len, const struct mparse *m)
{
	const uint8_t *t = b + m->l4_off;
	size_t optlen, off = 0;

	if (!world.mss || world.link == LM_NONE || m->l4_off > 512 || !(t[13] & 0x02))
		return 0;
	optlen = doff_bytes(t[12]) - 20;
	for (int i = 0; i < 20; i++) {
		size_t o = m->l4_off + 20 + off;

		if (off >= optlen || off >= 40 || o + 2 > len || b[o] == 0)
			return 0;
		if (b[o] == 1) {
			off++;
			continue;
		}
		if (b[o + 1] < 2)
			return 0;
		if (b[o] != 2) {
			off += b[o + 1];
			continue;
		}
		if (b[o + 1] != 4 || o + 4 > len || off + 4 > optlen)
			return 0;
		return pkt_get16(b + o + 2) > world.mss ? o + 2 : 0;
	}
	return 0;
}

void model_predict(enum kind kind, int compat, const uint8_t *b, size_t len, uint32_t gso,
		   uint32_t mark, struct expect *e)
{
	struct outcome o;

	memset(e, 0, sizeof(*e));
	if (world.raw && kind != K_DETOUR)
		model_parse_raw(b, len, &e->m);
	else
		model_parse(b, len, &e->m);
	switch (kind) {
	case K_XDP_DECAP:
	case K_TC_DECAP:
		o = decap(kind, &e->m, b, len, gso, &e->q);
		break;
	case K_EGRESS:
		o = egress(compat, tcp_classify(&e->m, b, len, mark), gso);
		break;
	default:
		o = detour(tcp_classify(&e->m, b, len, mark), gso);
		break;
	}
	e->v = o.v;
	e->stat = o.stat;
	e->bytes_stat = bytes_stat_of(o.stat);
	e->extra_stat = ST_NONE;
	if (o.stat == TIU_STAT_ENC_CONVERTED || o.stat == TIU_STAT_DET_CONVERTED) {
		e->mss_off = mss_to_clamp(b, len, &e->m);
		if (e->mss_off)
			e->extra_stat = TIU_STAT_ENC_MSS_CLAMPED;
	}
	e->icmp = o.stat == TIU_STAT_DEC_ICMP_TRANSLATED;
	e->convert = e->bytes_stat != ST_NONE || e->icmp;
	e->pushed_eth = world.raw && kind == K_EGRESS && o.v == MV_REDIRECT;
}

int model_must_count(enum kind kind, const uint8_t *b, size_t len)
{
	struct mparse m;
	uint8_t icmp_proto;

	if (kind == K_DETOUR) /* only tunnelled TCP belongs there: all else is a drop */
		return 1;
	if (world.raw)
		model_parse_raw(b, len, &m);
	else
		model_parse(b, len, &m);
	if (!m.ipish)
		return 0;
	if (!m.ok)
		return 1;
	if (kind == K_EGRESS)
		return m.proto == 6;
	icmp_proto = m.family == 4 ? 1 : 58;
	return m.proto == 17 ||
	       (m.proto == icmp_proto && !m.frag && m.l4_len >= 8 && m.l4_off <= 512 &&
		icmp_is_error(m.family, b[m.l4_off]));
}

int model_is_packet_counter(int stat)
{
	return stat != TIU_STAT_ENC_BYTES && stat != TIU_STAT_DET_BYTES &&
	       stat != TIU_STAT_DEC_BYTES && stat != TIU_STAT_ENC_MSS_CLAMPED;
}

uint32_t model_retval(enum kind kind, enum mverdict v)
{
	if (kind == K_XDP_DECAP)
		return v == MV_DROP ? XDP_DROP : XDP_PASS;
	return v == MV_DROP ? TC_ACT_SHOT : v == MV_REDIRECT ? TC_ACT_REDIRECT : TC_ACT_OK;
}

int model_verdict_allowed(enum kind kind, uint32_t r)
{
	if (kind == K_XDP_DECAP)
		return r == XDP_PASS || r == XDP_DROP;
	return r == TC_ACT_OK || r == TC_ACT_SHOT || r == TC_ACT_REDIRECT;
}
