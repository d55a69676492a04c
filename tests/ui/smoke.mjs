// smoke.mjs URL ARTIFACTS - the browser UI in a real Chromium (Debian's,
// driven by playwright-core): the lab list, creating and deleting a lab
// through the page (with its confirmation), opening a lab, starting it,
// watching the nodes turn running without a reload (the event stream),
// and a console in the browser that runs a command. Fails on any error in
// the browser's console. Prints TAP-style "ok"/"not ok" lines.
import { url, artifacts, errors, ok, page, finish } from './harness.mjs';

try {
	await page.goto(url + '/');
	await page.waitForSelector('#labs');
	ok(await page.locator('tr[data-lab="uilab"]').count() === 1, 'the lab list shows the lab made through the API');

	await page.fill('#new-lab-name', 'made-in-ui');
	await page.click('#new-lab button[type=submit]');
	await page.waitForSelector('tr[data-lab="made-in-ui"]');
	ok(true, 'a lab created in the page appears in the list');
	await page.fill('#new-lab-name', 'bad name!');
	await page.click('#new-lab button[type=submit]');
	await page.waitForSelector('#status.error');
	ok((await page.textContent('#status')).includes('not a valid name'), 'a refused name is explained in plain words');
	// Chromium logs the refusal (422) it was asked to provoke: that one is expected.
	const i = errors.findIndex((m) => m.includes('status of 422'));
	if (i >= 0) errors.splice(i, 1);
	await page.click('tr[data-lab="made-in-ui"] button.danger');
	await page.waitForSelector('tr[data-lab="made-in-ui"]', { state: 'detached' });
	ok(true, 'deleting a lab (after confirming) removes it');

	await page.click('a[href="#/labs/uilab"]');
	await page.waitForSelector('#nodes tr[data-node="a"]');
	await page.click('#lab-start');
	await page.waitForFunction(() => document.querySelectorAll('#nodes .badge').length === 2 &&
		[...document.querySelectorAll('#nodes .badge')].every((b) => b.dataset.state === 'running'), null, { timeout: 30000 });
	ok(true, 'after Start lab every node turns running live, without a reload');

	await page.click('tr[data-node="a"] button:has-text("Console")');
	await page.waitForSelector('.console[data-node="a"] .xterm-rows');
	await page.waitForFunction(() => document.querySelector('.console[data-node="a"] .xterm-rows')
		.textContent.includes('labwire: ready'), null, { timeout: 15000 });
	ok(true, "the console shows the node's scrollback");
	await page.keyboard.type('echo ui$((6*7))\r');
	await page.waitForFunction(() => document.querySelector('.console[data-node="a"] .xterm-rows')
		.textContent.includes('ui42'), null, { timeout: 15000 });
	ok(true, 'a command typed in the browser console runs on the node');
	await page.screenshot({ path: `${artifacts}/lab.png`, fullPage: true });
	await page.locator('.console[data-node="a"]').screenshot({ path: `${artifacts}/console.png` });
} catch (e) {
	ok(false, `the UI walkthrough: ${e.message.split('\n')[0]}`);
	await page.screenshot({ path: `${artifacts}/failure.png`, fullPage: true }).catch(() => {});
}
await finish();
