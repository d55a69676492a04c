// api.js - every call the UI makes to the daemon goes through here: one
// request function carries the session (the HttpOnly cookie set by login,
// sent by a same-origin fetch) and turns a 401 into "show the login page".
// The UI uses only the public REST, WebSocket and SSE API: anything it
// does, automation can do.

const BASE = '/api/v1';

export class ApiError extends Error {
	constructor(status, code, message, retryAfter) {
		super(message);
		this.status = status;
		this.code = code;
		this.retryAfter = retryAfter;
	}
}

// What to do when the daemon no longer knows us (app.js shows the login page).
let unauthorized = () => {};

async function failure(r) {
	const j = await r.json().catch(() => null);
	const e = j && j.error ? j.error : { code: 'http', message: `HTTP ${r.status}` };
	return new ApiError(r.status, e.code, e.message, Number(r.headers.get('Retry-After')) || 0);
}

// request - fetch BASE + path with the session; an error status throws ApiError.
// A refused login is the login form's to explain, not a lost session.
async function request(path, opts = {}) {
	const r = await fetch(BASE + path, { ...opts, credentials: 'same-origin' });
	if (r.ok) return r;
	const e = await failure(r);
	if (r.status === 401 && path !== '/auth/login') unauthorized(e);
	throw e;
}

async function call(method, path, body) {
	const opts = { method, headers: { Accept: 'application/json' } };
	if (body !== undefined) {
		opts.headers['Content-Type'] = 'application/json';
		opts.body = JSON.stringify(body);
	}
	const r = await request(path, opts);
	if (r.status === 204) return null;
	return r.json().catch(() => null);
}

const enc = encodeURIComponent;

const query = (o) => {
	const q = new URLSearchParams(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)).toString();
	return q ? `?${q}` : '';
};

export const api = {
	onUnauthorized: (fn) => { unauthorized = fn; },
	login: (username, password) => call('POST', '/auth/login', { username, password }),
	logout: () => call('POST', '/auth/logout'),
	me: () => call('GET', '/auth/me'),
	users: () => call('GET', '/users'),
	createUser: (body) => call('POST', '/users', body),
	patchUser: (user, body) => call('PATCH', `/users/${enc(user)}`, body),
	deleteUser: (user) => call('DELETE', `/users/${enc(user)}`),
	groups: () => call('GET', '/groups'),
	createGroup: (body) => call('POST', '/groups', body),
	patchGroup: (group, body) => call('PATCH', `/groups/${enc(group)}`, body),
	deleteGroup: (group) => call('DELETE', `/groups/${enc(group)}`),
	audit: (limit, before) => call('GET', `/audit${query({ limit, before })}`),
	labs: () => call('GET', '/labs'),
	lab: (lab) => call('GET', `/labs/${enc(lab)}`),
	createLab: (body) => call('POST', '/labs', body),
	patchLab: (lab, body) => call('PATCH', `/labs/${enc(lab)}`, body),
	deleteLab: (lab) => call('DELETE', `/labs/${enc(lab)}`),
	startLab: (lab) => call('POST', `/labs/${enc(lab)}/start`),
	stopLab: (lab) => call('POST', `/labs/${enc(lab)}/stop`),
	templates: () => call('GET', '/templates'),
	// importLab - a lab file of another tool (or a labwire export) as it is: its bytes, not JSON.
	// The daemon tells the format and answers {lab, report}; format and name are optional.
	importLab: async (bytes, name, format) => {
		const r = await request(`/labs/import${query({ format, name })}`, { method: 'POST',
			headers: { Accept: 'application/json', 'Content-Type': 'application/octet-stream' }, body: bytes });
		return r.json();
	},
	// A lab as a file (a download; the daemon names it): format labwire or clab, as json or yaml.
	exportPath: (lab, format, as) => `/labs/${enc(lab)}/export${query({ format, as })}`,
	// Practice labs: the guide, the grade (stage 0 or absent: every check), stages and their restore.
	putGuide: (lab, guide) => call('PUT', `/labs/${enc(lab)}/guide`, { guide }),
	grade: (lab, stage) => call('POST', `/labs/${enc(lab)}/grade`, stage ? { stage } : {}),
	grades: (lab) => call('GET', `/labs/${enc(lab)}/grades`),
	gradeResult: (lab, id) => call('GET', `/labs/${enc(lab)}/grades/${id}`),
	stages: (lab) => call('GET', `/labs/${enc(lab)}/stages`),
	restoreStage: (lab, n) => call('POST', `/labs/${enc(lab)}/stages/${n}/restore`),
	// Assignments: an instructor hands a lab to a group; each member works on their own copy.
	assignments: () => call('GET', '/assignments'),
	assignment: (id) => call('GET', `/assignments/${id}`),
	createAssignment: (body) => call('POST', '/assignments', body),
	deleteAssignment: (id) => call('DELETE', `/assignments/${id}`),
	assignmentInstance: (id) => call('POST', `/assignments/${id}/instance`),
	nodeAction: (lab, node, action) => call('POST', `/labs/${enc(lab)}/nodes/${enc(node)}/${action}`),
	createNode: (lab, body) => call('POST', `/labs/${enc(lab)}/nodes`, body),
	patchNode: (lab, node, body) => call('PATCH', `/labs/${enc(lab)}/nodes/${enc(node)}`, body),
	deleteNode: (lab, node) => call('DELETE', `/labs/${enc(lab)}/nodes/${enc(node)}`),
	createLink: (lab, body) => call('POST', `/labs/${enc(lab)}/links`, body),
	patchLink: (lab, link, body) => call('PATCH', `/labs/${enc(lab)}/links/${link}`, body),
	deleteLink: (lab, link) => call('DELETE', `/labs/${enc(lab)}/links/${link}`),
	captures: (lab, link) => call('GET', `/labs/${enc(lab)}/links/${link}/captures`),
	startCapture: (lab, link, body) => call('POST', `/labs/${enc(lab)}/links/${link}/captures`, body),
	stopCapture: (lab, link, cap) => call('DELETE', `/labs/${enc(lab)}/links/${link}/captures/${cap}`),
	// Paths under BASE, for stream(); url() makes one a link (a download).
	pcapPath: (lab, link, cap, follow) => `/labs/${enc(lab)}/links/${link}/captures/${cap}/pcap${follow ? '?follow=1' : ''}`,
	recentPath: (lab, link) => `/labs/${enc(lab)}/links/${link}/recent.pcap`,
	url: (path) => BASE + path,
	// stream - GET path and hand each chunk of the body to onChunk until it ends or signal aborts.
	stream: async (path, onChunk, signal) => {
		const r = await request(path, { signal });
		const rd = r.body.getReader();
		try {
			for (;;) {
				const { done, value } = await rd.read();
				if (done) return;
				onChunk(value);
			}
		} finally {
			rd.cancel().catch(() => {}); /* the connection goes back to the browser's pool */
		}
	},
	events: (onEvent) => {
		const es = new EventSource(BASE + '/events');
		for (const kind of ['node', 'link', 'lab', 'grade'])
			es.addEventListener(kind, (ev) => onEvent(kind, JSON.parse(ev.data)));
		es.onmessage = (ev) => onEvent('message', JSON.parse(ev.data));
		// After a reconnect, events may have been missed: the page reloads what it shows.
		let opened = false;
		es.onopen = () => { if (opened) onEvent('reconnect', {}); opened = true; };
		// A refused stream (the session ended) is not retried: ask who we are, which shows the login page.
		es.onerror = () => { if (es.readyState === EventSource.CLOSED) onEvent('closed', {}); };
		return es;
	},
	consoleSocket: (lab, node) => {
		const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
		const ws = new WebSocket(`${proto}//${location.host}${BASE}/labs/${enc(lab)}/nodes/${enc(node)}/console`);
		ws.binaryType = 'arraybuffer';
		return ws;
	},
};
