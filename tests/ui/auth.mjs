// auth.mjs URL ARTIFACTS - identity in the browser UI. A browser with no
// session sees the login page; a wrong password is explained, the right one
// (LW_ADMIN_PASSWORD) opens the app with the admin's name in the header. The
// admin adds a user (LW_USER, LW_USER_PASSWORD) in the Admin view and shares
// the lab "sharedlab" with them read-only through the Share dialog. Logged
// out and in as that user: the shared lab is listed with its owner, its
// buttons are disabled, its console is watch-only, the lab "otherlab" is not
// listed, and the user changes their own password. The audit view lists the
// logins. Prints "ok"/"not ok" lines; fails on any error in the browser console.
import { url, artifacts, errors, ok, page, freshPage, finish } from './harness.mjs';

const ADMIN_PW = process.env.LW_ADMIN_PASSWORD;
const USER = process.env.LW_USER || 'alice';
const USER_PW = process.env.LW_USER_PASSWORD || 'alice-pass-1';
const USER_PW2 = `${USER_PW}-new`;

const text = async (p, sel) => (await p.textContent(sel)) || '';

async function login(p, user, pw) {
	await p.waitForSelector('#login');
	await p.fill('#login-user', user);
	await p.fill('#login-password', pw);
	await p.click('#login-submit');
}

let refused = 0; // the 401 answers the anonymous page was given
let p;
try {
	p = await freshPage();
	p.on('response', (r) => { if (r.status() === 401) refused++; });
	await p.goto(url + '/');
	await p.waitForSelector('#login');
	ok(await p.locator('#labs').count() === 0 && (await text(p, '#me')) === '',
		'a browser with no session sees the login page, not the labs');
	await p.screenshot({ path: `${artifacts}/login.png`, fullPage: true });

	await login(p, 'admin', 'not-the-password');
	await p.waitForFunction(() => document.querySelector('#login-error').textContent !== '');
	ok((await text(p, '#login-error')).includes('wrong user name or password'), 'a wrong password is refused with the daemon\'s message');
	ok(await p.locator('#labs').count() === 0, 'and the labs stay hidden');
	await p.screenshot({ path: `${artifacts}/login-refused.png`, fullPage: true });

	await login(p, 'admin', ADMIN_PW);
	await p.waitForSelector('#labs');
	ok((await text(p, '#me-name')) === 'admin' && (await text(p, '#me-role')) === 'admin',
		"the right password opens the app, the admin's name and role in the header");
	ok(await p.locator('tr[data-lab="sharedlab"] td.owner:text-is("admin")').count() === 1, "the lab list shows each lab's owner");

	// (b) the Admin view: a user added; the lab shared with them read-only.
	await p.click('#nav-admin');
	await p.waitForSelector('#users tr[data-user="admin"]');
	await p.fill('#new-user-name', USER);
	await p.fill('#new-user-password', USER_PW);
	await p.selectOption('#new-user-role', 'user');
	await p.click('#new-user button[type=submit]');
	await p.waitForSelector(`#users tr[data-user="${USER}"]`);
	ok((await text(p, `#users tr[data-user="${USER}"] td.quota`)).includes('running nodes 0 / no limit'),
		'the Admin view adds a user, shown with their usage and quota');
	await p.screenshot({ path: `${artifacts}/admin-users.png`, fullPage: true });

	await p.click('#nav a[href="#/"]');
	await p.click('tr[data-lab="sharedlab"] button.share');
	await p.waitForSelector('dialog#share');
	await p.fill('#share-user', USER);
	await p.selectOption('#share-access', 'read');
	await p.click('#share-add');
	await p.waitForSelector(`#shares tr[data-share="${USER}"]`);
	await p.screenshot({ path: `${artifacts}/share.png`, fullPage: true });
	const saved = p.waitForResponse((r) => r.request().method() === 'PATCH' && /\/api\/v1\/labs\/[^/]+$/.test(r.url()));
	await p.click('dialog#share button[type=submit]');
	ok((await saved).status() === 200, 'the Share dialog saves the share');
	await p.waitForSelector('dialog#share', { state: 'detached' });
	ok((await text(p, '#status')).includes(`${USER} (read)`), 'the page says whom the lab is shared with');

	// (c) as the user: the shared lab, read-only; the other lab not there.
	await p.click('#logout');
	await p.waitForSelector('#login');
	ok(await p.locator('#me-name').count() === 0, 'logging out shows the login page again');
	await login(p, USER, USER_PW);
	await p.waitForSelector('#labs');
	ok((await text(p, '#me-name')) === USER && (await text(p, '#me-role')) === 'user', "the user's name and role in the header");
	ok(await p.locator('tr[data-lab="sharedlab"] td.owner:text-is("admin")').count() === 1, 'the shared lab is listed with its owner');
	ok(await p.locator('tr[data-lab="otherlab"]').count() === 0 && await p.locator('#labs tbody tr').count() === 1,
		'a lab not shared with the user is not listed');
	ok(await p.locator('#nav-admin').count() === 0, 'no Admin page for a user');
	ok(await p.locator('tr[data-lab="sharedlab"] button.share').isDisabled(), "the user may not share someone else's lab");

	await p.click('a[href="#/labs/sharedlab"]');
	await p.waitForSelector('#nodes tr[data-node="a"]');
	const disabled = async (sel) => p.locator(sel).first().isDisabled();
	ok(await disabled('#lab-start') && await disabled('#lab-stop') && await disabled('#lab-share') &&
		await disabled('#new-node button[type=submit]') && await disabled('#nodes tr[data-node="a"] button:has-text("stop")'),
	'a lab shared read-only: start, stop, share, add node and the node buttons are disabled');
	ok((await text(p, '#lab-owner')).includes('read-only'), 'the lab page says it is shared read-only');
	await p.click('#nodes tr[data-node="a"] button:has-text("Console")');
	await p.waitForFunction(() => document.querySelector('.console[data-node="a"] .xterm-rows')?.textContent.includes('labwire: ready'),
		null, { timeout: 15000 });
	ok((await text(p, '.console[data-node="a"] .title')).includes('read-only'), 'the console is labelled read-only and shows the scrollback');
	await p.click('.console[data-node="a"] .term');
	await p.keyboard.type('echo ro$((6*7))\r');
	await p.waitForTimeout(1500);
	ok(!(await text(p, '.console[data-node="a"] .xterm-rows')).includes('ro42'), 'what is typed in a read-only console does not run');
	await p.screenshot({ path: `${artifacts}/readonly-lab.png`, fullPage: true });

	// Self service: the user's own password, then a login with the new one.
	await p.click('#password-change');
	await p.fill('#password-current', USER_PW);
	await p.fill('#password-new', USER_PW2);
	await p.click('dialog#password button[type=submit]');
	await p.waitForSelector('#login');
	ok((await text(p, '#login')).includes('password was changed'), 'a user changes their own password and is asked to log in again');
	await login(p, USER, USER_PW2);
	await p.waitForSelector('#me-name');
	await p.waitForSelector('#lab-owner');
	ok((await text(p, '#me-name')) === USER, 'the new password logs in, back on the page the user was on');

	// (d) the audit log, in the admin's page.
	await page.goto(url + '/#/admin');
	await page.waitForSelector('#audit tr[data-action="login"]');
	const logins = await page.$$eval('#audit tr[data-action="login"]', (rs) => rs.map((r) => r.textContent));
	ok(logins.some((t) => t.includes('admin') && t.includes('refused')) && logins.some((t) => t.includes(USER) && t.includes('ok')),
		`the audit log lists the logins, the refused one too (${logins.length} shown)`);
	ok(await page.locator('#audit tbody tr').first().getAttribute('data-action') !== null &&
		await page.$eval('#audit tbody', (b) => [...b.rows].every((r, i, a) => i === 0 || Number(a[i - 1].dataset.audit) > Number(r.dataset.audit))),
	'newest first');
	await page.screenshot({ path: `${artifacts}/admin.png`, fullPage: true });

	// The rest of the Admin view: a quota, a role, a group made, edited and deleted, a user
	// deleted. Each change draws the view again: the next step waits for that.
	const redrawn = async (what) => {
		const before = await page.$('#users');
		await what();
		await page.waitForFunction((e) => !e.isConnected, before);
		await page.waitForSelector('#users');
	};
	const row = `#users tr[data-user="${USER}"]`;
	await page.click(`${row} button:has-text("Quotas")`);
	await page.fill('dialog#quota input[name=running_nodes]', '2');
	await redrawn(() => page.click('dialog#quota button[type=submit]'));
	ok((await text(page, `${row} td.quota`)).includes('running nodes 0 / 2;'), "a user's quota is set in the Admin view");
	await redrawn(() => page.selectOption(`${row} select`, 'instructor'));
	ok(await page.$eval(`${row} select`, (e) => e.value) === 'instructor', "a user's role is changed");
	await page.fill('#new-group-name', 'class1');
	await page.fill('#new-group-leaders', USER);
	await page.fill('#new-group-members', 'admin');
	await redrawn(() => page.click('#new-group button[type=submit]'));
	ok((await text(page, '#groups tr[data-group="class1"]')).includes('admin') && (await text(page, row)).includes('class1 (leader)'),
		'a group is created, its leader shown in the users table');
	await page.click('#groups tr[data-group="class1"] button:has-text("Edit")');
	await page.fill('dialog#group input[name=members]', '');
	await redrawn(() => page.click('dialog#group button[type=submit]'));
	ok((await text(page, '#groups tr[data-group="class1"] td:nth-child(3)')) === '', "a group's members are edited");
	await redrawn(() => page.click('#groups tr[data-group="class1"] button.danger'));
	ok(await page.locator('#groups tr[data-group="class1"]').count() === 0, 'a group is deleted');
	await redrawn(() => page.selectOption(`${row} select`, 'user'));
	await page.fill('#new-user-name', 'bob');
	await page.fill('#new-user-password', 'bob-pass-1');
	await redrawn(() => page.click('#new-user button[type=submit]'));
	await redrawn(() => page.click('#users tr[data-user="bob"] button.danger'));
	ok(await page.locator('#users tr[data-user="bob"]').count() === 0, 'a user is deleted (after confirming)');
	await p.context().close();
} catch (e) {
	ok(false, `the identity walkthrough: ${e.message.split('\n')[0]}`);
	await p?.screenshot({ path: `${artifacts}/auth-failure.png`, fullPage: true }).catch(() => {});
}
// Chromium logs each 401 answer it gets ("Failed to load resource"): the
// page's first question (who am I?) and the wrong password. Those are the
// ones this test asked for; anything else the page logged still counts.
const logged = errors.filter((m) => m.includes('status of 401')).length;
ok(logged === refused && refused === 2, `the only 401s are the session check and the wrong password (${refused} answered, ${logged} logged)`);
for (let i; (i = errors.findIndex((m) => m.includes('status of 401'))) >= 0;) errors.splice(i, 1);
await finish();
