// import.mjs URL ARTIFACTS - a lab file of another tool brought in through
// the labs page (test_ui_import.sh writes the files): "Import…", a
// containerlab file picked and named, the report shown (the counts, a row
// per node with the substitute marked, the interface renamed, what was
// kept), the new lab opened from it, the substitute's panel saying where it
// came from; a file that is not UTF-8 shows the daemon's 422 message in the
// dialog, one of 9 MiB is refused unsent; on the lab page "Export (labwire)"
// downloads the lab as the API exports it, "Export (containerlab)" a clab file.
import { readFileSync } from 'node:fs';
import { url, artifacts, errors, ok, page, finish } from './harness.mjs';

const GOOD = process.env.LW_IMPORT_GOOD, BAD = process.env.LW_IMPORT_BAD;
const text = async (sel) => (await page.textContent(sel)) || '';
// Chromium logs the refusal the test provokes ("status of 422"): expected, once.
const expectLogged = (status) => {
	const i = errors.findIndex((m) => m.includes(`status of ${status}`));
	if (i >= 0) errors.splice(i, 1);
};
// download - click sel, wait for the file; its suggested name and its text.
async function download(sel) {
	const [d] = await Promise.all([page.waitForEvent('download', { timeout: 10000 }), page.click(sel)]);
	return { name: d.suggestedFilename(), body: readFileSync(await d.path(), 'utf8') };
}

try {
	await page.goto(url + '/');
	await page.waitForSelector('#import-lab');
	await page.click('#import-lab');
	await page.waitForSelector('dialog#import');
	await page.setInputFiles('#import-file', GOOD);
	await page.fill('#import-name', 'uilab');
	await page.click('dialog#import button[type=submit]');
	await page.waitForSelector('dialog#import-report, dialog#import p.error:not(:empty)', { timeout: 15000 });
	if (await page.locator('dialog#import p.error:not(:empty)').count())
		throw new Error(`the import was refused: ${await text('dialog#import p.error')}`);
	ok(!(await page.locator('dialog#import').count()), 'the import dialog closes and the report opens');
	const counts = await text('#import-counts');
	ok(counts.includes('From clab') && counts.includes('3 nodes') && counts.includes('2 links'), `the counts: ${counts}`);
	const srl = page.locator('#import-mapped tr[data-node="srl1"]');
	const srlText = (await srl.textContent()) || '';
	ok(await srl.count() === 1 && (await srl.getAttribute('class')) === 'substitute' &&
		srlText.includes('clab:nokia_srlinux') && srlText.includes('frr-router') && srlText.includes('substitute'),
	`srl1's row: from clab:nokia_srlinux to frr-router, marked a substitute (${srlText})`);
	const h1 = (await page.locator('#import-mapped tr[data-node="h1"]').textContent()) || '';
	ok(h1.includes('linux-host') && await page.locator('#import-mapped tr[data-node="h1"].substitute').count() === 0,
		`h1's row: linux-host, not a substitute (${h1})`);
	const ifs = await text('#import-interfaces');
	ok(ifs.includes('srl1') && ifs.includes('e1-1') && ifs.includes('eth0'), `the renamed interface srl1 e1-1 → eth0 is listed (${ifs})`);
	const kept = await page.locator('#import-kept').count() ? await text('#import-kept') : '';
	ok(kept.includes('srl1') && kept.includes('startup config'), `srl1's config kept on the node is listed (${kept})`);
	await page.screenshot({ path: `${artifacts}/report.png`, fullPage: true });
	ok(await page.locator('#labs tr[data-lab="uilab"]').count() === 1, 'the labs list behind the report has the new lab');

	await page.click('#import-open');
	await page.waitForSelector('#nodes');
	await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'uilab' &&
		document.querySelectorAll('#canvas g.node').length === 3, null, { timeout: 10000 });
	ok(true, "the report's link opens the lab: its three nodes on the canvas");
	const x = await page.locator('#canvas g.node[data-node="srl1"]').getAttribute('transform');
	ok(x === 'translate(220,140)', `srl1 stands where the file's graph-posX/Y put it (${x})`);
	await page.click('#canvas g.node[data-node="srl1"] rect');
	await page.waitForSelector('#node-origin', { timeout: 5000 });
	const origin = await text('#node-origin');
	ok(origin.includes('clab: nokia_srlinux') && (await text('#node-origin-config')).includes('host-name srl1'),
		`srl1's panel says where it came from and holds its SR Linux config (${origin})`);

	const lw = await download('#export-labwire');
	const api = await page.evaluate(async () => (await fetch('/api/v1/labs/uilab/export?format=labwire')).text());
	let j = null;
	try { j = JSON.parse(lw.body); } catch { j = null; }
	ok(lw.name === 'uilab.labwire.json' && lw.body === api, `"Export (labwire)" downloads ${lw.name}, the API's export byte for byte`);
	ok(j?.format === 'labwire' && j?.name === 'uilab' &&
		JSON.stringify(j.nodes.map((n) => [n.name, n.template])) === JSON.stringify([['srl1', 'frr-router'], ['h1', 'linux-host'], ['h2', 'linux-host']]) &&
		j.links.length === 2, `its content is the lab: nodes ${JSON.stringify(j?.nodes?.map((n) => n.name))}, ${j?.links?.length} links`);
	const cl = await download('#export-clab');
	ok(cl.name === 'uilab.clab.yml' && /^topology:/m.test(cl.body) && cl.body.includes('srl1:'),
		`"Export (containerlab)" downloads ${cl.name}, a containerlab topology`);

	await page.goto(url + '/#/');
	await page.waitForSelector('#import-lab');
	await page.click('#import-lab');
	await page.setInputFiles('#import-file', BAD);
	await page.click('dialog#import button[type=submit]');
	await page.waitForFunction(() => document.querySelector('dialog#import p.error')?.textContent, null, { timeout: 10000 });
	const err = await text('dialog#import p.error');
	ok(/not UTF-8 at byte \d+/.test(err), `a file that is not UTF-8: the dialog shows the daemon's message (${err})`);
	expectLogged(422);
	await page.screenshot({ path: `${artifacts}/refused.png`, fullPage: true });
	// 9 MiB: the page says so without sending it.
	let sent = false;
	page.on('request', (r) => { if (r.url().includes('/labs/import')) sent = true; });
	await page.setInputFiles('#import-file', { name: 'huge.clab.yml', mimeType: 'application/yaml', buffer: Buffer.alloc(9 << 20, 35) });
	await page.click('dialog#import button[type=submit]');
	await page.waitForFunction(() => document.querySelector('dialog#import p.error')?.textContent.includes('8 MiB'), null, { timeout: 10000 });
	ok(!sent, `a 9 MiB file is refused in the page, not sent: ${await text('dialog#import p.error')}`);
	await page.click('dialog#import button[type=button]');
	ok(await page.locator('#labs tbody tr').count() === 1, 'no lab was made of it');
} catch (e) {
	ok(false, `the import in the browser: ${e.message.split('\n')[0]}`);
	await page.screenshot({ path: `${artifacts}/failure.png`, fullPage: true }).catch(() => {});
}
await finish();
