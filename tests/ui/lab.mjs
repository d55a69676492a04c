// lab.mjs URL ARTIFACTS - a whole lab built and used through the browser UI
// only: create the lab, add h1, r1 and h2 (tiny-linux), give each its
// startup config, draw the links h1—r1 and r1—h2 on the canvas, start it,
// ping h2 from h1's console, cut r1—h2 and see the ping fail, restore it,
// capture h1—r1 and see ICMP rows in the packet list, delete the lab.
// Prints "ok"/"not ok" lines; fails on any error in the browser console.
import { url, artifacts, errors, ok, page, finish } from './harness.mjs';

const CONFIG = {
	h1: 'ip addr add 10.0.1.10/24 dev eth0\nip route add default via 10.0.1.1\n',
	r1: 'ip addr add 10.0.1.1/24 dev eth0\nip addr add 10.0.2.1/24 dev eth1\necho 1 > /proc/sys/net/ipv4/ip_forward\n',
	h2: 'ip addr add 10.0.2.10/24 dev eth0\nip route add default via 10.0.2.1\n',
};
const center = async (loc) => { const b = await loc.boundingBox(); return { x: b.x + b.width / 2, y: b.y + b.height / 2 }; };
let marks = 0;
const term = (node) => page.locator(`.console[data-node="${node}"] .xterm-rows`);
async function typeIn(node, line, expect, timeout = 30000) {
	await page.click(`.console[data-node="${node}"] .term`);
	// A clear screen and a fresh marker first: only this command's output counts.
	const mark = `m${++marks}k`;
	await page.keyboard.type(`clear; echo ${mark.slice(0, 2)}""${mark.slice(2)}; ${line}\r`);
	await page.waitForFunction(([n, m, re]) => {
		const t = document.querySelector(`.console[data-node="${n}"] .xterm-rows`).textContent;
		const i = t.lastIndexOf(m);
		return i >= 0 && new RegExp(re).test(t.slice(i + m.length));
	}, [node, mark, expect], { timeout });
}
async function drawLink(a, b) {
	const from = await center(page.locator(`g.node[data-node="${a}"] circle.handle`));
	const to = await center(page.locator(`g.node[data-node="${b}"] rect`));
	await page.mouse.move(from.x, from.y);
	await page.mouse.down();
	await page.mouse.move(to.x, to.y, { steps: 8 });
	await page.mouse.up();
	await page.click('#link-create');
	await page.waitForSelector(`g.link[aria-label*="${a}:"][aria-label*="${b}:"]`);
}

try {
	await page.goto(url + '/');
	await page.fill('#new-lab-name', 'webl');
	await page.click('#new-lab button[type=submit]');
	await page.click('a[href="#/labs/webl"]');
	await page.waitForSelector('#canvas');
	for (const n of ['h1', 'r1', 'h2']) {
		await page.selectOption('#new-node-template', 'tiny-linux');
		await page.fill('#new-node-name', n);
		await page.click('#new-node button[type=submit]');
		await page.waitForSelector(`g.node[data-node="${n}"]`);
		await page.click(`g.node[data-node="${n}"] rect`);
		await page.fill('#node-config', CONFIG[n]);
		await page.click('#node-config-save');
		await page.waitForFunction((t) => document.querySelector('#status').textContent.includes(t), `Saved ${n}`);
	}
	ok(true, 'three nodes added on the canvas, each with its startup config');
	// Move r1 a little: the position is saved.
	const r1 = await center(page.locator('g.node[data-node="r1"] rect'));
	await page.mouse.move(r1.x, r1.y);
	await page.mouse.down();
	await page.mouse.move(r1.x + 30, r1.y + 60, { steps: 5 });
	const saved = page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().endsWith('/nodes/r1'));
	await page.mouse.up();
	await saved;
	const pos = await page.evaluate(async () => (await (await fetch('/api/v1/labs/webl/nodes/r1')).json()));
	ok(pos.y >= 90, `dragging a node saves its position (r1 at ${pos.x},${pos.y})`);
	await drawLink('h1', 'r1');
	await drawLink('r1', 'h2');
	ok(await page.locator('g.link').count() === 2, 'two links drawn between the nodes');

	await page.click('#lab-start');
	await page.waitForFunction(() => document.querySelectorAll('#nodes .badge').length === 3 &&
		[...document.querySelectorAll('#nodes .badge')].every((b) => b.textContent === 'running · ready'), null, { timeout: 120000 });
	ok(true, 'the lab starts and every node becomes ready, live');

	await page.click('tr[data-node="h1"] button:has-text("Console")');
	await typeIn('h1', 'ping -c 3 10.0.2.10', '3 packets received', 60000);
	ok(true, "h1's console in the browser pings h2 across r1");

	await page.click('g.link[aria-label*="r1:eth1"] line.hit');
	await page.click('#link-toggle');
	await page.waitForSelector('g.link.down');
	await typeIn('h1', 'ping -c 2 -W 1 10.0.2.10', ' 0 packets received');
	ok(true, 'with r1—h2 set down the ping fails');
	await page.click('#link-toggle');
	await page.waitForSelector('g.link.down', { state: 'detached' });
	await typeIn('h1', 'ping -c 3 -W 2 10.0.2.10', '[1-9] packets received');
	ok(true, 'set up again, the ping works');

	await page.click('g.link[aria-label*="h1:eth0"] line.hit');
	await page.fill('#capture-filter', 'icmp');
	await page.click('#capture-start');
	await page.waitForSelector('#captures li:has-text("running")');
	await typeIn('h1', 'ping -c 3 10.0.2.10', '3 packets received');
	await page.waitForFunction(() => document.querySelectorAll('#packets tr[data-proto="ICMP"]').length >= 6, null, { timeout: 15000 });
	const info = await page.textContent('#packets tbody');
	ok(/echo request/.test(info) && /echo reply/.test(info) && info.includes('10.0.1.10'),
		'a capture on h1—r1 shows the ICMP echo requests and replies in the packet list');
	await page.screenshot({ path: `${artifacts}/lab-canvas.png`, fullPage: true });
	await page.locator('.console[data-node="h1"]').screenshot({ path: `${artifacts}/lab-console.png` });

	const stopped = page.waitForResponse((r) => r.url().endsWith('/labs/webl/stop'));
	await page.click('#lab-stop');
	await stopped;
	await page.goto(url + '/');
	await page.click('tr[data-lab="webl"] button.danger');
	await page.waitForSelector('tr[data-lab="webl"]', { state: 'detached', timeout: 60000 });
	ok(true, 'the lab is deleted from the list');
} catch (e) {
	ok(false, `the lab built in the browser: ${e.message.split('\n')[0]}`);
	await page.screenshot({ path: `${artifacts}/lab-failure.png`, fullPage: true }).catch(() => {});
}
await finish();
