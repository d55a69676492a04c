// app.js - the labwire lab UI: a list of labs, and a lab's page with its
// nodes (live state from the event stream), start/stop, and consoles in
// the browser (xterm.js over the console WebSocket).
import { api, ApiError } from '/ui/api.js';
import { Terminal } from '/ui/vendor/xterm.mjs';

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

// ---- one lab ----

let current = null; // {name, lab}

function nodeRow(lab, n) {
	const badge = el('span', { class: `badge ${n.state}`, 'data-state': n.state },
		n.state + (n.ready ? ' · ready' : ''));
	const accel = el('span', { class: 'accel', title: n.accel_reason || '' }, (n.accel_in_use || '-').toUpperCase());
	const act = (a) => el('button', { onclick: () => attempt(`${a} ${n.name}`, () => api.nodeAction(lab, n.name, a)) }, a);
	return el('tr', { 'data-node': n.name },
		el('td', {}, n.name), el('td', {}, n.template), el('td', {}, badge), el('td', {}, accel),
		el('td', {}, act('start'), act('stop'),
			el('button', { onclick: () => openConsole(lab, n.name) }, 'Console')));
}

async function showLab(name) {
	const lab = await attempt('Loading the lab', () => api.lab(name));
	if (!lab) return;
	current = { name: lab.name, lab };
	crumb.textContent = `› ${lab.name}`;
	const links = lab.links.map((l) => el('tr', { 'data-link': l.id },
		el('td', {}, l.id), el('td', {}, l.kind),
		el('td', {}, l.endpoints.map((e) => `${e.node}:${e.interface}`).join(' — ')),
		el('td', {}, l.state), el('td', {}, l.datapath || '')));
	view.replaceChildren(
		el('h1', {}, lab.name),
		el('div', { class: 'toolbar' },
			el('button', { id: 'lab-start', onclick: () => attempt('Starting the lab', () => api.startLab(lab.name)) }, 'Start lab'),
			el('button', { id: 'lab-stop', onclick: () => attempt('Stopping the lab', () => api.stopLab(lab.name)) }, 'Stop lab')),
		el('h2', {}, 'Nodes'),
		el('table', { id: 'nodes' }, el('tbody', {}, ...lab.nodes.map((n) => nodeRow(lab.name, n)))),
		el('h2', {}, 'Links'),
		el('table', { id: 'links' }, el('tbody', {}, ...links)));
}

// Live state: a node event re-renders that node's row, no reload.
function onEvent(kind, ev) {
	if (!current || kind !== 'node' || !ev.node) return;
	const row = view.querySelector(`tr[data-node="${CSS.escape(ev.node.name)}"]`);
	if (!row || ev.node.lab !== current.lab.id) return;
	const n = Object.assign({}, current.lab.nodes.find((x) => x.name === ev.node.name), ev.node);
	row.replaceWith(nodeRow(current.name, n));
}

// ---- consoles: several at once, each a panel with xterm.js ----

function openConsole(lab, node) {
	const id = `console-${lab}-${node}`;
	if (document.getElementById(id)) return;
	const box = el('div', { class: 'term' });
	const panel = el('div', { class: 'console', id, 'data-node': node },
		el('div', { class: 'title' }, `${lab} / ${node}`,
			el('button', { 'aria-label': `close ${node}'s console`, onclick: () => { ws.close(); panel.remove(); } }, '×')),
		box);
	consoles.append(panel);
	const term = new Terminal({ cols: 100, rows: 24, scrollback: 5000, convertEol: false });
	term.open(box);
	const ws = api.consoleSocket(lab, node);
	ws.onmessage = (m) => term.write(new Uint8Array(m.data));
	ws.onclose = () => term.write('\r\n[console closed]\r\n');
	term.onData((d) => { if (ws.readyState === WebSocket.OPEN) ws.send(d); });
	term.focus();
}

// ---- routing ----

function route() {
	const m = location.hash.match(/^#\/labs\/(.+)$/);
	if (m) showLab(decodeURIComponent(m[1]));
	else { current = null; showLabs(); }
}

window.addEventListener('hashchange', route);
api.events(onEvent);
route();
