// harness.mjs - what every browser test shares: Debian's Chromium through
// playwright-core (LW_PLAYWRIGHT names its index.mjs), a 1280x800 page with
// the admin's session that accepts confirmations (and fresh pages with no
// session), every error the pages log, and "ok"/"not ok" lines.
const { chromium } = await import(process.env.LW_PLAYWRIGHT);

export const [url, artifacts] = process.argv.slice(2);
export const errors = [];
let fails = 0;

export function ok(cond, what) {
	console.log(`${cond ? 'ok' : 'not ok'} - ${what}`);
	if (!cond) fails++;
	return cond;
}

let browser;
try {
	browser = await chromium.launch({
		executablePath: '/usr/bin/chromium',
		// Without the background-networking flags Chromium keeps trying the closed network.
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
} catch (e) {
	ok(false, `chromium starts: ${e.message.split('\n')[0]}`);
	process.exit(1);
}
// freshPage - a page in a browser context of its own (no cookie: nobody is
// logged in), whose errors count and whose confirmations are accepted.
export async function freshPage() {
	const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
	const p = await context.newPage();
	p.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
	p.on('pageerror', (e) => errors.push(String(e)));
	p.on('dialog', (d) => d.accept());
	return p;
}
export const page = await freshPage();
// The session of the test's admin (lib.sh's LW_TOKEN), as a login would have set it.
if (process.env.LW_TOKEN)
	await page.context().addCookies([{ name: 'labwire_session', value: process.env.LW_TOKEN, url,
		httpOnly: true, sameSite: 'Strict' }]);

// finish - the no-errors check, then close and exit with the verdict.
export async function finish() {
	ok(errors.length === 0, `no errors in the browser console${errors.length ? ': ' + errors.join(' | ') : ''}`);
	await browser.close();
	process.exit(fails ? 1 : 0);
}
