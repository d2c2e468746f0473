// The workbench in a real browser (issue 21): Debian's Chromium driven by
// puppeteer-core (pinned in package-lock.json), as a clerk and a supervisor
// would use it. Run by tests/golden/browser.sh, which starts the database,
// the night, the users and recon serve; screenshots go to $OUT.
//
// env: URL, CHROMIUM, OUT, CLERK, SUPERVISOR, PASSWORD, ORDER (an order
// number with an open item), WRITEOFF (an open item's id above the
// write-off limit), NIGHT (the night's date)
import puppeteer from 'puppeteer-core';
import { mkdirSync } from 'node:fs';

const env = (k) => {
	const v = process.env[k];
	if (!v) throw new Error(`${k} is not set`);
	return v;
};
const URL = env('URL'), OUT = env('OUT'), NIGHT = env('NIGHT');
mkdirSync(OUT, { recursive: true });
let step = 0;

function check(ok, what) {
	if (!ok) throw new Error(`step ${step}: ${what}`);
}

async function shot(page, name) {
	await page.screenshot({ path: `${OUT}/${String(++step).padStart(2, '0')}-${name}.png`, fullPage: true });
}

async function text(page) {
	return page.evaluate(() => document.body.innerText);
}

// Submits a form by its button and waits for the page it leads to.
async function submit(page, button) {
	await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(button)]);
}

async function login(browser, name) {
	const ctx = await browser.createBrowserContext();
	const page = await ctx.newPage();
	await page.setViewport({ width: 1400, height: 900 });
	await page.goto(`${URL}/nights`, { waitUntil: 'load' });
	check(page.url().endsWith('/login'), `no session: not sent to /login but ${page.url()}`);
	await page.type('input[name=name]', name);
	await page.type('input[name=password]', env('PASSWORD'));
	await submit(page, 'form[action="/login"] button');
	check(page.url().endsWith('/nights'), `after ${name}'s login: ${page.url()}`);
	return { ctx, page };
}

const browser = await puppeteer.launch({
	executablePath: env('CHROMIUM'),
	headless: true,
	args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--font-render-hinting=none'],
});
try {
	// ---- the clerk: last night, an order found by number, its item resolved ----
	const { ctx: clerkCtx, page } = await login(browser, env('CLERK'));
	await shot(page, 'nights');
	const first = await page.$eval('main table a[href^="/night/"]', (a) => a.textContent);
	check(first === NIGHT, `the latest night is ${first}, not ${NIGHT}`);
	await Promise.all([page.waitForNavigation(), page.click('main table a[href^="/night/"]')]);
	check((await page.$eval('h1', (h) => h.textContent)).includes(NIGHT), 'the night page is not the night');
	check((await text(page)).includes('discrepancies.csv'), 'the night page offers no download');
	await shot(page, 'night');

	await page.type('nav input[name=q]', env('ORDER'));
	await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
	check((await page.$eval('#counts', (p) => p.textContent)).includes('1 项'), `search for ${env('ORDER')}: ${await page.$eval('#counts', (p) => p.textContent)}`);
	const id = await page.$eval('main table a[href^="/item/"]', (a) => a.textContent);
	await shot(page, 'search');
	await Promise.all([page.waitForNavigation(), page.click('main table a[href^="/item/"]')]);
	check((await text(page)).includes(env('ORDER')), 'the item page does not show the order');
	await shot(page, 'item');

	const note = `已与渠道核实 checked with the channel ${Date.now()}`;
	await page.select('select[name=action]', 'resolve');
	await page.type('textarea[name=note]', note);
	await submit(page, 'form[action="/items/act"] button');
	check((await text(page)).includes('已更新 changed'), `resolving ${id}: ${await text(page)}`);
	await shot(page, 'resolved');

	await page.goto(`${URL}/items`, { waitUntil: 'load' });
	const open = await page.$$eval('main table a[href^="/item/"]', (as) => as.map((a) => a.textContent));
	check(!open.includes(id), `${id} is still in the open queue`);
	await shot(page, 'queue');
	await page.goto(`${URL}/item/${id}`, { waitUntil: 'load' });
	const history = await page.$$eval('h2 + table tr, table tr', (trs) => trs.map((tr) => tr.innerText));
	check(history.some((r) => r.includes(env('CLERK')) && r.includes('resolved') && r.includes(note)),
		`the history of ${id} does not show the clerk's resolve`);
	await shot(page, 'history');

	// ---- the clerk asks to write an item off: from the queue, by its checkbox ----
	await page.goto(`${URL}/items`, { waitUntil: 'load' });
	await page.click(`input[type=checkbox][value="${env('WRITEOFF')}"]`);
	await page.select('select[name=action]', 'write_off');
	await page.type('textarea[name=note]', '金额无法追回 cannot be recovered');
	await submit(page, 'form[action="/items/act"] fieldset button');
	check((await text(page)).includes('待主管审批'), `the write-off did not wait for approval: ${await text(page)}`);
	await shot(page, 'writeoff-requested');
	await Promise.all([page.waitForNavigation(), page.click('nav form[action="/logout"] button')]);
	check(page.url().endsWith('/login'), 'logout did not lead to the login');
	await page.goto(`${URL}/items`, { waitUntil: 'load' });
	check(page.url().endsWith('/login'), 'the session lived on after logout');
	await clerkCtx.close();

	// ---- the supervisor approves it ----
	const { ctx: supCtx, page: sup } = await login(browser, env('SUPERVISOR'));
	await sup.goto(`${URL}/item/${env('WRITEOFF')}`, { waitUntil: 'load' });
	check((await text(sup)).includes('审批核销 Approve the write-off'), 'no approval form for the supervisor');
	await sup.type('form[action$="/approve"] textarea[name=note]', '同意 agreed');
	await submit(sup, 'form[action$="/approve"] button');
	check((await text(sup)).includes('written_off'), `the approval: ${await text(sup)}`);
	await shot(sup, 'approved');
	await sup.goto(`${URL}/item/${env('WRITEOFF')}`, { waitUntil: 'load' });
	check((await text(sup)).includes('已核销'), 'the item is not written off');
	await shot(sup, 'written-off');
	await supCtx.close();
	console.log(`browser: ${step} screenshots in ${OUT}`);
} finally {
	await browser.close();
}
