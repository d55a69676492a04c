// app.js - the labwire lab UI: the login page, a list of labs, a lab's page
// with its nodes (live state from the event stream), start/stop, sharing,
// and consoles in the browser (xterm.js over the console WebSocket); a
// practice lab's guide, "Check my work" and its stages; assignments (an
// instructor's table of a group's copies of a lab); for admins, the users,
// groups and audit log.
import { api, ApiError } from '/ui/api.js';
import { renderGuide } from '/ui/guide.js';
import { Terminal } from '/ui/vendor/xterm.mjs';
import { describe, PcapReader } from '/ui/pcap.js';

// Where a node is in its boot: queued for a slot, booting, ready, or late (still waited for).
// A paused node says why ("paused: disk full"); resume lets it go on.
const stateText = (n) => (n.state === 'paused' && n.paused_reason ? `paused: ${n.paused_reason}` : n.state);
const bootText = (n, sep) => n.ready ? `${sep}ready` : (n.boot && n.boot !== 'ready' ? `${sep}${n.boot}` : '');
const view = document.getElementById('view');
const crumb = document.getElementById('crumb');
const statusEl = document.getElementById('status');
const consoles = document.getElementById('consoles');
const nav = document.getElementById('nav');
const meEl = document.getElementById('me');
let me = null; // who is logged in: {name, role, auth?}; null on the login page
let events = null; // the event stream, open while logged in

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
		/* A 401 has shown the login page: that says it all. */
		if (!(e instanceof ApiError && e.status === 401)) say(`${what} failed: ${e instanceof ApiError ? e.message : e}`, true);
		return undefined;
	}
}

const thead = (...cols) => el('thead', {}, el('tr', {}, ...cols.map((h) => el('th', {}, h))));

// modal - a dialog around a form; submit runs fn(), which closes it unless it throws (shown inside).
function modal(id, title, fields, label, fn) {
	const err = el('p', { class: 'error', role: 'alert' });
	const d = el('dialog', { id, 'aria-label': title }, el('form', { onsubmit: async (ev) => {
		ev.preventDefault();
		try {
			await fn();
			d.close();
		} catch (e) {
			if (d.open) err.textContent = e instanceof ApiError ? e.message : String(e);
		}
	} }, el('h2', {}, title), ...fields, err,
	el('div', { class: 'toolbar' }, el('button', { type: 'submit' }, label),
		el('button', { type: 'button', onclick: () => d.close() }, 'Cancel'))));
	d.addEventListener('close', () => d.remove());
	document.body.append(d);
	d.showModal();
	return d;
}

// ---- who is logged in: the login page, the header, one's own password ----

function showLogin(note = '') {
	me = null;
	events?.close();
	events = null;
	leaveLab();
	for (const d of document.querySelectorAll('dialog')) d.close();
	for (const c of [...consoles.children]) c.closeConsole?.();
	nav.replaceChildren();
	meEl.replaceChildren();
	crumb.textContent = '';
	say('');
	const user = el('input', { id: 'login-user', autocomplete: 'username', required: true });
	const pass = el('input', { id: 'login-password', type: 'password', autocomplete: 'current-password', required: true });
	const err = el('p', { id: 'login-error', class: 'error', role: 'alert' });
	const go = el('button', { type: 'submit', id: 'login-submit' }, 'Log in');
	view.replaceChildren(el('form', { id: 'login', class: 'login', onsubmit: async (ev) => {
		ev.preventDefault();
		go.disabled = true;
		try {
			const r = await api.login(user.value.trim(), pass.value);
			enter(r.user);
		} catch (e) {
			err.textContent = !(e instanceof ApiError) ? `Logging in failed: ${e}`
				: e.status === 429 ? `Too many failed logins: try again in ${e.retryAfter || 'a few'} s.` : e.message;
			pass.value = '';
			pass.focus();
		} finally {
			go.disabled = false;
		}
	} }, el('h1', {}, 'Log in to labwire'), note ? el('p', { class: 'hint' }, note) : '',
	el('label', {}, 'User', user), el('label', {}, 'Password', pass), go, err));
	user.focus();
}

// The session ended (expired, revoked, logged out elsewhere): log in again, once.
api.onUnauthorized(() => {
	if (me || !document.getElementById('login')) showLogin(me ? 'Your session has ended: log in again.' : '');
});

function enter(user) {
	me = user;
	nav.replaceChildren(el('a', { href: '#/' }, 'Labs'), el('a', { href: '#/assignments', id: 'nav-assignments' }, 'Assignments'),
		me.role === 'admin' ? el('a', { href: '#/admin', id: 'nav-admin' }, 'Admin') : '');
	/* With --auth off everyone is the admin: nothing to log out of. */
	const own = me.auth !== false;
	meEl.replaceChildren(el('span', { id: 'me-name' }, me.name), el('span', { id: 'me-role', class: 'role' }, me.role),
		own ? el('button', { id: 'password-change', onclick: passwordDialog }, 'Password') : '',
		own ? el('button', { id: 'logout', onclick: logout }, 'Log out') : '');
	events = api.events(onEvent);
	route();
}

async function logout() {
	events?.close();
	if ((await attempt('Logging out', () => api.logout())) !== undefined) showLogin();
}

function passwordDialog() {
	const cur = el('input', { id: 'password-current', type: 'password', autocomplete: 'current-password', required: true });
	const pw = el('input', { id: 'password-new', type: 'password', autocomplete: 'new-password', required: true, minlength: 8 });
	modal('password', 'Change your password', [el('label', {}, 'Current password', cur), el('label', {}, 'New password (8 or more characters)', pw)],
		'Change password', async () => {
			await api.patchUser(me.name, { current_password: cur.value, password: pw.value });
			/* The daemon ends every session of a user whose password changes. */
			showLogin('Your password was changed: log in with the new one.');
		});
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
	} }, name, el('button', { type: 'submit' }, 'Create lab'),
	el('button', { type: 'button', id: 'import-lab', onclick: importDialog }, 'Import…'));
	const rows = r.labs.map((l) => el('tr', { 'data-lab': l.name },
		el('td', {}, el('a', { href: `#/labs/${encodeURIComponent(l.name)}` }, l.name)),
		el('td', { class: 'owner' }, l.owner || ''),
		el('td', { class: `state ${l.state}` }, l.state),
		el('td', {}, l.node_count), el('td', {}, l.link_count),
		el('td', {},
			el('button', { class: 'share', disabled: !owns(l), onclick: () => shareDialog(l.id) }, 'Share'),
			el('button', { disabled: !owns(l), onclick: async () => {
				const n = prompt(`Rename lab ${l.name} to:`, l.name);
				if (n && n !== l.name && await attempt('Renaming the lab', () => api.patchLab(l.id, { name: n })))
					showLabs();
			} }, 'Rename'),
			el('button', { class: 'danger', disabled: !owns(l), onclick: async () => {
				if (!confirm(`Delete lab ${l.name}? Its nodes are stopped and everything it made is removed.`)) return;
				if ((await attempt('Deleting the lab', () => api.deleteLab(l.id))) !== undefined)
					showLabs();
			} }, 'Delete'))));
	view.replaceChildren(el('h1', {}, 'Labs'), form,
		el('table', { id: 'labs' },
			thead('Lab', 'Owner', 'State', 'Nodes', 'Links', ''),
			el('tbody', {}, ...rows)));
}

// ---- a lab file of another tool in: the file as it is, then the daemon's report ----

const IMPORT_MAX = 8 << 20; /* bytes: the daemon's IMPORT_FILE_MAX */

// importDialog - pick a file (containerlab, EVE-NG, GNS3, CML, netlab, labwire) and post its bytes.
function importDialog() {
	const file = el('input', { id: 'import-file', type: 'file', required: true,
		accept: '.yml,.yaml,.unl,.gns3,.json,.xml' });
	const name = el('input', { id: 'import-name', placeholder: "the file's", 'aria-label': 'lab name' });
	modal('import', 'Import a lab', [el('label', {}, 'Lab file', file), el('label', {}, 'Name (optional)', name),
		el('p', { class: 'hint' }, 'containerlab, EVE-NG (.unl), GNS3 (.gns3), Cisco Modeling Labs, netlab or a labwire export; at most 8 MiB. ' +
			'Kinds without an image here get a substitute template; nothing is created if the file cannot be read.')],
	'Import', async () => {
		const f = file.files[0];
		/* The daemon refuses more than 8 MiB (413) too: this saves sending it. */
		if (!f) throw new ApiError(0, 'invalid', 'Choose a file first.');
		if (f.size > IMPORT_MAX) throw new ApiError(413, 'too_large', `${f.name} is ${(f.size / 1048576).toFixed(1)} MiB; at most 8 MiB can be imported.`);
		const r = await api.importLab(await f.arrayBuffer(), name.value.trim() || undefined);
		showLabs();
		importReport(r);
	});
}

const cells = (...v) => el('tr', {}, ...v.map((x) => el('td', {}, x ?? '')));

// importReport - what the import made of each node and link, and what it could not carry over.
function importReport({ lab, report: r }) {
	const part = (id, title, head, rows) => (rows.length ? [el('h3', {}, title),
		el('table', { id }, thead(...head), el('tbody', {}, ...rows))] : []);
	const mapped = (r.mapped || []).map((m) => el('tr', { 'data-node': m.node, class: m.substitute ? 'substitute' : '' },
		el('td', {}, m.node), el('td', {}, m.from), el('td', {}, m.to),
		el('td', {}, m.substitute ? `substitute${m.reason ? `: ${m.reason}` : ''}` : (m.reason || ''))));
	const d = el('dialog', { id: 'import-report', 'aria-label': 'import report' },
		el('h2', {}, `Imported ${lab.name}`),
		el('p', { id: 'import-counts' }, `From ${r.format}: ${plural(r.nodes, 'node')}, ${plural(r.links, 'link')} (${plural(r.lans || 0, 'LAN segment')}).`),
		...part('import-mapped', 'Nodes', ['Node', 'From', 'To', ''], mapped),
		...part('import-renamed', 'Nodes renamed', ['From', 'To'], (r.renamed || []).map((x) => cells(x.from, x.to))),
		...part('import-interfaces', 'Interfaces renamed', ['Node', 'From', 'To'], (r.interfaces || []).map((x) => cells(x.node, x.from, x.to))),
		...part('import-dropped', 'Dropped', ['What', 'Why'], (r.dropped || []).map((x) => cells(x.what, x.reason))),
		r.dropped_more ? el('p', { class: 'hint' }, `… and ${r.dropped_more} more dropped.`) : '',
		...part('import-kept', 'Kept on the node, not applied', ['Node', 'What', 'Why'], (r.kept || []).map((x) => cells(x.node, x.what, x.reason))),
		r.kept_more ? el('p', { class: 'hint' }, `… and ${r.kept_more} more kept.`) : '',
		el('div', { class: 'toolbar' },
			el('a', { id: 'import-open', class: 'button', href: `#/labs/${encodeURIComponent(lab.name)}`, onclick: () => d.close() }, `Open ${lab.name}`),
			el('button', { type: 'button', onclick: () => d.close() }, 'Close')));
	d.addEventListener('close', () => d.remove());
	document.body.append(d);
	d.showModal();
}

// ---- who may do what with a lab, and sharing it ----

// owns - an admin or the owner: may share, rename and delete the lab.
const owns = (lab) => me.role === 'admin' || lab.owner === me.name;

// The access to a lab the daemon gives me (labs/access.c): its owner or an
// admin, a write share, else read (a read share, or a leader of the owner's group).
function accessOf(lab) {
	if (owns(lab)) return 'own';
	return (lab.shared_with || []).find((s) => s.user === me.name)?.access === 'write' ? 'write' : 'read';
}

async function shareDialog(ref) {
	const lab = await attempt('Loading the lab', () => api.lab(ref));
	if (!lab) return;
	const shares = (lab.shared_with || []).map((s) => ({ user: s.user, access: s.access }));
	const list = el('tbody');
	const draw = () => list.replaceChildren(...shares.map((s, i) => {
		const acc = el('select', { 'aria-label': `${s.user}'s access`, onchange: () => { s.access = acc.value; } },
			...['read', 'write'].map((a) => el('option', { selected: a === s.access }, a)));
		return el('tr', { 'data-share': s.user }, el('td', {}, s.user), el('td', {}, acc),
			el('td', {}, el('button', { type: 'button', onclick: () => { shares.splice(i, 1); draw(); } }, 'Remove')));
	}));
	const user = el('input', { id: 'share-user', placeholder: 'user name', 'aria-label': 'user to share with', list: 'share-users' });
	const access = el('select', { id: 'share-access', 'aria-label': 'access to give' },
		el('option', { value: 'read' }, 'read (watch)'), el('option', { value: 'write' }, 'write (use)'));
	const add = () => {
		const name = user.value.trim();
		if (!name) return;
		const s = shares.find((x) => x.user === name);
		if (s) s.access = access.value;
		else shares.push({ user: name, access: access.value });
		user.value = '';
		draw();
	};
	const known = el('datalist', { id: 'share-users' });
	draw();
	modal('share', `Share ${lab.name}`, [el('p', {}, `Owner: ${lab.owner}`),
		el('table', { id: 'shares' }, thead('User', 'Access', ''), list), known,
		el('div', {}, user, access, el('button', { type: 'button', id: 'share-add', onclick: add }, 'Add')),
		el('p', { class: 'hint' }, 'Saving replaces who the lab is shared with.')],
	'Save', async () => {
		/* A name typed but not added yet is meant to be shared too. */
		add();
		await api.patchLab(lab.id, { shared_with: shares });
		say(`${lab.name} is shared with ${shares.map((s) => `${s.user} (${s.access})`).join(', ') || 'nobody'}.`);
		if (current?.lab.id === lab.id) reloadLab();
	});
	/* Only an admin may list the users: others type the name. */
	user.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); add(); } });
	if (me.role === 'admin') {
		const u = await api.users().catch(() => null);
		known.replaceChildren(...(u?.users || []).filter((x) => x.name !== lab.owner).map((x) => el('option', { value: x.name })));
	}
}

// ---- one lab: the canvas, the node and link panels ----

const SVGNS = 'http://www.w3.org/2000/svg';
const NODE_W = 96, NODE_H = 40;
let current = null; // {name, lab, access: own|write|read, sel: {node}|{link}, watch: AbortController}

// ro - the lab on the page is mine to watch only: every button that changes it is disabled.
const ro = () => current?.access === 'read';

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
	/* Shared otherwise now: every button is drawn again. */
	if (accessOf(lab) !== cur.access) return showLab(lab.name);
	cur.lab = lab;
	cur.name = lab.name;
	render();
	drawPractice();
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
			tabindex: 0, role: 'button', 'aria-label': `node ${n.name}, ${stateText(n)}`,
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
	if (ro()) { select({ node: n.name }); return; }
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
		stateText(n) + bootText(n, ' · '));
	const accel = el('span', { class: 'accel', title: n.accel_reason || '' }, (n.accel_in_use || '-').toUpperCase());
	const act = (a) => el('button', { disabled: ro(), onclick: () => attempt(`${a} ${n.name}`, () => api.nodeAction(lab, n.name, a)) }, a);
	return el('tr', { 'data-node': n.name },
		el('td', {}, n.name), el('td', {}, n.template), el('td', {}, badge), el('td', {}, accel),
		el('td', {}, act('start'), act('stop'), n.state === 'paused' ? act('resume') : '',
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
		if (s.node && nodeOf(s.node)) {
			p.querySelector('#node-status').textContent = nodeStatus(nodeOf(s.node));
			p.querySelector('#node-resume').hidden = nodeOf(s.node).state !== 'paused';
		}
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

const nodeStatus = (n) => `${n.template}, ${stateText(n)}${bootText(n, ', ')}; accelerator ${(n.accel_in_use || '-').toUpperCase()}` +
	(n.boot_expected_s ? `; boot expected in ${n.boot_expected_s} s (${n.boot_basis})` : '');

// originOf - where an imported node came from, and the config it brought that its template cannot read.
function originOf(n) {
	const o = n.origin;
	if (!o) return [];
	const pre = o.template && o.template !== n.template ? `; ${o.template} wanted (no image for it here)` : '';
	const kept = el('pre', { id: 'node-origin-config' });
	kept.textContent = o.config || '';
	return [el('p', { id: 'node-origin', class: 'sub' }, `Imported from ${o.format}: ${o.kind}${o.image ? ` (${o.image})` : ''}${pre}`),
		o.config ? el('details', {}, el('summary', {}, 'Its config, kept but not applied'), kept) : '',
		o.config_ref ? el('p', { class: 'sub' }, `Its config was in ${o.config_ref}, which the import did not have: paste it as the startup config.`) : ''];
}

function nodePanel(n) {
	const act = (a, label) => el('button', { disabled: ro(), onclick: () => attempt(`${label} ${n.name}`, () => api.nodeAction(current.name, n.name, a)) }, label);
	const cfg = el('textarea', { id: 'node-config', rows: 6, 'aria-label': 'startup config', readonly: ro() });
	cfg.value = n.startup_config || '';
	return [
		el('h3', {}, `Node ${n.name}`),
		el('p', { id: 'node-status' }, nodeStatus(n)),
		n.accel_reason ? el('p', { class: 'sub' }, n.accel_reason) : '',
		n.error ? el('p', { class: 'error' }, n.error) : '',
		...originOf(n),
		el('div', { class: 'toolbar' }, act('start', 'Start'), act('stop', 'Stop'), act('reload', 'Reload'), act('wipe', 'Wipe'),
			Object.assign(act('resume', 'Resume'), { id: 'node-resume', hidden: n.state !== 'paused' }),
			el('button', { onclick: () => openConsole(current.name, n.name) }, 'Console'),
			el('button', { class: 'danger', disabled: ro(), onclick: async () => {
				if (!confirm(`Delete node ${n.name} and its links?`)) return;
				if ((await attempt('Deleting the node', () => api.deleteNode(current.name, n.name))) !== undefined) { current.sel = null; reloadLab(); }
			} }, 'Delete')),
		// The keyboard's way to draw a link: pick the other node here.
		el('form', { class: 'linkto', onsubmit: (ev) => {
			ev.preventDefault();
			const to = ev.target.elements.to.value;
			if (to) select({ newLink: [n.name, to] });
		} }, el('fieldset', { class: 'plain', disabled: ro() }, el('label', {}, 'Link to ', el('select', { name: 'to', id: 'link-to' },
			...current.lab.nodes.filter((o) => o.name !== n.name).map((o) => el('option', {}, o.name)))),
		el('button', { type: 'submit' }, 'Choose interfaces…'))),
		el('label', { for: 'node-config' }, 'Startup config'), cfg,
		el('button', { id: 'node-config-save', disabled: ro(), onclick: async () => {
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
	el('div', { class: 'toolbar' }, el('button', { type: 'submit', id: 'link-create', disabled: ro() }, 'Create link'),
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
	} }, el('fieldset', { class: 'plain', disabled: ro() },
		...IMP.map(([k, label]) => el('label', {}, label, el('input', { name: k, type: 'number', min: 0, step: 'any', value: l.impairment?.[k] || 0 }))),
		el('button', { type: 'submit', id: 'impair-apply' }, 'Apply impairment')));
	const filter = el('input', { id: 'capture-filter', placeholder: 'BPF filter, e.g. icmp', 'aria-label': 'capture filter' });
	const rows = el('tbody', {});
	const packets = el('table', { id: 'packets' },
		el('thead', {}, el('tr', {}, ...['Time', 'Source', 'Destination', 'Protocol', 'Info'].map((h) => el('th', {}, h)))), rows);
	const caps = el('ul', { id: 'captures' });
	const panel = el('div', { 'data-panel-link': l.id },
		el('h3', {}, `Link ${l.id} (${l.kind})`),
		el('p', { id: 'link-info' }),
		el('div', { class: 'toolbar' },
			el('button', { id: 'link-toggle', disabled: ro(), onclick: async () => {
				const lk = current.lab.links.find((x) => x.id === l.id);
				if (await attempt('Changing the link state', () => api.patchLink(current.name, l.id, { state: lk.state === 'up' ? 'down' : 'up' }))) reloadLab();
			} }),
			el('button', { class: 'danger', disabled: ro(), onclick: async () => {
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
		} }, filter, el('button', { type: 'submit', id: 'capture-start', disabled: ro() }, 'Start capture'),
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
		el('a', { href: api.url(api.pcapPath(current.name, l.id, c.id, false)), download: `link${l.id}-capture${c.id}.pcap` }, 'download'),
		c.state === 'running' ? el('button', { disabled: ro(), onclick: async () => {
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
	api.stream(api.pcapPath(current.name, l.id, cap, true), (chunk) => rd.push(chunk), ac.signal)
		.catch((e) => { if (e.name !== 'AbortError' && e.status !== 401) say(`Watching the capture failed: ${e.message}`, true); });
}

async function showRecent(l, rows) {
	current.watch?.abort();
	current.watch = null;
	rows.replaceChildren();
	const rd = new PcapReader(addPackets(rows, { v: null }));
	await attempt('Fetching the recent frames', () => api.stream(api.recentPath(current.name, l.id), (c) => rd.push(c)));
}

async function showLab(name) {
	const lab = await attempt('Loading the lab', () => api.lab(name));
	if (!lab) return;
	const tr = await attempt('Loading the templates', () => api.templates());
	leaveLab(); /* a reload when the lab's sharing changed */
	current = { name: lab.name, lab, access: accessOf(lab), sel: null, watch: null };
	crumb.textContent = `› ${lab.name}`;
	const shared = { read: ' · shared with you read-only: you can watch it and its consoles, not change them', write: ' · shared with you' };
	const tpl = el('select', { id: 'new-node-template', 'aria-label': 'template' },
		...(tr?.templates || []).map((t) => el('option', {}, t.name)));
	const nname = el('input', { id: 'new-node-name', placeholder: 'node name', 'aria-label': 'node name', size: 10 });
	view.replaceChildren(
		el('h1', {}, lab.name),
		el('p', { id: 'lab-owner', class: 'sub' }, `Owner: ${lab.owner || '-'}${shared[current.access] || ''}`),
		el('div', { class: 'toolbar' },
			el('button', { id: 'lab-start', disabled: ro(), onclick: () => attempt('Starting the lab', () => api.startLab(lab.name)) }, 'Start lab'),
			el('button', { id: 'lab-stop', disabled: ro(), onclick: () => attempt('Stopping the lab', () => api.stopLab(lab.name)) }, 'Stop lab'),
			el('button', { id: 'lab-share', disabled: !owns(lab), onclick: () => shareDialog(lab.id) }, 'Share'),
			/* Downloads: the daemon names the file (Content-Disposition). */
			el('a', { id: 'export-labwire', class: 'button', href: api.url(api.exportPath(lab.name, 'labwire')), download: '' }, 'Export (labwire)'),
			el('a', { id: 'export-clab', class: 'button', href: api.url(api.exportPath(lab.name, 'clab')), download: '' }, 'Export (containerlab)'),
			el('form', { id: 'new-node', onsubmit: async (ev) => {
				ev.preventDefault();
				const n = current.lab.nodes.length;
				const body = { name: nname.value.trim(), template: tpl.value, x: 40 + (n % 6) * 140, y: 40 + Math.floor(n / 6) * 110 };
				if (await attempt('Adding the node', () => api.createNode(current.name, body))) { nname.value = ''; reloadLab(); }
			} }, el('fieldset', { class: 'plain', disabled: ro() }, tpl, nname, el('button', { type: 'submit' }, 'Add node')))),
		el('div', { class: 'workspace' },
			el('div', { class: 'canvas-wrap' }, svg('svg', { id: 'canvas', width: 860, height: 480, role: 'group', 'aria-label': 'topology' })),
			el('div', { class: 'side' }, el('section', { id: 'practice', 'aria-label': 'practice', hidden: true }), el('aside', { id: 'panel' }))),
		el('h2', {}, 'Nodes'),
		el('table', { id: 'nodes' }));
	render();
	drawPractice();
	loadStages();
	showLastGrade();
}

// ---- a practice lab: its guide, "Check my work", its stages ----

// Grading types on the consoles, so it needs write access; a whole grade takes up to 90 s.
const hasChecks = (lab) => (lab.checks || []).length > 0 || (lab.stages || []).some((st) => (st.checks || []).length > 0);
const hasPractice = (lab) => Boolean(lab.guide) || hasChecks(lab) || (lab.stages || []).length > 0;
const plural = (k, what) => `${k} ${what}${k === 1 ? '' : 's'}`;
const when = (at) => (at ? new Date(at * 1000).toLocaleString() : '');

// drawPractice - the section beside the canvas; drawn once, then only what changed (the guide's
// text, the stage list), so a result shown or a stage picked stays while nodes change state.
function drawPractice() {
	const sec = document.getElementById('practice');
	if (!sec || !current) return;
	const lab = current.lab;
	const edit = !ro();
	sec.hidden = !hasPractice(lab) && !edit;
	if (!sec.firstChild) {
		const pick = el('select', { id: 'stage-pick', 'aria-label': 'stage', onchange: () => drawStageInfo() });
		sec.append(
			el('div', { class: 'practice-head' }, el('h2', { id: 'guide-title' }, 'Guide'),
				edit ? el('button', { id: 'guide-edit', onclick: guideDialog }) : ''),
			el('div', { id: 'guide', class: 'guide' }),
			el('div', { class: 'toolbar' },
				el('button', { id: 'grade', class: 'grade-btn', disabled: ro(), onclick: () => runGrade(0) }, 'Check my work')),
			el('div', { id: 'stages', hidden: true },
				el('label', {}, 'Stage ', pick),
				el('button', { id: 'stage-restore', class: 'grade-btn', disabled: ro(), onclick: () => restoreStage(Number(pick.value)) }, 'Restore'),
				el('button', { id: 'stage-grade', class: 'grade-btn', disabled: ro(), onclick: () => runGrade(Number(pick.value)) }, 'Check this stage'),
				el('p', { id: 'stage-desc', class: 'sub' })),
			el('div', { id: 'grade-progress', role: 'status', 'aria-live': 'polite', hidden: true },
				el('progress', { 'aria-label': 'checking' }), ' ', el('span', { id: 'grade-elapsed' })),
			el('div', { id: 'grade-result' }));
	}
	/* A lab without a guide shows only the owner's button to write one. */
	const g = document.getElementById('guide');
	document.getElementById('guide-title').hidden = g.hidden = !lab.guide;
	if (edit) document.getElementById('guide-edit').textContent = lab.guide ? 'Edit guide…' : 'Add a guide…';
	if (g.dataset.text !== (lab.guide || '')) {
		g.dataset.text = lab.guide || '';
		g.replaceChildren(renderGuide(lab.guide || ''));
	}
	document.getElementById('grade').hidden = !hasChecks(lab);
	drawStages();
}

// drawStages - the stage picker (0 is the lab's start, 1.. its stages), redrawn when the stages change.
function drawStages() {
	const stages = current.lab.stages || [];
	const pick = document.getElementById('stage-pick');
	const key = JSON.stringify(stages.map((st) => st.name));
	document.getElementById('stages').hidden = stages.length === 0;
	if (pick.dataset.key === key) return;
	const was = pick.value;
	pick.dataset.key = key;
	pick.replaceChildren(el('option', { value: 0 }, '0: the start'),
		...stages.map((st, i) => el('option', { value: i + 1 }, `${i + 1}: ${st.name}`)));
	if (was && Number(was) <= stages.length) pick.value = was;
	drawStageInfo();
}

// loadStages - a daemon whose lab carries no stages field: ask for them.
async function loadStages() {
	const cur = current;
	if (Array.isArray(cur.lab.stages)) return;
	const r = await api.stages(cur.name).catch(() => null);
	if (current !== cur || !r) return;
	cur.lab.stages = r.stages || [];
	drawPractice();
}

function drawStageInfo() {
	const n = Number(document.getElementById('stage-pick').value);
	const st = current.lab.stages?.[n - 1];
	document.getElementById('stage-desc').textContent = n === 0 ? 'Restoring stage 0 puts every node back to the lab\'s start.'
		: `${st?.description || ''} ${st ? `(${plural((st.checks || []).length, 'check')})` : ''}`.trim();
	document.getElementById('stage-grade').disabled = ro() || n === 0;
}

async function restoreStage(n) {
	if (!confirm(`Restore stage ${n}? Every node's startup config becomes stage ${n}'s ${n ? 'reference' : 'starting'} config ` +
		'and running nodes reload with it: what was typed on their consoles is lost.')) return;
	const r = await attempt(`Restoring stage ${n}`, () => api.restoreStage(current.name, n));
	if (r) say(`Stage ${n} restored: ${(r.nodes || []).map((x) => `${x.name} ${x.action}${x.error ? ` (${x.error})` : ''}`).join(', ') || 'no nodes'}.`);
}

// gradeWhenFree - POST grade; while the daemon answers 429 (it grades at most 4
// labs at once: a class pressing the button together), wait its Retry-After and
// ask again, for up to 3 minutes, telling the learner through say().
async function gradeWhenFree(cur, stage, say) {
	const until = Date.now() + 180000;
	for (;;) {
		try {
			return await api.grade(cur.name, stage);
		} catch (e) {
			if (!(e instanceof ApiError) || e.status !== 429 || Date.now() > until || current !== cur)
				throw e;
			const s = Math.min(Math.max(e.retryAfter || 5, 1), 30);
			say(`The daemon is busy checking other labs; asking again in ${s} s…`);
			await new Promise((res) => setTimeout(res, s * 1000));
			say('');
		}
	}
}

// runGrade - POST grade (stage n, 0 = every check) with a progress line; the result or the refusal below.
async function runGrade(stage) {
	const cur = current;
	const btns = [...document.querySelectorAll('#practice .grade-btn')];
	const prog = document.getElementById('grade-progress');
	const out = document.getElementById('grade-result');
	const t0 = Date.now();
	let waiting = ''; // set while the daemon is busy grading other labs (429)
	const tick = () => { document.getElementById('grade-elapsed').textContent = waiting ||
		`Checking${stage ? ` stage ${stage}` : ''} on the consoles… ${Math.floor((Date.now() - t0) / 1000)} s`; };
	btns.forEach((b) => { b.disabled = true; });
	prog.hidden = false;
	tick();
	const timer = setInterval(tick, 1000);
	cur.grading = { active: true, stop: () => clearInterval(timer) };
	try {
		const r = await gradeWhenFree(cur, stage, (msg) => { waiting = msg; tick(); });
		if (current === cur) showGrade(r, false);
	} catch (e) {
		if (current === cur && !(e instanceof ApiError && e.status === 401)) {
			delete out.dataset.grade;
			out.replaceChildren(el('p', { id: 'grade-error', class: 'error', role: 'alert' },
				e instanceof ApiError ? e.message : `Checking failed: ${e}`));
		}
	} finally {
		clearInterval(timer);
		cur.grading.active = false;
		if (current === cur) {
			prog.hidden = true;
			btns.forEach((b) => { b.disabled = ro(); });
			drawStageInfo();
		}
	}
}

// gradeView - the score, then a row per check (passed or failed, points, detail) and a failed one's hint.
function gradeView(r, earlier) {
	const rows = [];
	for (const c of r.checks || []) {
		rows.push(el('tr', { 'data-check': c.id, class: c.passed ? 'pass' : 'fail' },
			el('td', { class: 'mark' }, c.passed ? '✓ passed' : '✗ failed'),
			el('td', {}, c.description || c.id, el('div', { class: 'sub' }, `${c.id} · ${c.kind || ''} on ${c.node || '-'}`)),
			el('td', { class: 'points' }, `${c.points}/${c.max_points}`),
			el('td', { class: 'detail' }, c.detail || '')));
		if (!c.passed && c.hint)
			rows.push(el('tr', { class: 'hint-row', 'data-hint': c.id }, el('td', {}), el('td', { colspan: 3 }, `Hint: ${c.hint}`)));
	}
	return [
		el('p', { id: 'grade-score', class: r.passed ? 'full' : 'partial' },
			`Score ${r.score} / ${r.max_score}${r.passed ? ': full marks' : ''}`,
			el('span', { class: 'sub' }, ` · ${r.stage ? `stage ${r.stage}` : 'every check'} · ${earlier ? 'last checked ' : ''}${when(r.at)}`)),
		el('table', { id: 'grade-checks' }, thead('', 'Check', 'Points', 'Detail'), el('tbody', {}, ...rows)),
	];
}

// showLastGrade - the newest stored result, so a learner coming back sees where they were.
async function showLastGrade() {
	const cur = current;
	if (!hasChecks(cur.lab)) return;
	const list = await api.grades(cur.name).catch(() => null);
	const last = list?.grades?.[0];
	if (!last) return;
	const r = await api.gradeResult(cur.name, last.id).catch(() => null);
	if (r && current === cur && !document.getElementById('grade-result')?.firstChild) showGrade(r, true);
}

async function showGradeById(id) {
	const cur = current;
	const r = await api.gradeResult(cur.name, id).catch(() => null);
	if (r && current === cur && !cur.grading?.active) showGrade(r, true);
}

// showGrade - a result in the section; an earlier one (stored, or from the event stream) does not
// replace the same result shown as just checked.
function showGrade(r, earlier) {
	const out = document.getElementById('grade-result');
	if (!out || (earlier && out.dataset.grade === String(r.id))) return;
	out.dataset.grade = r.id;
	out.replaceChildren(...gradeView(r, earlier));
}

function guideDialog() {
	const preview = el('div', { id: 'guide-preview', class: 'guide', 'aria-label': 'preview' });
	let timer = null;
	const text = el('textarea', { id: 'guide-text', rows: 18, cols: 72, maxlength: 65536, 'aria-label': 'guide (Markdown)',
		oninput: () => { clearTimeout(timer); timer = setTimeout(() => preview.replaceChildren(renderGuide(text.value)), 300); } });
	text.value = current.lab.guide || '';
	preview.replaceChildren(renderGuide(text.value));
	const lab = current.name;
	modal('guide-dialog', `Guide of ${lab}`, [el('p', { class: 'hint' }, 'Markdown; shown sanitized (no script, no remote images). At most 64 KiB.'),
		el('div', { class: 'guide-edit' }, text, preview)],
		'Save guide', async () => {
			await api.putGuide(lab, text.value);
			say(`Saved the guide of ${lab}.`);
			if (current?.name === lab) reloadLab();
		});
}

// Live state: node events update the node in place; link changes reload the lab.
function onEvent(kind, ev) {
	/* The stream was refused: if the session is over, asking who we are shows the login page. */
	if (kind === 'closed') { api.me().catch(() => {}); return; }
	if (kind === 'reconnect') { if (current) reloadLab(); else if (assignView) assignView.refresh(); else if (!location.hash.startsWith('#/labs/')) showLabs(); return; }
	/* The instructor's table follows its members' labs (states, grades): redrawn at most once a second. */
	if (assignView && (kind === 'node' || kind === 'lab' || kind === 'grade')) { assignView.soon(); return; }
	if (!current) return;
	const obj = ev[kind] || {};
	/* Graded elsewhere (the CLI, another page): the newest result is shown here too. */
	if (kind === 'grade') {
		if (obj.lab === current.lab.id && !current.grading?.active) showGradeById(obj.id);
		return;
	}
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
		if (!('paused_reason' in obj)) delete n.paused_reason;
		render();
	} else {
		reloadLab(); /* a node or link added, changed or deleted, here or elsewhere */
	}
}

// ---- consoles: several at once, each a panel with xterm.js ----

// A read-only lab's console is watch-only: the daemon drops what is typed, so nothing is sent.
// (An instructor watching a member's copy opens it so from the assignment page.)
function openConsole(lab, node, watchOnly = ro()) {
	const id = `console-${encodeURIComponent(lab)}/${encodeURIComponent(node)}`;
	if (document.getElementById(id)) return;
	const box = el('div', { class: 'term' });
	const close = () => { ws.close(); term.dispose(); panel.remove(); };
	const panel = el('div', { class: `console${watchOnly ? ' readonly' : ''}`, id, 'data-node': node },
		el('div', { class: 'title' }, `${lab} / ${node}`,
			watchOnly ? el('span', { class: 'badge ro' }, 'read-only') : '',
			el('button', { 'aria-label': `close ${node}'s console`, onclick: close }, '×')),
		box);
	panel.closeConsole = close;
	consoles.append(panel);
	const term = new Terminal({ cols: 100, rows: 24, scrollback: 5000, convertEol: false, disableStdin: watchOnly });
	term.open(box);
	const ws = api.consoleSocket(lab, node);
	ws.onmessage = (m) => term.write(new Uint8Array(m.data));
	ws.onclose = () => term.write('\r\n[console closed]\r\n');
	term.onData((d) => { if (!watchOnly && ws.readyState === WebSocket.OPEN) ws.send(d); });
	/* In view: xterm.js does not render a terminal that is off screen. */
	panel.scrollIntoView({ block: 'nearest' });
	term.focus();
}

// ---- assignments: a lab handed to a group; each member works on a copy of their own ----

let assignView = null; // the assignment page shown: {refresh, soon}

// instructs - I made the assignment (a leader of its group) or am an admin: I see every member's row.
const instructs = (a) => (a.role ? a.role === 'instructor' : me.role === 'admin' || a.instructor === me.name);

async function showAssignments() {
	crumb.textContent = '› Assignments';
	const r = await attempt('Loading the assignments', () => api.assignments());
	if (!r || location.hash !== '#/assignments') return;
	const lab = el('input', { id: 'new-assignment-lab', placeholder: 'lab', 'aria-label': 'lab to assign', required: true });
	const group = el('input', { id: 'new-assignment-group', placeholder: 'group', 'aria-label': 'group to assign it to', required: true });
	const name = el('input', { id: 'new-assignment-name', placeholder: 'name (optional)', 'aria-label': 'assignment name' });
	const form = el('form', { id: 'new-assignment', onsubmit: async (ev) => {
		ev.preventDefault();
		const body = { lab: lab.value.trim(), group: group.value.trim() };
		if (name.value.trim()) body.name = name.value.trim();
		const a = await attempt('Assigning the lab', () => api.createAssignment(body));
		if (a) location.hash = `#/assignments/${a.id}`;
	} }, lab, group, name, el('button', { type: 'submit' }, 'Assign'));
	const rows = (r.assignments || []).map((a) => el('tr', { 'data-assignment': a.id },
		el('td', {}, el('a', { href: `#/assignments/${a.id}` }, a.name)), el('td', {}, a.lab_name ?? a.lab), el('td', {}, a.group),
		el('td', {}, a.instructor), el('td', {}, when(a.created_at)),
		el('td', { class: 'copy' }, a.instance ? el('a', { href: `#/labs/${encodeURIComponent(a.instance.name)}` }, `${a.instance.name} (${a.instance.state})`) : ''),
		el('td', {}, instructs(a) ? el('button', { class: 'danger', onclick: async () => {
			if (!confirm(`Delete assignment ${a.name}? The members keep their copies.`)) return;
			if ((await attempt('Deleting the assignment', () => api.deleteAssignment(a.id))) !== undefined) showAssignments();
		} }, 'Delete') : '')));
	view.replaceChildren(el('h1', {}, 'Assignments'),
		me.role !== 'user' ? el('div', {}, el('p', { class: 'hint' }, "Assign one of your labs to a group you lead: each member starts a copy of their own."), form) : '',
		rows.length ? el('table', { id: 'assignments' }, thead('Assignment', 'Lab', 'Group', 'Instructor', 'Created', 'Your copy', ''), el('tbody', {}, ...rows))
			: el('p', { id: 'no-assignments', class: 'hint' }, 'No assignments.'));
}

// showAssignment - one assignment: the instructor's table (member, their copy's state, last grade
// and when, watch their consoles read-only), or a member's own row with a button to start their copy.
async function showAssignment(id) {
	const draw = async () => {
		const a = await attempt('Loading the assignment', () => api.assignment(id));
		if (!a || assignView !== page) return;
		crumb.textContent = `› Assignments › ${a.name}`;
		const rows = (a.members || []).map((m) => memberRow(a, m, page));
		view.replaceChildren(el('h1', {}, a.name),
			el('p', { id: 'assignment-info', class: 'sub' }, `Lab ${a.lab_name ?? a.lab} for group ${a.group}; instructor ${a.instructor}`),
			el('div', { class: 'toolbar' }, el('button', { id: 'assignment-refresh', onclick: draw }, 'Refresh')),
			el('table', { id: 'members' }, thead('Member', 'Copy', 'State', 'Last grade', 'When', ''), el('tbody', {}, ...rows)),
			instructs(a) ? el('p', { class: 'hint' }, "Watching opens a member's console read-only: you see what they type, you cannot type.") : '');
	};
	let timer = null;
	/* watching: member → their copy's nodes, listed under Watch… (kept when the table is redrawn). */
	const page = { refresh: draw, watching: new Map(),
		soon: () => { if (!timer) timer = setTimeout(() => { timer = null; if (assignView === page) draw(); }, 1000); } };
	assignView = page;
	await draw();
}

function memberRow(a, m, page) {
	const inst = m.instance;
	const g = m.last_grade;
	const mine = m.user === me.name;
	const nodes = el('span', { class: 'watch-nodes' });
	const list = (lab) => {
		const watchOnly = accessOf(lab) === 'read';
		nodes.replaceChildren(...lab.nodes.map((n) => el('button', { 'data-watch': n.name,
			onclick: () => openConsole(lab.name, n.name, watchOnly) }, `${watchOnly ? 'watch' : 'console'} ${n.name}`)));
	};
	const watch = async () => {
		const lab = await attempt(`Loading ${inst.name}`, () => api.lab(inst.name));
		if (!lab) return;
		page.watching.set(m.user, lab);
		list(lab);
	};
	if (inst && page.watching.get(m.user)?.name === inst.name) list(page.watching.get(m.user));
	return el('tr', { 'data-member': m.user },
		el('td', {}, m.user),
		el('td', {}, inst ? el('a', { href: `#/labs/${encodeURIComponent(inst.name)}` }, inst.name) : '—'),
		el('td', {}, inst ? el('span', { class: `badge ${inst.state}`, 'data-state': inst.state }, inst.state) : 'not started'),
		el('td', { class: 'grade' }, g ? `${g.score} / ${g.max_score}${g.stage ? ` (stage ${g.stage})` : ''}${g.passed ? ' ✓ full marks' : ''}` : '—'),
		el('td', {}, g ? when(g.at) : ''),
		el('td', {},
			inst && !mine ? el('button', { class: 'watch', onclick: watch }, 'Watch…') : '',
			mine ? el('button', { id: 'assignment-start', onclick: async () => {
				const lab = await attempt('Making your copy', () => api.assignmentInstance(a.id));
				if (lab) location.hash = `#/labs/${encodeURIComponent(lab.name)}`;
			} }, inst ? 'Open my copy' : 'Start my copy') : '',
			nodes));
}

// ---- admin: users, groups, the audit log ----

const ROLES = ['user', 'instructor', 'admin'];
const QUOTAS = [['running_nodes', 'running nodes', ''], ['ram_mb', 'RAM', ' MB'], ['capture_mb', 'captures', ' MB']];
// Usage against the quota, "0" being no limit.
const quotaText = (u) => QUOTAS.map(([k, label, unit]) =>
	`${label} ${u.usage?.[k] ?? 0}${unit} / ${u.quota?.[k] ? `${u.quota[k]}${unit}` : 'no limit'}`).join('; ');
const names = (s) => s.split(/[\s,]+/).filter(Boolean);
const roleSelect = (role, attrs) => el('select', attrs, ...ROLES.map((r) => el('option', { selected: r === role }, r)));

async function showAdmin() {
	crumb.textContent = '› Admin';
	if (me.role !== 'admin') {
		view.replaceChildren(el('p', { class: 'error' }, 'The admin pages are for admins.'));
		return;
	}
	const [u, g] = await Promise.all([attempt('Loading the users', api.users), attempt('Loading the groups', api.groups)]);
	if (!u || !g || location.hash !== '#/admin') return;
	view.replaceChildren(el('h1', {}, 'Admin'), usersSection(u.users), groupsSection(g.groups), auditSection());
}

function usersSection(users) {
	const name = el('input', { id: 'new-user-name', placeholder: 'name', 'aria-label': 'new user name', required: true });
	const pw = el('input', { id: 'new-user-password', type: 'password', placeholder: 'password (8 or more)', minlength: 8,
		'aria-label': 'new user password', autocomplete: 'new-password', required: true });
	const role = roleSelect('user', { id: 'new-user-role', 'aria-label': 'new user role' });
	const form = el('form', { id: 'new-user', onsubmit: async (ev) => {
		ev.preventDefault();
		const body = { name: name.value.trim(), password: pw.value, role: role.value };
		if (await attempt('Adding the user', () => api.createUser(body))) showAdmin();
	} }, name, pw, role, el('button', { type: 'submit' }, 'Add user'));
	return el('section', { id: 'users-section' }, el('h2', {}, 'Users'), form,
		el('table', { id: 'users' }, thead('User', 'Role', 'Usage / quota', 'Groups', ''), el('tbody', {}, ...users.map(userRow))));
}

function userRow(u) {
	const role = roleSelect(u.role, { 'aria-label': `${u.name}'s role`, onchange: async () => {
		if (await attempt(`Changing ${u.name}'s role`, () => api.patchUser(u.name, { role: role.value }))) showAdmin();
		else role.value = u.role;
	} });
	return el('tr', { 'data-user': u.name },
		el('td', {}, u.name), el('td', {}, role), el('td', { class: 'quota' }, quotaText(u)),
		el('td', {}, (u.groups || []).map((g) => (g.leader ? `${g.name} (leader)` : g.name)).join(', ')),
		el('td', {},
			el('button', { onclick: () => quotaDialog(u) }, 'Quotas…'),
			el('button', { onclick: () => resetDialog(u) }, 'Password…'),
			el('button', { class: 'danger', onclick: async () => {
				if (!confirm(`Delete user ${u.name}? Their sessions and tokens end.`)) return;
				if ((await attempt(`Deleting ${u.name}`, () => api.deleteUser(u.name))) !== undefined) showAdmin();
			} }, 'Delete')));
}

function quotaDialog(u) {
	const inputs = QUOTAS.map(([k]) => el('input', { name: k, type: 'number', min: 0, step: 1, value: u.quota?.[k] || 0 }));
	modal('quota', `Quotas of ${u.name}`, [...QUOTAS.map(([, label, unit], i) => el('label', {}, `${label}${unit ? ` (${unit.trim()})` : ''}`, inputs[i])),
		el('p', { class: 'hint' }, '0 is no limit.')], 'Save quotas', async () => {
		const quota = Object.fromEntries(QUOTAS.map(([k], i) => [k, Number(inputs[i].value) || 0]));
		await api.patchUser(u.name, { quota });
		showAdmin();
	});
}

function resetDialog(u) {
	const pw = el('input', { id: 'reset-password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8 });
	modal('reset', `New password for ${u.name}`, [el('label', {}, 'New password (8 or more characters)', pw),
		el('p', { class: 'hint' }, 'Their open sessions end.')], 'Set password', async () => {
		await api.patchUser(u.name, { password: pw.value });
		if (u.name === me.name) showLogin('Your password was changed: log in with the new one.');
		else say(`${u.name}'s password was set.`);
	});
}

function groupsSection(groups) {
	const name = el('input', { id: 'new-group-name', placeholder: 'name', 'aria-label': 'new group name', required: true });
	const leaders = el('input', { id: 'new-group-leaders', placeholder: 'leaders: a, b', 'aria-label': 'new group leaders' });
	const members = el('input', { id: 'new-group-members', placeholder: 'members: c, d', 'aria-label': 'new group members' });
	const form = el('form', { id: 'new-group', onsubmit: async (ev) => {
		ev.preventDefault();
		const body = { name: name.value.trim(), leaders: names(leaders.value), members: names(members.value) };
		if (await attempt('Creating the group', () => api.createGroup(body))) showAdmin();
	} }, name, leaders, members, el('button', { type: 'submit' }, 'Create group'));
	const rows = groups.map((g) => el('tr', { 'data-group': g.name },
		el('td', {}, g.name), el('td', {}, g.leaders.join(', ')), el('td', {}, g.members.join(', ')),
		el('td', {},
			el('button', { onclick: () => groupDialog(g) }, 'Edit…'),
			el('button', { class: 'danger', onclick: async () => {
				if (!confirm(`Delete group ${g.name}? Its users stay.`)) return;
				if ((await attempt(`Deleting ${g.name}`, () => api.deleteGroup(g.name))) !== undefined) showAdmin();
			} }, 'Delete'))));
	return el('section', { id: 'groups-section' }, el('h2', {}, 'Groups'),
		el('p', { class: 'hint' }, "A group's leaders (instructors) may watch its members' labs."), form,
		el('table', { id: 'groups' }, thead('Group', 'Leaders', 'Members', ''), el('tbody', {}, ...rows)));
}

function groupDialog(g) {
	const leaders = el('input', { name: 'leaders', size: 40, value: g.leaders.join(', ') });
	const members = el('input', { name: 'members', size: 40, value: g.members.join(', ') });
	modal('group', `Group ${g.name}`, [el('label', {}, 'Leaders', leaders), el('label', {}, 'Members', members)], 'Save group', async () => {
		await api.patchGroup(g.name, { leaders: names(leaders.value), members: names(members.value) });
		showAdmin();
	});
}

// The audit log, newest first, 100 at a time; "Older" goes on from the last one shown.
function auditSection() {
	const rows = el('tbody');
	let before;
	const more = async () => {
		const r = await attempt('Loading the audit log', () => api.audit(100, before));
		if (!r) return;
		rows.append(...r.entries.map((a) => el('tr', { 'data-audit': a.id, 'data-action': a.action, class: a.ok ? '' : 'refused' },
			el('td', {}, new Date(a.at * 1000).toLocaleString()), el('td', {}, a.user), el('td', {}, a.addr),
			el('td', {}, a.action), el('td', {}, a.target), el('td', {}, a.ok ? 'ok' : 'refused'), el('td', {}, a.detail))));
		if (r.entries.length) before = r.entries[r.entries.length - 1].id;
		older.disabled = r.entries.length < 100;
	};
	const older = el('button', { id: 'audit-older', onclick: more }, 'Older');
	more();
	return el('section', { id: 'audit-section' }, el('h2', {}, 'Audit log'),
		el('table', { id: 'audit' }, thead('When', 'User', 'Address', 'Action', 'Target', 'Result', 'Detail'), rows), older);
}

// ---- routing ----

function leaveLab() {
	current?.watch?.abort();
	current?.grading?.stop();
	current = null;
	assignView = null;
}

function route() {
	if (!me) return; /* the login page stays until a login */
	const m = location.hash.match(/^#\/labs\/(.+)$/);
	let name = null;
	try {
		name = m ? decodeURIComponent(m[1]) : null;
	} catch {
		name = null; /* a malformed %-sequence: back to the list */
	}
	leaveLab();
	const a = location.hash.match(/^#\/assignments(?:\/(\d+))?$/);
	if (name) showLab(name);
	else if (a && a[1]) showAssignment(Number(a[1]));
	else if (a) showAssignments();
	else if (location.hash === '#/admin') showAdmin();
	else showLabs();
}

// Who am I: the app, or (401) the login page.
async function boot() {
	try {
		enter(await api.me());
	} catch (e) {
		if (!(e instanceof ApiError && e.status === 401)) say(`Reaching the daemon failed: ${e.message}`, true);
	}
}

window.addEventListener('hashchange', route);
boot();
