// app.js - the labwire lab UI: a list of labs, and a lab's page with its
// nodes (live state from the event stream), start/stop, and consoles in
// the browser (xterm.js over the console WebSocket).
import { api, ApiError } from '/ui/api.js';
import { Terminal } from '/ui/vendor/xterm.mjs';
import { describe, PcapReader } from '/ui/pcap.js';

// Where a node is in its boot: queued for a slot, booting, ready, or late (still waited for).
const bootText = (n, sep) => n.ready ? `${sep}ready` : (n.boot && n.boot !== 'ready' ? `${sep}${n.boot}` : '');
const view = document.getElementById('view');
const crumb = document.getElementById('crumb');
const statusEl = document.getElementById('status');
const consoles = document.getElementById('consoles');

function el(tag, attrs = {}, ...children) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs)) {
		if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
		else if (v !== false && v !== undefined) e.setAttribute(k, v === true ? '' : v);
	}
	for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
	return e;
}

// say - a message for the user; errors from the API in plain words.
function say(msg, isError = false) {
	statusEl.textContent = msg;
	statusEl.className = isError ? 'error' : '';
}

async function attempt(what, fn) {
	try {
		const r = await fn();
		say('');
		return r;
	} catch (e) {
		say(`${what} failed: ${e instanceof ApiError ? e.message : e}`, true);
		return undefined;
	}
}

// ---- the list of labs ----

async function showLabs() {
	crumb.textContent = '';
	const r = await attempt('Loading the labs', () => api.labs());
	if (!r) return;
	const name = el('input', { id: 'new-lab-name', placeholder: 'new lab name', 'aria-label': 'new lab name' });
	const form = el('form', { id: 'new-lab', onsubmit: async (ev) => {
		ev.preventDefault();
		if (await attempt('Creating the lab', () => api.createLab({ name: name.value.trim() })))
			showLabs();
	} }, name, el('button', { type: 'submit' }, 'Create lab'));
	const rows = r.labs.map((l) => el('tr', { 'data-lab': l.name },
		el('td', {}, el('a', { href: `#/labs/${encodeURIComponent(l.name)}` }, l.name)),
		el('td', { class: `state ${l.state}` }, l.state),
		el('td', {}, l.node_count), el('td', {}, l.link_count),
		el('td', {},
			el('button', { onclick: async () => {
				const n = prompt(`Rename lab ${l.name} to:`, l.name);
				if (n && n !== l.name && await attempt('Renaming the lab', () => api.patchLab(l.id, { name: n })))
					showLabs();
			} }, 'Rename'),
			el('button', { class: 'danger', onclick: async () => {
				if (!confirm(`Delete lab ${l.name}? Its nodes are stopped and everything it made is removed.`)) return;
				if ((await attempt('Deleting the lab', () => api.deleteLab(l.id))) !== undefined)
					showLabs();
			} }, 'Delete'))));
	view.replaceChildren(el('h1', {}, 'Labs'), form,
		el('table', { id: 'labs' },
			el('thead', {}, el('tr', {}, ...['Lab', 'State', 'Nodes', 'Links', ''].map((h) => el('th', {}, h)))),
			el('tbody', {}, ...rows)));
}

// ---- one lab: the canvas, the node and link panels ----

const SVGNS = 'http://www.w3.org/2000/svg';
const NODE_W = 96, NODE_H = 40;
let current = null; // {name, lab, sel: {node}|{link}, watch: AbortController}

function svg(tag, attrs = {}, ...children) {
	const e = document.createElementNS(SVGNS, tag);
	for (const [k, v] of Object.entries(attrs)) {
		if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
		else e.setAttribute(k, v);
	}
	for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
	return e;
}

const nodeOf = (name) => current.lab.nodes.find((n) => n.name === name);
const center = (n) => ({ x: (n.x || 0) + NODE_W / 2, y: (n.y || 0) + NODE_H / 2 });

let reloads = 0;

async function reloadLab() {
	const cur = current, seq = ++reloads;
	if (!cur) return;
	const lab = await attempt('Loading the lab', () => api.lab(cur.lab.id));
	/* A later reload, or another page, has taken over meanwhile. */
	if (!lab || current !== cur || seq !== reloads) return;
	cur.lab = lab;
	cur.name = lab.name;
	render();
}

// Nodes made without a position (through the API) are spread on a grid once.
function layout() {
	const at = new Map();
	current.lab.nodes.forEach((n, i) => {
		const k = `${n.x || 0},${n.y || 0}`;
		if (at.has(k) || (!n.x && !n.y)) {
			n.x = 40 + (i % 6) * 140;
			n.y = 40 + Math.floor(i / 6) * 110;
		}
		at.set(`${n.x},${n.y}`, true);
	});
}

function render() {
	layout();
	drawCanvas();
	drawNodesTable();
	drawPanel();
}

function drawCanvas() {
	const c = document.getElementById('canvas');
	const lab = current.lab;
	c.replaceChildren();
	for (const l of lab.links) {
		const ends = l.endpoints.map((e) => nodeOf(e.node)).filter(Boolean).map(center);
		const cls = `link ${l.state}${current.sel?.link === l.id ? ' selected' : ''}`;
		const pick = () => select({ link: l.id });
		const g = svg('g', { class: cls, 'data-link': l.id, tabindex: 0, role: 'button',
			'aria-label': `link ${l.id}: ${l.endpoints.map((e) => `${e.node}:${e.interface}`).join(' to ')}`,
			onclick: pick, onkeydown: (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); pick(); } } });
		if (ends.length === 2) {
			g.append(svg('line', { x1: ends[0].x, y1: ends[0].y, x2: ends[1].x, y2: ends[1].y }));
			g.append(svg('line', { class: 'hit', x1: ends[0].x, y1: ends[0].y, x2: ends[1].x, y2: ends[1].y }));
		} else if (ends.length > 2) {
			const m = { x: ends.reduce((a, p) => a + p.x, 0) / ends.length, y: ends.reduce((a, p) => a + p.y, 0) / ends.length + 60 };
			for (const p of ends) {
				g.append(svg('line', { x1: m.x, y1: m.y, x2: p.x, y2: p.y }));
				g.append(svg('line', { class: 'hit', x1: m.x, y1: m.y, x2: p.x, y2: p.y }));
			}
			g.append(svg('rect', { class: 'segment', x: m.x - 14, y: m.y - 8, width: 28, height: 16, rx: 3 }));
		}
		c.append(g);
	}
	for (const n of lab.nodes) {
		const pick = () => select({ node: n.name });
		const g = svg('g', { class: `node ${n.state}${current.sel?.node === n.name ? ' selected' : ''}`,
			'data-node': n.name, 'data-state': n.state, transform: `translate(${n.x || 0},${n.y || 0})`,
			tabindex: 0, role: 'button', 'aria-label': `node ${n.name}, ${n.state}`,
			onkeydown: (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); pick(); } } },
			svg('rect', { width: NODE_W, height: NODE_H, rx: 6 }),
			svg('text', { x: 8, y: 17 }, n.name),
			svg('text', { x: 8, y: 32, class: 'sub' }, `${(n.accel_in_use || n.kind || '').toUpperCase()}${bootText(n, ' · ')}`),
			svg('circle', { class: 'handle', cx: NODE_W, cy: NODE_H / 2, r: 6 }));
		g.addEventListener('pointerdown', (ev) => startDrag(ev, n, g));
		c.append(g);
	}
}

// Dragging a node moves it (saved on release); dragging its handle to another node links them.
function startDrag(ev, n, g) {
	const c = document.getElementById('canvas');
	const pt = (e) => { const r = c.getBoundingClientRect(); return { x: e.clientX - r.left, y: e.clientY - r.top }; };
	const p0 = pt(ev), x0 = n.x || 0, y0 = n.y || 0;
	const linking = ev.target.classList.contains('handle');
	let moved = false, temp = null;
	if (ev.button !== 0) return;
	ev.preventDefault();
	const move = (e) => {
		const p = pt(e);
		moved = moved || Math.abs(p.x - p0.x) + Math.abs(p.y - p0.y) > 3;
		if (linking) {
			temp?.remove();
			const s = center(n);
			temp = svg('line', { class: 'temp', x1: s.x, y1: s.y, x2: p.x, y2: p.y });
			c.append(temp);
		} else if (moved) {
			n.x = Math.min(c.clientWidth - NODE_W, Math.max(0, Math.round(x0 + p.x - p0.x)));
			n.y = Math.min(c.clientHeight - NODE_H, Math.max(0, Math.round(y0 + p.y - p0.y)));
			drawCanvas();
		}
	};
	const up = async (e) => {
		window.removeEventListener('pointermove', move);
		window.removeEventListener('pointerup', up);
		temp?.remove();
		if (linking) {
			const hit = document.elementFromPoint(e.clientX, e.clientY)?.closest('g.node');
			if (hit && hit.dataset.node !== n.name) select({ newLink: [n.name, hit.dataset.node] });
		} else if (moved) {
			await attempt('Moving the node', () => api.patchNode(current.name, n.name, { x: n.x, y: n.y }));
		} else {
			select({ node: n.name });
		}
	};
	window.addEventListener('pointermove', move);
	window.addEventListener('pointerup', up);
	window.addEventListener('pointercancel', up, { once: true });
}

function drawNodesTable() {
	const t = document.getElementById('nodes');
	t.replaceChildren(el('tbody', {}, ...current.lab.nodes.map((n) => nodeRow(current.name, n))));
}

function nodeRow(lab, n) {
	const badge = el('span', { class: `badge ${n.state}`, 'data-state': n.state },
		n.state + bootText(n, ' · '));
	const accel = el('span', { class: 'accel', title: n.accel_reason || '' }, (n.accel_in_use || '-').toUpperCase());
	const act = (a) => el('button', { onclick: () => attempt(`${a} ${n.name}`, () => api.nodeAction(lab, n.name, a)) }, a);
	return el('tr', { 'data-node': n.name },
		el('td', {}, n.name), el('td', {}, n.template), el('td', {}, badge), el('td', {}, accel),
		el('td', {}, act('start'), act('stop'),
			el('button', { onclick: () => openConsole(lab, n.name) }, 'Console')));
}

const selKey = (s) => (s ? JSON.stringify(s) : '');

function select(sel) {
	if (selKey(sel) !== selKey(current.sel)) {
		current.watch?.abort();
		current.watch = null;
	}
	current.sel = sel;
	render();
}

function drawPanel() {
	const p = document.getElementById('panel');
	const s = current.sel || {};
	const key = selKey(current.sel);
	/*
	 * The same selection as drawn: only its status changes, so what the
	 * user is typing (a startup config, a choice of interfaces) stays.
	 */
	if (p.dataset.sel === key && (s.node || s.newLink)) {
		if (s.node && nodeOf(s.node)) p.querySelector('#node-status').textContent = nodeStatus(nodeOf(s.node));
		return;
	}
	p.dataset.sel = key;
	if (s.node && nodeOf(s.node)) p.replaceChildren(...nodePanel(nodeOf(s.node)));
	else if (s.link && current.lab.links.find((l) => l.id === s.link)) {
		if (!p.querySelector(`[data-panel-link="${s.link}"]`)) p.replaceChildren(linkPanel(current.lab.links.find((l) => l.id === s.link)));
		else refreshLinkPanel(p, current.lab.links.find((l) => l.id === s.link));
	} else if (s.newLink) p.replaceChildren(newLinkPanel(s.newLink));
	else p.replaceChildren(el('p', { class: 'hint' }, 'Select a node or a link. Drag a node to move it; drag from its handle (the dot on its right) to another node to link them.'));
}

const nodeStatus = (n) => `${n.template}, ${n.state}${bootText(n, ', ')}; accelerator ${(n.accel_in_use || '-').toUpperCase()}` +
	(n.boot_expected_s ? `; boot expected in ${n.boot_expected_s} s (${n.boot_basis})` : '');

function nodePanel(n) {
	const act = (a, label) => el('button', { onclick: () => attempt(`${label} ${n.name}`, () => api.nodeAction(current.name, n.name, a)) }, label);
	const cfg = el('textarea', { id: 'node-config', rows: 6, 'aria-label': 'startup config' });
	cfg.value = n.startup_config || '';
	return [
		el('h3', {}, `Node ${n.name}`),
		el('p', { id: 'node-status' }, nodeStatus(n)),
		n.accel_reason ? el('p', { class: 'sub' }, n.accel_reason) : '',
		n.error ? el('p', { class: 'error' }, n.error) : '',
		el('div', { class: 'toolbar' }, act('start', 'Start'), act('stop', 'Stop'), act('reload', 'Reload'), act('wipe', 'Wipe'),
			el('button', { onclick: () => openConsole(current.name, n.name) }, 'Console'),
			el('button', { class: 'danger', onclick: async () => {
				if (!confirm(`Delete node ${n.name} and its links?`)) return;
				if ((await attempt('Deleting the node', () => api.deleteNode(current.name, n.name))) !== undefined) { current.sel = null; reloadLab(); }
			} }, 'Delete')),
		// The keyboard's way to draw a link: pick the other node here.
		el('form', { class: 'linkto', onsubmit: (ev) => {
			ev.preventDefault();
			const to = ev.target.elements.to.value;
			if (to) select({ newLink: [n.name, to] });
		} }, el('label', {}, 'Link to ', el('select', { name: 'to', id: 'link-to' },
			...current.lab.nodes.filter((o) => o.name !== n.name).map((o) => el('option', {}, o.name)))),
		el('button', { type: 'submit' }, 'Choose interfaces…')),
		el('label', { for: 'node-config' }, 'Startup config'), cfg,
		el('button', { id: 'node-config-save', onclick: async () => {
			const r = await attempt('Saving the startup config', () => api.patchNode(current.name, n.name, { startup_config: cfg.value }));
			if (r) {
				Object.assign(n, r);
				say(`Saved ${n.name}'s startup config; it applies at the next start.`);
			}
		} }, 'Save config'),
	];
}

function freeIfaces(name) {
	return (nodeOf(name)?.interfaces || []).filter((i) => i.link == null).map((i) => i.name);
}

function newLinkPanel([a, b]) {
	const pickA = el('select', { id: 'link-a', 'aria-label': `${a}'s interface` }, ...freeIfaces(a).map((i) => el('option', {}, i)));
	const pickB = el('select', { id: 'link-b', 'aria-label': `${b}'s interface` }, ...freeIfaces(b).map((i) => el('option', {}, i)));
	const third = el('select', { id: 'link-c', 'aria-label': 'a third endpoint (LAN segment)' }, el('option', { value: '' }, '(none: point-to-point)'),
		...current.lab.nodes.filter((n) => n.name !== a && n.name !== b)
			.flatMap((n) => freeIfaces(n.name).map((i) => el('option', { value: `${n.name}:${i}` }, `${n.name}:${i}`))));
	return el('form', { class: 'newlink', onsubmit: async (ev) => {
		ev.preventDefault();
		const endpoints = [`${a}:${pickA.value}`, `${b}:${pickB.value}`];
		if (third.value) endpoints.push(third.value);
		const l = await attempt('Creating the link', () => api.createLink(current.name, { endpoints }));
		if (l) { current.sel = { link: l.id }; reloadLab(); }
	} },
	el('h3', {}, `Link ${a} — ${b}`),
	el('label', {}, `${a} `, pickA), el('label', {}, `${b} `, pickB),
	el('label', {}, 'LAN segment with ', third),
	el('div', { class: 'toolbar' }, el('button', { type: 'submit', id: 'link-create' }, 'Create link'),
		el('button', { type: 'button', onclick: () => select(null) }, 'Cancel')));
}

const IMP = [['delay_ms', 'delay (ms)'], ['jitter_ms', 'jitter (ms)'], ['loss_pct', 'loss (%)'], ['duplicate_pct', 'duplicate (%)'],
	['corrupt_pct', 'corrupt (%)'], ['reorder_pct', 'reorder (%)'], ['rate_kbps', 'rate (kbit/s)']];

function linkPanel(l) {
	const imp = el('form', { class: 'impair', onsubmit: async (ev) => {
		ev.preventDefault();
		const body = {};
		for (const [k] of IMP) { const v = Number(imp.elements[k].value); if (v) body[k] = v; }
		if (await attempt('Setting the impairment', () => api.patchLink(current.name, l.id, { impairment: body }))) reloadLab();
	} }, ...IMP.map(([k, label]) => el('label', {}, label, el('input', { name: k, type: 'number', min: 0, step: 'any', value: l.impairment?.[k] || 0 }))),
	el('button', { type: 'submit', id: 'impair-apply' }, 'Apply impairment'));
	const filter = el('input', { id: 'capture-filter', placeholder: 'BPF filter, e.g. icmp', 'aria-label': 'capture filter' });
	const rows = el('tbody', {});
	const packets = el('table', { id: 'packets' },
		el('thead', {}, el('tr', {}, ...['Time', 'Source', 'Destination', 'Protocol', 'Info'].map((h) => el('th', {}, h)))), rows);
	const caps = el('ul', { id: 'captures' });
	const panel = el('div', { 'data-panel-link': l.id },
		el('h3', {}, `Link ${l.id} (${l.kind})`),
		el('p', { id: 'link-info' }),
		el('div', { class: 'toolbar' },
			el('button', { id: 'link-toggle', onclick: async () => {
				const lk = current.lab.links.find((x) => x.id === l.id);
				if (await attempt('Changing the link state', () => api.patchLink(current.name, l.id, { state: lk.state === 'up' ? 'down' : 'up' }))) reloadLab();
			} }),
			el('button', { class: 'danger', onclick: async () => {
				if (!confirm(`Delete link ${l.id}?`)) return;
				if ((await attempt('Deleting the link', () => api.deleteLink(current.name, l.id))) !== undefined) { current.sel = null; reloadLab(); }
			} }, 'Delete link')),
		el('h4', {}, 'Impairment'), imp,
		el('h4', {}, 'Capture'),
		el('form', { onsubmit: async (ev) => {
			ev.preventDefault();
			const body = filter.value.trim() ? { filter: filter.value.trim() } : {};
			const c = await attempt('Starting the capture', () => api.startCapture(current.name, l.id, body));
			if (c) { listCaptures(l, caps, rows); watch(l, c.id, rows); }
		} }, filter, el('button', { type: 'submit', id: 'capture-start' }, 'Start capture'),
			el('button', { type: 'button', id: 'recent', onclick: () => showRecent(l, rows) }, 'Recent frames')),
		caps, packets);
	refreshLinkPanel(panel, l);
	listCaptures(l, caps, rows);
	return panel;
}

function refreshLinkPanel(p, l) {
	const ends = l.endpoints.map((e) => `${e.node}:${e.interface}`).join(' — ');
	p.querySelector('#link-info').textContent = `${ends}; ${l.state}, datapath ${l.datapath || '-'}`;
	p.querySelector('#link-toggle').textContent = l.state === 'up' ? 'Set down' : 'Set up';
}

async function listCaptures(l, ul, rows) {
	const r = await attempt('Listing captures', () => api.captures(current.name, l.id));
	if (!r) return;
	ul.replaceChildren(...(r.captures || []).map((c) => el('li', { 'data-capture': c.id },
		`#${c.id} ${c.filter || '(all)'}: ${c.state}, ${c.packets} frames `,
		el('a', { href: api.pcapUrl(current.name, l.id, c.id, false), download: `link${l.id}-capture${c.id}.pcap` }, 'download'),
		c.state === 'running' ? el('button', { onclick: async () => {
			if ((await attempt('Stopping the capture', () => api.stopCapture(current.name, l.id, c.id))) !== undefined) listCaptures(l, ul, rows);
		} }, 'Stop') : '',
		c.state === 'running' ? el('button', { onclick: () => watch(l, c.id, rows) }, 'Watch') : '')));
}

function addPackets(rows, t0) {
	return (time, bytes) => {
		const d = describe(bytes);
		if (t0.v === null) t0.v = time;
		rows.append(el('tr', { 'data-proto': d.proto }, el('td', {}, (time - t0.v).toFixed(6)), el('td', {}, d.src),
			el('td', {}, d.dst), el('td', {}, d.proto), el('td', {}, d.info)));
		while (rows.children.length > 500) rows.firstChild.remove();
	};
}

// watch - the capture's live packet list: its pcap stream, decoded here.
function watch(l, cap, rows) {
	current.watch?.abort();
	const ac = new AbortController();
	current.watch = ac;
	rows.replaceChildren();
	const rd = new PcapReader(addPackets(rows, { v: null }));
	api.stream(api.pcapUrl(current.name, l.id, cap, true), (chunk) => rd.push(chunk), ac.signal)
		.catch((e) => { if (e.name !== 'AbortError') say(`Watching the capture failed: ${e.message}`, true); });
}

async function showRecent(l, rows) {
	current.watch?.abort();
	current.watch = null;
	rows.replaceChildren();
	const rd = new PcapReader(addPackets(rows, { v: null }));
	await attempt('Fetching the recent frames', () => api.stream(api.recentUrl(current.name, l.id), (c) => rd.push(c)));
}

async function showLab(name) {
	const lab = await attempt('Loading the lab', () => api.lab(name));
	if (!lab) return;
	const tr = await attempt('Loading the templates', () => api.templates());
	current = { name: lab.name, lab, sel: null, watch: null };
	crumb.textContent = `› ${lab.name}`;
	const tpl = el('select', { id: 'new-node-template', 'aria-label': 'template' },
		...(tr?.templates || []).map((t) => el('option', {}, t.name)));
	const nname = el('input', { id: 'new-node-name', placeholder: 'node name', 'aria-label': 'node name', size: 10 });
	view.replaceChildren(
		el('h1', {}, lab.name),
		el('div', { class: 'toolbar' },
			el('button', { id: 'lab-start', onclick: () => attempt('Starting the lab', () => api.startLab(lab.name)) }, 'Start lab'),
			el('button', { id: 'lab-stop', onclick: () => attempt('Stopping the lab', () => api.stopLab(lab.name)) }, 'Stop lab'),
			el('form', { id: 'new-node', onsubmit: async (ev) => {
				ev.preventDefault();
				const n = current.lab.nodes.length;
				const body = { name: nname.value.trim(), template: tpl.value, x: 40 + (n % 6) * 140, y: 40 + Math.floor(n / 6) * 110 };
				if (await attempt('Adding the node', () => api.createNode(current.name, body))) { nname.value = ''; reloadLab(); }
			} }, tpl, nname, el('button', { type: 'submit' }, 'Add node'))),
		el('div', { class: 'workspace' },
			el('div', { class: 'canvas-wrap' }, svg('svg', { id: 'canvas', width: 860, height: 480, role: 'group', 'aria-label': 'topology' })),
			el('aside', { id: 'panel' })),
		el('h2', {}, 'Nodes'),
		el('table', { id: 'nodes' }));
	render();
}

// Live state: node events update the node in place; link changes reload the lab.
function onEvent(kind, ev) {
	if (kind === 'reconnect') { if (current) reloadLab(); else if (!location.hash.startsWith('#/labs/')) showLabs(); return; }
	if (!current) return;
	const obj = ev[kind] || {};
	if (kind === 'lab' && obj.id === current.lab.id) {
		if (ev.action === 'deleted') { say(`Lab ${current.name} was deleted.`, true); location.hash = '#/'; }
		else reloadLab();
	} else if (obj.lab !== current.lab.id) {
		return;
	} else if (kind === 'node' && ev.action === 'state' && nodeOf(obj.name)) {
		const n = nodeOf(obj.name);
		Object.assign(n, obj);
		if (!('error' in obj)) delete n.error;
		if (!('boot' in obj)) delete n.boot;
		render();
	} else {
		reloadLab(); /* a node or link added, changed or deleted, here or elsewhere */
	}
}

// ---- consoles: several at once, each a panel with xterm.js ----

function openConsole(lab, node) {
	const id = `console-${encodeURIComponent(lab)}/${encodeURIComponent(node)}`;
	if (document.getElementById(id)) return;
	const box = el('div', { class: 'term' });
	const panel = el('div', { class: 'console', id, 'data-node': node },
		el('div', { class: 'title' }, `${lab} / ${node}`,
			el('button', { 'aria-label': `close ${node}'s console`, onclick: () => { ws.close(); term.dispose(); panel.remove(); } }, '×')),
		box);
	consoles.append(panel);
	const term = new Terminal({ cols: 100, rows: 24, scrollback: 5000, convertEol: false });
	term.open(box);
	const ws = api.consoleSocket(lab, node);
	ws.onmessage = (m) => term.write(new Uint8Array(m.data));
	ws.onclose = () => term.write('\r\n[console closed]\r\n');
	term.onData((d) => { if (ws.readyState === WebSocket.OPEN) ws.send(d); });
	/* In view: xterm.js does not render a terminal that is off screen. */
	panel.scrollIntoView({ block: 'nearest' });
	term.focus();
}

// ---- routing ----

function leaveLab() {
	current?.watch?.abort();
	current = null;
}

function route() {
	const m = location.hash.match(/^#\/labs\/(.+)$/);
	let name = null;
	try {
		name = m ? decodeURIComponent(m[1]) : null;
	} catch {
		name = null; /* a malformed %-sequence: back to the list */
	}
	leaveLab();
	if (name) showLab(name);
	else showLabs();
}

window.addEventListener('hashchange', route);
api.events(onEvent);
route();
