// pcap.js - read pcap files and streams and describe each frame in one line
// (Ethernet, 802.1Q/QinQ, ARP, IPv4, IPv6, ICMP, ICMPv6, TCP, UDP, LLDP, STP,
// LACP, CDP), as a packet list shows them.

const hex2 = (b) => b.toString(16).padStart(2, '0');
const mac = (d, o) => [...d.subarray(o, o + 6)].map(hex2).join(':');
const ip4 = (d, o) => [...d.subarray(o, o + 4)].join('.');
function ip6(d, o) {
	const g = [];
	for (let i = 0; i < 16; i += 2) g.push(((d[o + i] << 8) | d[o + i + 1]).toString(16));
	return g.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

const ICMP = { 0: 'echo reply', 3: 'destination unreachable', 8: 'echo request', 11: 'time exceeded' };
const ICMP6 = { 128: 'echo request', 129: 'echo reply', 133: 'router solicitation', 134: 'router advertisement',
	135: 'neighbor solicitation', 136: 'neighbor advertisement', 143: 'MLDv2 report' };

function l4(proto, d, o, end, r) {
	if (proto === 1 && o + 8 <= end) {
		r.proto = 'ICMP';
		r.info += `${ICMP[d[o]] || 'type ' + d[o]}` + (d[o] === 0 || d[o] === 8 ? `, id ${(d[o + 4] << 8) | d[o + 5]}, seq ${(d[o + 6] << 8) | d[o + 7]}` : '');
	} else if (proto === 58 && o + 4 <= end) {
		r.proto = 'ICMPv6';
		r.info += ICMP6[d[o]] || 'type ' + d[o];
	} else if (proto === 6 && o + 14 <= end) {
		const f = d[o + 13], names = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG'].filter((_, i) => f & (1 << i));
		r.proto = 'TCP';
		r.info += `${(d[o] << 8) | d[o + 1]} → ${(d[o + 2] << 8) | d[o + 3]} [${names.join(', ')}]`;
	} else if (proto === 17 && o + 8 <= end) {
		r.proto = 'UDP';
		r.info += `${(d[o] << 8) | d[o + 1]} → ${(d[o + 2] << 8) | d[o + 3]}, length ${((d[o + 4] << 8) | d[o + 5]) - 8}`;
	} else {
		r.info += `protocol ${proto}`;
	}
}

// describe - {src, dst, proto, info} for one Ethernet frame.
export function describe(d) {
	const r = { src: '', dst: '', proto: 'Ethernet', info: '' };
	if (d.length < 14) return Object.assign(r, { info: `runt, ${d.length} bytes` });
	r.dst = mac(d, 0);
	r.src = mac(d, 6);
	let o = 12, type = (d[o] << 8) | d[o + 1];
	const tags = [];
	while ((type === 0x8100 || type === 0x88a8) && o + 6 <= d.length) {
		tags.push(`${type === 0x88a8 ? 'S-' : ''}VLAN ${((d[o + 2] << 8) | d[o + 3]) & 0xfff}`);
		o += 4;
		type = (d[o] << 8) | d[o + 1];
	}
	o += 2;
	if (tags.length) r.info = tags.join(', ') + ': ';
	if (r.dst === '01:80:c2:00:00:00' && d[o] === 0x42) {
		r.proto = 'STP';
		r.info += 'spanning-tree BPDU';
	} else if (type === 0x0806 && o + 28 <= d.length) {
		r.proto = 'ARP';
		const op = (d[o + 6] << 8) | d[o + 7];
		r.info += op === 1 ? `who has ${ip4(d, o + 24)}? tell ${ip4(d, o + 14)}` : `${ip4(d, o + 14)} is at ${mac(d, o + 8)}`;
	} else if (type === 0x0800 && o + 20 <= d.length) {
		const ihl = (d[o] & 15) * 4;
		r.src = ip4(d, o + 12);
		r.dst = ip4(d, o + 16);
		r.proto = 'IPv4';
		l4(d[o + 9], d, o + ihl, d.length, r);
	} else if (type === 0x86dd && o + 40 <= d.length) {
		r.src = ip6(d, o + 8);
		r.dst = ip6(d, o + 24);
		r.proto = 'IPv6';
		l4(d[o + 6], d, o + 40, d.length, r);
	} else if (type === 0x88cc) {
		r.proto = 'LLDP';
		r.info += 'link layer discovery';
	} else if (type === 0x8809) {
		r.proto = 'LACP';
		r.info += 'slow protocols (LACP)';
	} else if (r.dst === '01:00:0c:cc:cc:cc') {
		r.proto = 'CDP';
		r.info += 'Cisco discovery';
	} else if (type < 0x600) {
		r.info += `802.3, length ${type}`;
	} else {
		r.info += `ethertype 0x${type.toString(16).padStart(4, '0')}`;
	}
	return r;
}

// PcapReader - feed it bytes as they come; it calls onFrame(time, bytes) per record.
export class PcapReader {
	constructor(onFrame) {
		this.buf = new Uint8Array(0);
		this.le = null;
		this.onFrame = onFrame;
	}
	push(chunk) {
		const b = new Uint8Array(this.buf.length + chunk.length);
		b.set(this.buf);
		b.set(chunk, this.buf.length);
		let o = 0;
		const dv = new DataView(b.buffer);
		if (this.le === null) {
			if (b.length < 24) { this.buf = b; return; }
			// The four pcap magics: byte order, and micro- or nanosecond stamps.
			const m = dv.getUint32(0, true);
			const known = { 0xa1b2c3d4: [true, 1e6], 0xd4c3b2a1: [false, 1e6], 0xa1b23c4d: [true, 1e9], 0x4d3cb2a1: [false, 1e9] };
			if (!(m in known)) throw new Error('not a pcap file');
			[this.le, this.div] = known[m];
			this.snaplen = dv.getUint32(16, this.le);
			o = 24;
		}
		while (o + 16 <= b.length) {
			const sec = dv.getUint32(o, this.le), frac = dv.getUint32(o + 4, this.le);
			const cap = dv.getUint32(o + 8, this.le);
			if (cap > Math.max(this.snaplen, 262144)) throw new Error('a corrupt pcap record');
			if (o + 16 + cap > b.length) break;
			this.onFrame(sec + frac / this.div, b.subarray(o + 16, o + 16 + cap));
			o += 16 + cap;
		}
		this.buf = b.slice(o);
	}
}
