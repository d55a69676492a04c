// practice.mjs URL ARTIFACTS - a practice lab in the browser. The lab
// "plab" (made by test_ui_practice.sh: h1 -- h2, a guide with unsafe bits,
// checks ping-h2 (passes) and default-route (fails, with a hint), stage 1
// "Default route" with check s1-route): the guide renders and nothing unsafe
// reaches the DOM or the network; "Check my work" on the stopped lab shows
// the daemon's refusal; started, it shows progress, then each check's result,
// the failed one's hint, and the score; stage 1 restored and checked gives
// full marks. With LW_ASSIGN: the instructor (LW_TEACH) assigns the lab to
// class1 in the page, the member (LW_STUDENT) starts and checks their copy in
// the page, and the instructor's table shows the member's copy, its state and
// last grade, and watches its console read-only. The owner edits the guide in the page.
import { url, artifacts, errors, ok, page, freshPage, finish } from './harness.mjs';

const text = async (p, sel) => (await p.textContent(sel)) || '';
// Chromium logs each refusal the test provokes ("status of 409"): those are expected, once each.
const expectLogged = (status) => {
	const i = errors.findIndex((m) => m.includes(`status of ${status}`));
	if (i >= 0) errors.splice(i, 1);
};
// DOMPurify parses the guide in an inert document: the onerror attribute in it
// never runs, yet Chromium reports the page's policy refusing it. Not an error of the page.
const cspNote = (m) => m.includes('Executing inline event handler violates');
const remote = []; // requests that left the daemon's origin
page.on('request', (r) => { if (!r.url().startsWith(url)) remote.push(r.url()); });

async function login(p, user, pw) {
	await p.goto(url + '/');
	await p.waitForSelector('#login');
	await p.fill('#login-user', user);
	await p.fill('#login-password', pw);
	await p.click('#login-submit');
	await p.waitForSelector('#me-name');
}

// allRunning - every node badge of the lab page says running.
const allRunning = (p, n) => p.waitForFunction((k) => document.querySelectorAll('#nodes .badge').length === k &&
	[...document.querySelectorAll('#nodes .badge')].every((b) => b.dataset.state === 'running'), n, { timeout: 30000 });

try {
	await page.goto(url + '/#/labs/plab');
	await page.waitForSelector('#guide h1');
	ok(await page.locator('#guide h1').isVisible() && (await text(page, '#guide h1')) === 'Static routing practice',
		"the guide's heading is shown beside the canvas");
	ok(await page.locator('#guide li').count() === 2, "the guide's list is rendered as a list");
	const unsafe = await page.evaluate(() => ({
		inGuide: document.querySelectorAll('#guide :is(script, iframe, object, embed, img, style, svg, meta, form, button, input, map, area)').length,
		handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
		styled: document.querySelectorAll('#guide [style]').length,
		scripts: [...document.scripts].map((s) => s.getAttribute('src') || 'inline'),
		images: [...document.images].map((i) => i.getAttribute('src')),
		flag: window.__guidePwned,
	}));
	ok(unsafe.inGuide === 0 && unsafe.styled === 0, `no script, frame, image, style, SVG, meta or form from the guide is in the page (${JSON.stringify(unsafe)})`);
	ok(unsafe.handlers === 0 && unsafe.flag === undefined, 'no event handler attribute anywhere, and nothing the guide carried ran');
	ok(unsafe.scripts.length === 1 && unsafe.scripts[0] === '/ui/app.js' && unsafe.images.length === 0,
		"the page's only script is its own; no image element at all");
	ok((await text(page, '#guide')).includes('[image: tracker]'), "the remote image is shown as its alt text");
	ok(await page.locator('#guide [id="grade-score"]').count() === 0 && await page.locator('#guide [id="user-content-grade-score"]').count() === 1,
		"an id in the guide is prefixed: it cannot stand in for one of the page's own");
	const links = await page.$$eval('#guide a', (as) => as.map((a) => ({ href: a.getAttribute('href'), target: a.target, rel: a.rel, t: a.textContent })));
	ok(links.some((a) => a.href === 'https://example.com/docs' && a.target === '_blank' && a.rel.includes('noopener')) &&
		links.every((a) => !/^javascript:/i.test(a.href || '')),
	`a link opens in a new tab with rel=noopener; the javascript: one lost its href (${JSON.stringify(links)})`);
	await page.screenshot({ path: `${artifacts}/guide.png`, fullPage: true });

	// The lab is stopped: the daemon refuses to grade, the page says why.
	await page.click('#grade');
	await page.waitForSelector('#grade-error');
	ok((await text(page, '#grade-error')).includes('running'), `"Check my work" on a stopped lab shows the refusal: ${await text(page, '#grade-error')}`);
	expectLogged(409);

	await page.click('#lab-start');
	await allRunning(page, 2);
	const t0 = Date.now();
	await page.click('#grade');
	await page.waitForSelector('#grade-progress:not([hidden])', { timeout: 5000 });
	ok(await page.locator('#grade').isDisabled(), 'while the checks run, a progress line shows and the buttons wait');
	await page.waitForSelector('#grade-score', { timeout: 60000 });
	const secs = ((Date.now() - t0) / 1000).toFixed(1);
	ok(await page.locator('tr[data-check="ping-h2"].pass').count() === 1 &&
		(await text(page, 'tr[data-check="ping-h2"] .points')) === '1/1', `the passed check is marked passed with its point (${secs} s)`);
	ok(await page.locator('tr[data-check="default-route"].fail').count() === 1 &&
		(await text(page, 'tr[data-check="default-route"] .points')) === '0/2', 'the failed check is marked failed, 0 of 2 points');
	ok((await text(page, 'tr[data-hint="default-route"]')).includes('ip route add default via 10.0.0.2'), 'its hint is shown under it');
	ok((await text(page, '#grade-score')).startsWith('Score 1 / 4') && await page.locator('#grade-progress').isHidden(),
		`the score is shown: ${await text(page, '#grade-score')}`);
	await page.screenshot({ path: `${artifacts}/results.png`, fullPage: true });

	// Stage 1: restored (h1 reloads with its config), then checked.
	await page.selectOption('#stage-pick', '1');
	ok((await text(page, '#stage-desc')).includes('h1 sends everything through h2'), "the picked stage's description is shown");
	await page.evaluate(() => {
		window.__h1 = [];
		const es = new EventSource('/api/v1/events');
		es.addEventListener('node', (e) => { const d = JSON.parse(e.data); if (d.node?.name === 'h1') window.__h1.push(d.node.state); });
		return new Promise((r) => { es.onopen = r; });
	});
	await page.click('#stage-restore');
	await page.waitForFunction(() => document.querySelector('#status').textContent.includes('Stage 1 restored'), null, { timeout: 15000 });
	ok((await text(page, '#status')).includes('h1 reloaded'), `the restore (after confirming) says what it did: ${await text(page, '#status')}`);
	await page.waitForFunction(() => window.__h1.some((s) => s !== 'running') && window.__h1.at(-1) === 'running', null, { timeout: 30000 });
	await allRunning(page, 2);
	await page.click('#stage-grade');
	await page.waitForFunction(() => document.querySelector('#grade-score')?.textContent.includes('stage 1'), null, { timeout: 60000 });
	ok((await text(page, '#grade-score')).startsWith('Score 1 / 1: full marks') &&
		await page.locator('tr[data-check="s1-route"].pass').count() === 1 && await page.locator('#grade-checks tbody tr').count() === 1,
	`"Check this stage" grades stage 1 only: ${await text(page, '#grade-score')}`);
	await page.screenshot({ path: `${artifacts}/stage.png`, fullPage: true });
	// The owner edits the guide in the page (PUT guide): the new text renders, sanitized like the first.
	await page.click('#guide-edit');
	await page.fill('#guide-text', (await page.inputValue('#guide-text')) + '\n\n## Added in the page\n\n<img src=x onerror=window.__guidePwned++>');
	await page.waitForFunction(() => document.querySelector('#guide-preview h2')?.textContent === 'Added in the page');
	ok(await page.locator('#guide-preview img, #guide-preview [onerror]').count() === 0, 'the edit dialog previews the new text, sanitized');
	await page.click('dialog#guide-dialog button[type=submit]');
	await page.waitForSelector('#guide h2');
	ok((await text(page, '#guide h2')) === 'Added in the page' && await page.locator('#guide img, [onerror]').count() === 0 &&
		await page.evaluate(() => window.__guidePwned === undefined), 'the owner edits the guide in the page; it renders, sanitized');
	ok(remote.length === 0, `the page fetched nothing from anywhere else (${remote.join(' ')})`);
} catch (e) {
	ok(false, `the practice lab walkthrough: ${e.message.split('\n')[0]}`);
	await page.screenshot({ path: `${artifacts}/practice-failure.png`, fullPage: true }).catch(() => {});
}

if (process.env.LW_ASSIGN) {
	let teach, stu;
	try {
		// The instructor assigns the lab to the group in the page.
		teach = await freshPage();
		await login(teach, process.env.LW_TEACH, process.env.LW_TEACH_PASSWORD);
		await teach.click('#nav-assignments');
		await teach.waitForSelector('#new-assignment');
		await teach.fill('#new-assignment-lab', 'plab');
		await teach.fill('#new-assignment-group', 'class1');
		await teach.fill('#new-assignment-name', 'week1');
		await teach.click('#new-assignment button[type=submit]');
		await teach.waitForSelector(`#members tr[data-member="${process.env.LW_STUDENT}"]`);
		ok((await text(teach, `#members tr[data-member="${process.env.LW_STUDENT}"]`)).includes('not started'),
			"the instructor assigns the lab in the page; the member's row says not started");
		const hash = new URL(teach.url()).hash;

		// The member starts their copy, runs it and checks it, all in the page.
		stu = await freshPage();
		await login(stu, process.env.LW_STUDENT, process.env.LW_STUDENT_PASSWORD);
		await stu.goto(url + '/' + hash);
		await stu.click('#assignment-start');
		await stu.waitForSelector('#guide h1');
		ok((await text(stu, 'h1')).startsWith('week1'), `the member's own copy opens with the guide: ${await text(stu, 'h1')}`);
		await stu.click('#lab-start');
		await allRunning(stu, 2);
		await stu.click('#grade');
		await stu.waitForSelector('#grade-score', { timeout: 60000 });
		ok((await text(stu, '#grade-score')).startsWith('Score 1 / 4'), 'the member checks their copy');

		await stu.click('#nav-assignments');
		await stu.waitForSelector('#assignments tr[data-assignment] td.copy a');
		ok((await text(stu, '#assignments tr[data-assignment] td.copy')).startsWith('week1-stu'), "the member's list of assignments links their copy");

		// The instructor's table: the copy, its state, the last grade; a read-only console.
		const row = `#members tr[data-member="${process.env.LW_STUDENT}"]`;
		await teach.click('#assignment-refresh');
		await teach.waitForFunction((r) => document.querySelector(r)?.textContent.includes('1 / 4'), row, { timeout: 10000 });
		ok(await teach.locator(`${row} .badge[data-state="running"]`).count() === 1,
			`the instructor sees the member's copy running and its last grade: ${await text(teach, row)}`);
		await teach.click(`${row} button.watch`);
		await teach.click(`${row} button[data-watch="h1"]`);
		await teach.waitForSelector('.console[data-node="h1"] .xterm-rows');
		ok((await text(teach, '.console[data-node="h1"] .title')).includes('read-only'), "the instructor watches the member's console read-only");
		await teach.screenshot({ path: `${artifacts}/assignment.png`, fullPage: true });
	} catch (e) {
		ok(false, `the assignment walkthrough: ${e.message.split('\n')[0]}`);
		await teach?.screenshot({ path: `${artifacts}/assignment-failure.png`, fullPage: true }).catch(() => {});
	}
	// The login pages asked who they were before logging in.
	for (let n = 0; n < 2; n++) expectLogged(401);
}
for (let i; (i = errors.findIndex(cspNote)) >= 0;) errors.splice(i, 1);
await finish();
