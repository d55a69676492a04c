// api.js - every call the UI makes to the daemon goes through here, so that
// authentication, when it comes, is added in one place. The UI uses only the
// public REST, WebSocket and SSE API: anything it does, automation can do.

const BASE = '/api/v1';

export class ApiError extends Error {
	constructor(status, code, message) {
		super(message);
		this.status = status;
		this.code = code;
	}
}

async function call(method, path, body) {
	const opts = { method, headers: { Accept: 'application/json' } };
	if (body !== undefined) {
		opts.headers['Content-Type'] = 'application/json';
		opts.body = JSON.stringify(body);
	}
	const r = await fetch(BASE + path, opts);
	if (r.status === 204) return null;
	const j = await r.json().catch(() => null);
	if (!r.ok) {
		const e = j && j.error ? j.error : { code: 'http', message: `HTTP ${r.status}` };
		throw new ApiError(r.status, e.code, e.message);
	}
	return j;
}

const enc = encodeURIComponent;

export const api = {
	labs: () => call('GET', '/labs'),
	lab: (lab) => call('GET', `/labs/${enc(lab)}`),
	createLab: (body) => call('POST', '/labs', body),
	patchLab: (lab, body) => call('PATCH', `/labs/${enc(lab)}`, body),
	deleteLab: (lab) => call('DELETE', `/labs/${enc(lab)}`),
	startLab: (lab) => call('POST', `/labs/${enc(lab)}/start`),
	stopLab: (lab) => call('POST', `/labs/${enc(lab)}/stop`),
	templates: () => call('GET', '/templates'),
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
	pcapUrl: (lab, link, cap, follow) =>
		`${BASE}/labs/${enc(lab)}/links/${link}/captures/${cap}/pcap${follow ? '?follow=1' : ''}`,
	recentUrl: (lab, link) => `${BASE}/labs/${enc(lab)}/links/${link}/recent.pcap`,
	// stream - GET url and hand each chunk of the body to onChunk until it ends or signal aborts.
	stream: async (url, onChunk, signal) => {
		const r = await fetch(url, { signal });
		if (!r.ok) {
			const j = await r.json().catch(() => null);
			throw new ApiError(r.status, j?.error?.code || 'http', j?.error?.message || `HTTP ${r.status}`);
		}
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
		for (const kind of ['node', 'link', 'lab'])
			es.addEventListener(kind, (ev) => onEvent(kind, JSON.parse(ev.data)));
		es.onmessage = (ev) => onEvent('message', JSON.parse(ev.data));
		// After a reconnect, events may have been missed: the page reloads what it shows.
		let opened = false;
		es.onopen = () => { if (opened) onEvent('reconnect', {}); opened = true; };
		return es;
	},
	consoleSocket: (lab, node) => {
		const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
		const ws = new WebSocket(`${proto}//${location.host}${BASE}/labs/${enc(lab)}/nodes/${enc(node)}/console`);
		ws.binaryType = 'arraybuffer';
		return ws;
	},
};
