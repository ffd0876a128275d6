// The merchant's month in a real browser (Debian's chromium driven by playwright-core) against a real
// demo server on a fresh SQLite database, as a person would: by role and accessible name. Dashboard,
// affiliates (URL state, approve/decline, totals, below-minimum marker, select all N matching, a live
// row), a pay run at 390 px by tapping and one on the desktop (export, download, confirmed mark as
// paid with a Reference), past pay runs, sales and refund, products and settings as forms, tokens and
// a login link, the third release (webhook endpoints with deliveries and replay, the affiliate's tax form
// and the yearly tax report, tax settings, recruiters, recruits and JV partners, the SEPA debtor account,
// a SEPA file with its execution date, a returns file imported), a keyboard-only run,
// GraphiQL, and the app from a dev server of another origin.
// axe-core runs on every page (and with a dialog open): no critical or serious violation. Every
// request to another host is refused, and no console error may appear.
// Screenshots go to $SCREENSHOTS (docs/screenshots with `npm run screenshots`), else a temp folder.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const PYTHON = process.env.PAYOUTS_PYTHON ?? join(ROOT, '.venv/bin/python');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const AXE = readFileSync(join(HERE, '../node_modules/axe-core/axe.min.js'), 'utf8');
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];
const TOKEN = `e2e-admin-${randomBytes(16).toString('hex')}`;
const work = mkdtempSync(join(tmpdir(), 'paytest-'));
const shots = resolve(process.env.SCREENSHOTS ?? join(work, 'screenshots'));
mkdirSync(shots, { recursive: true });

let server, base, devOrigin, devServer, browser, context, page;
let liveProduct, liveAffiliate; // made by the live-row test, used again by GraphiQL and the dev server
const outside = [];
const consoleErrors = [];

async function freePort() {
  const s = createServer();
  await new Promise((ok) => s.listen(0, '127.0.0.1', ok));
  const { port } = s.address();
  await new Promise((ok) => s.close(ok));
  return port;
}

async function api(query, variables = {}, token = TOKEN) {
  const r = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await r.json();
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

const shot = (name, on = page) => on.screenshot({ path: join(shots, `${name}.png`) });

/** axe-core on the page as it is now: no critical or serious violation (`only`: just these rules). */
async function axe(label, on = page, { impacts = ['critical', 'serious'], rules = null } = {}) {
  if (!(await on.evaluate(() => 'axe' in window))) await on.addScriptTag({ content: AXE });
  const violations = await on.evaluate(async () => (await window.axe.run(document)).violations
    .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })));
  const bad = violations.filter((v) => impacts.includes(v.impact) || (rules && rules.includes(v.id)));
  assert.deepEqual(bad, [], `axe on ${label}`);
}

function watch(p) {
  p.on('console', (m) => m.type() === 'error' && consoleErrors.push(`${p.url()}: ${m.text()}`));
  p.on('pageerror', (e) => consoleErrors.push(`${p.url()}: ${e}`));
  return p;
}

async function newContext(options = {}) {
  const c = await browser.newContext({ acceptDownloads: true, viewport: { width: 1360, height: 860 }, ...options });
  await c.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (['127.0.0.1', 'localhost'].includes(url.hostname) || ['data:', 'blob:'].includes(url.protocol)) return route.continue();
    outside.push(url.href);
    return route.abort('blockedbyclient');
  });
  return c;
}

async function logIn(p, token = TOKEN) {
  await p.goto(`${base}/app/`);
  await p.getByLabel('API token').fill(token);
  await p.getByRole('button', { name: 'Log in' }).click();
}

const nav = (name, on = page) => on.getByRole('navigation').getByRole('link', { name, exact: true });
const settled = (on = page) => on.locator('section[data-loading=false]').waitFor();
const counter = (on = page) => on.getByTestId('count').textContent();
/** Waits until the table's counter says this (a reload after a change is not awaited by anything else). */
const countIs = (pattern, on = page) => on.locator('[data-testid=count]', { hasText: pattern }).waitFor();
async function quiet(on = page) {
  await on.waitForLoadState('networkidle');
  await settled(on);
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  devOrigin = `http://localhost:${await freePort()}`;
  let log = '';
  server = spawn(PYTHON, ['-m', 'server', 'serve', '--demo', '--port', String(port)], {
    cwd: work,
    env: { ...process.env, PAYOUTS_DATABASE_URL: `sqlite://${join(work, 'demo.sqlite3')}`, PAYOUTS_ADMIN_TOKEN: TOKEN,
      PAYOUTS_CORS_ORIGINS: devOrigin, PAYOUTS_WEBHOOK_ALLOW_PRIVATE: '1', PYTHONPATH: ROOT },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout.on('data', (d) => (log += d));
  server.stderr.on('data', (d) => (log += d));
  const deadline = Date.now() + 240_000; // seeding the demo takes 15-60 s on a busy machine
  for (;;) {
    assert.equal(server.exitCode, null, `the demo server stopped:\n${log}`);
    assert.ok(Date.now() < deadline, `the demo server did not start:\n${log}`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {}
    await new Promise((ok) => setTimeout(ok, 250));
  }
  assert.match(log, new RegExp(`${base}/app/`), 'serve --demo prints the app address');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  context = await newContext();
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  page = watch(await context.newPage());
});

after(async () => {
  await browser?.close();
  devServer?.kill('SIGTERM');
  server?.kill('SIGTERM');
  await new Promise((ok) => (server?.exitCode !== null ? ok() : server.once('exit', ok)));
  // Keep the screenshots when they were written into the temporary folder (no $SCREENSHOTS).
  if (process.env.SCREENSHOTS) rmSync(work, { recursive: true, force: true });
  else for (const f of ['demo.sqlite3', 'demo.sqlite3.key']) rmSync(join(work, f), { force: true });
});

test('the merchant logs in and the dashboard shows what is due, held and paid, with a chart', async () => {
  await page.goto(`${base}/app/`);
  await axe('login');
  await shot('login');
  await logIn(page);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  const { affiliateTotals } = await api('{ affiliateTotals { currency due { amount } } }');
  for (const t of affiliateTotals) {
    assert.equal(await page.getByTestId(`due-${t.currency}`).textContent(), `${t.due.amount} ${t.currency}`);
  }
  const chart = page.getByRole('img', { name: /Commission earned and paid per month in USD, last 12 months/ });
  await chart.waitFor();
  const name = await chart.getAttribute('aria-label');
  assert.equal(name.split('; ').length, 12, 'twelve months in the chart');
  assert.ok((await chart.locator('rect.earned').count()) === 12);
  assert.ok(await page.locator('link[rel=icon]').getAttribute('href'), 'a favicon');
  assert.equal((await fetch(new URL(await page.locator('link[rel=icon]').getAttribute('href'), base))).status, 200);
  await axe('dashboard');
  await shot('dashboard');
});

test('filters, sort and search live in the URL: Back and reload bring the view back', async () => {
  await nav('Affiliates').click();
  await quiet();
  await page.getByLabel('Payment status').selectOption('DUE_INCOMPLETE');
  await quiet();
  await page.getByLabel('Sort').selectOption('NAME');
  await quiet();
  await page.getByLabel('Search').fill('a');
  await quiet();
  assert.match(page.url(), /#\/affiliates\?status=DUE_INCOMPLETE&sort=NAME&q=a$/);
  const matching = await api('{ affiliates(filter: {paymentStatus: [DUE_INCOMPLETE], search: "a"}) { totalCount } }');
  await countIs(new RegExp(` of ${matching.affiliates.totalCount} shown`)); // the search's reload is done
  const badge = page.locator('tbody .badge.due_incomplete').first();
  await badge.hover();
  assert.ok((await badge.getByRole('tooltip').textContent()).length > 10, 'Due but incomplete shows its reasons on hover');
  await shot('due-incomplete');
  await axe('affiliates');
  await page.locator('tbody tr').nth(0).getByRole('checkbox').check();
  await page.locator('tbody tr').nth(2).getByRole('checkbox').check();
  const view = (await counter()).replace('0 ticked', '2 ticked');
  await nav('Dashboard').click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  await page.goBack();
  await quiet();
  assert.equal(await page.getByLabel('Payment status').inputValue(), 'DUE_INCOMPLETE');
  assert.equal(await page.getByLabel('Sort').inputValue(), 'NAME');
  assert.equal(await page.getByLabel('Search').inputValue(), 'a');
  await countIs(view); // the same rows, and the same two ticked
  assert.ok(await page.locator('tbody tr').nth(2).getByRole('checkbox').isChecked());
  await page.goBack(); // the sort step: another view, nothing ticked
  await quiet();
  assert.equal(await page.getByLabel('Sort').inputValue(), 'DUE_DESC');
  await countIs(/· 0 ticked/);
  await page.goForward();
  await page.reload();
  await quiet();
  assert.equal(await page.getByLabel('Sort').inputValue(), 'NAME');
  await countIs(view.replace('2 ticked', '0 ticked')); // the ticks of the last view left only
});

test('approve and decline from the table and from an affiliate page', async () => {
  await page.goto(`${base}/app/#/affiliates?approval=PENDING&sort=NAME`);
  await quiet();
  const pending = (await api('{ affiliates(filter: {approvalStatus: [PENDING]}) { totalCount } }')).affiliates.totalCount;
  assert.ok(pending >= 5, `the demo has pending affiliates (${pending})`);
  const rows = page.locator('tbody tr');
  const [first, second] = [await rows.nth(0).getAttribute('data-affiliate'), await rows.nth(1).getAttribute('data-affiliate')];
  await rows.nth(0).getByRole('checkbox').check();
  await rows.nth(1).getByRole('checkbox').check();
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await page.getByText('2 affiliate(s) approved.').waitFor();
  await quiet();
  await countIs(new RegExp(` of ${pending - 2} shown`)); // the approved left the Pending filter at once
  const third = await rows.nth(0).getAttribute('data-affiliate');
  await rows.nth(0).getByRole('checkbox').check();
  await page.getByRole('button', { name: 'Decline', exact: true }).click();
  await page.getByText('1 affiliate(s) declined.').waitFor();
  const statuses = await api(`query($ids: [ID!]) { affiliates(filter: {ids: $ids}) { edges { node { id approvalStatus } } } }`,
    { ids: [first, second, third] });
  const by = Object.fromEntries(statuses.affiliates.edges.map((e) => [e.node.id, e.node.approvalStatus]));
  assert.deepEqual([by[first], by[second], by[third]], ['APPROVED', 'APPROVED', 'DECLINED']);

  await quiet();
  const name = await rows.nth(0).getByRole('link').textContent();
  await rows.nth(0).getByRole('link').click();
  await page.getByRole('heading', { name }).waitFor();
  await page.getByRole('button', { name: 'Decline', exact: true }).click();
  await page.getByText(/· declined ·/).waitFor();
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await page.getByText(/· approved ·/).waitFor();
  await axe('affiliate page');
});

test('at 390 px a whole pay run is done by tapping: filter, select, export, download, mark as paid', async () => {
  const phone = await newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const p = watch(await phone.newPage());
  await logIn(p);
  await p.getByRole('heading', { name: 'Dashboard' }).waitFor();
  for (const path of ['/', '/affiliates', '/sales', '/products', '/pay-runs', '/settings', '/tokens']) {
    await p.goto(`${base}/app/#${path}`);
    await p.waitForLoadState('networkidle');
    assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= 391), `${path} fits 390 px: tables scroll in their box`);
  }
  await nav('Affiliates', p).tap();
  await quiet(p);
  await p.getByLabel('Payment status').selectOption('DUE');
  await quiet(p);
  const { affiliates } = await api('{ affiliates(filter: {paymentStatus: [DUE]}, sort: NAME, first: 1) { edges { node { email } } } }');
  await p.getByLabel('Search').fill(affiliates.edges[0].node.email);
  await quiet(p);
  await p.getByRole('button', { name: 'Select all 1 matching' }).tap();
  await p.getByText('All 1 matching affiliates are selected.').waitFor();
  await p.getByRole('button', { name: 'Export payment details' }).tap();
  const dialog = p.getByRole('dialog', { name: 'Export payment details' });
  await dialog.getByTestId('scope-summary').locator('tbody tr').first().waitFor();
  const box = await dialog.boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 390 && box.y >= 0 && box.y + box.height <= 844, `the dialog fits: ${JSON.stringify(box)}`);
  await shot('phone-export', p);
  await dialog.getByRole('button', { name: 'Export', exact: true }).tap();
  const file = dialog.getByTestId('export-groups').locator('a.file').first();
  await file.waitFor();
  const [download] = await Promise.all([p.waitForEvent('download'), file.tap()]);
  assert.match(readFileSync(await download.path(), 'utf8'), /PD-\d+-\d+/);
  await dialog.getByRole('button', { name: 'Mark as paid' }).tap();
  const confirm = p.getByRole('dialog', { name: /as paid$/ });
  await confirm.getByLabel('Reference').fill('PHONE-RUN-1');
  const cbox = await confirm.boundingBox();
  assert.ok(cbox.x >= 0 && cbox.x + cbox.width <= 390, 'the confirmation fits');
  await confirm.getByRole('button', { name: 'Confirm' }).tap();
  await confirm.getByText(/^Paid \d+ payout/).waitFor();
  await confirm.getByRole('button', { name: 'Close' }).tap();
  await dialog.getByText('Paid', { exact: true }).waitFor();
  await dialog.getByRole('button', { name: 'Done' }).tap();
  await quiet(p);
  await countIs(/^0 of 0 shown/, p); // the paid affiliate left the Due filter
  await shot('phone-affiliates', p);
  await phone.close();
});

test('the table tells the truth; the desktop pay run confirms each group with a Reference', async () => {
  await page.goto(`${base}/app/#/affiliates?approval=APPROVED`);
  await quiet();
  const { affiliateTotals, affiliates, before } = await api(`{ affiliateTotals(filter: {approvalStatus: [APPROVED]}) { currency
    due { amount } dueBelowMinimum { amount } } affiliates(filter: {approvalStatus: [APPROVED]}) { totalCount }
    before: affiliates(filter: {paymentStatus: [DUE]}) { totalCount } }`);
  const due = affiliates.totalCount; // the selection: every approved affiliate (the export skips those not DUE)
  assert.ok(due > 100, `more approved affiliates than one page (${due})`);
  for (const t of affiliateTotals) {
    const cell = page.getByTestId('totals').locator(`[data-currency=${t.currency}]`);
    assert.match(await cell.textContent(), new RegExp(`^${t.due.amount} ${t.currency}`), 'the footer totals the whole filter');
    if (Number(t.dueBelowMinimum.amount) > 0) assert.match(await cell.textContent(), /below the minimum/);
  }
  await countIs(new RegExp(`^100 of ${due} shown · 0 ticked`));
  await page.getByRole('button', { name: `Select all ${due} matching` }).click();
  await page.getByText(`All ${due} matching affiliates are selected.`).waitFor();
  assert.match(await counter(), new RegExp(`^${due} of ${due} shown · ${due} ticked`), 'not only the loaded 100');
  const marked = page.locator('td[data-column=due] .below-minimum').first();
  assert.match(await marked.textContent(), /below the \d+\.\d\d [A-Z]{3} minimum/, 'a sub-minimum amount says so');
  await shot('affiliates-due');

  await page.getByRole('button', { name: 'Export payment details' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export payment details' });
  await dialog.locator('[data-testid=scope-summary] tbody tr').first().waitFor();
  assert.ok(await dialog.evaluate((d) => d.contains(document.activeElement)), 'the dialog takes focus');
  assert.match(await dialog.getByTestId('left-out').textContent(), /^Left out, below the minimum payout: \d/, 'the export says what it leaves out');
  await axe('export dialog');
  await dialog.getByLabel(/^PREFERRED/).check();
  await shot('export-dialog');
  const executes = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10); // the SEPA file's execution date
  await dialog.getByLabel('Execution date (SEPA files)').fill(executes);
  await dialog.getByRole('button', { name: 'Export', exact: true }).click();
  const groups = dialog.getByTestId('export-groups');
  await groups.waitFor();
  const files = groups.locator('a.file');
  assert.ok((await files.count()) >= 3, 'a file per payment type and currency');
  const sepa = files.filter({ hasText: 'SEPA XML' });
  assert.ok(await sepa.count(), 'the EUR bank wires go out as a SEPA file too (the demo has a debtor account)');
  assert.match(await sepa.first().textContent(), new RegExp(`executes ${executes}`));
  let exported = 0;
  for (const cell of await groups.locator('tbody tr td:nth-child(2)').allTextContents()) exported += Number(cell);
  for (let i = 0; i < (await files.count()); i++) {
    const [download] = await Promise.all([page.waitForEvent('download'), files.nth(i).click()]);
    const csv = readFileSync(await download.path(), 'utf8');
    const expected = Number(/· (\d+) rows/.exec(await files.nth(i).textContent())[1]);
    const xml = download.suggestedFilename().endsWith('.xml');
    if (xml) assert.ok(csv.includes(`<Dt>${executes}</Dt>`), 'the SEPA file asks for the execution date chosen');
    const rows = xml ? (csv.match(/<EndToEndId>PD-\d+-\d+</g) ?? []).length : csv.trim().split(/\r?\n/).filter((l) => /PD-\d+-\d+/.test(l)).length;
    assert.equal(rows, expected, `${download.suggestedFilename()}`);
  }
  await shot('export-files');
  const methods = await groups.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.method));
  for (const method of methods) {
    const row = groups.locator(`tr[data-method=${method}]`);
    const affiliatesInGroup = await row.locator('td').nth(1).textContent();
    await row.getByRole('button', { name: 'Mark as paid' }).click();
    const confirm = page.getByRole('dialog', { name: /as paid$/ });
    assert.match(await confirm.getByTestId('confirm-summary').textContent(), new RegExp(`^${affiliatesInGroup} affiliate\\(s\\) · `));
    if (method === methods[0]) {
      await axe('confirmation dialog');
      await shot('mark-as-paid');
    }
    await confirm.getByLabel('Reference').fill(`BATCH-${method}`);
    await confirm.getByRole('button', { name: 'Confirm' }).click();
    await confirm.getByText(/^Paid \d+ payout/).waitFor();
    await confirm.getByRole('button', { name: 'Close' }).click();
    await row.getByText('Paid', { exact: true }).waitFor();
  }
  const skipped = (await dialog.locator('details summary').count()) ? Number(/\d+/.exec(await dialog.locator('details summary').textContent())[0]) : 0;
  assert.equal(exported + skipped, due, 'every selected affiliate is in a file or skipped with a reason');
  assert.equal(exported, before.totalCount, 'every DUE affiliate was exported');
  const { paymentExports } = await api(`{ paymentExports(first: 1) { edges { node { groups { method } } } } }`);
  assert.equal(paymentExports.edges[0].node.groups.length, methods.length);
  const references = await api(`{ affiliates(filter: {paymentStatus: [NOTHING_DUE, DUE_INCOMPLETE]}, first: 500) {
    edges { node { payouts(first: 1) { edges { node { reference method } } } } } } }`);
  const batch = references.affiliates.edges.map((e) => e.node.payouts.edges[0]?.node).filter((p) => p?.reference?.startsWith('BATCH-'));
  assert.ok(batch.length > 0 && batch.every((p) => p.reference === `BATCH-${p.method}`), 'the Reference is on the payouts');
  await dialog.getByRole('button', { name: 'Done' }).click();
  await quiet();
  await page.getByLabel('Payment status').selectOption('DUE');
  await quiet();
  const left = (await api('{ affiliates(filter: {paymentStatus: [DUE]}) { totalCount } }')).affiliates.totalCount;
  assert.ok(left < before.totalCount / 4, `the paid affiliates left the Due filter (${left} of ${before.totalCount} left)`);
  await countIs(new RegExp(` of ${left} shown`));
});

test('a row updates within 2 seconds when its payoutBecameDue event arrives, with a toast', async () => {
  const product = await api(`mutation { createProduct(input: {name: "Quick release", price: {amount: "100.00", currency: "USD"},
    commissionFlat: {amount: "60.00", currency: "USD"}, milestones: [{percent: "100", delayDays: 1}]}) {
    ... on CreateProductSuccess { product { id } } } }`);
  liveProduct = product.createProduct.product.id;
  const created = await api(`mutation { createAffiliate(input: {name: "Toast Tester", email: "toast@example.com",
    approvalStatus: APPROVED}) { ... on CreateAffiliateSuccess { affiliate { id } } } }`);
  liveAffiliate = created.createAffiliate.affiliate.id;
  await api(`mutation($id: ID!) { updatePaymentDetails(input: {affiliateId: $id, paypalEmail: "toast@example.com"}) { __typename } }`, { id: liveAffiliate });
  const day = 24 * 3600 * 1000;
  const sale = (n, occurredAt) => api(`mutation($p: ID!, $a: ID!, $at: DateTime!) { recordSale(input: {externalId: "toast-${n}",
    productId: $p, affiliateId: $a, occurredAt: $at}) { __typename } }`, { p: liveProduct, a: liveAffiliate, at: new Date(occurredAt).toISOString() });
  await sale(1, Date.now() - 2 * day);
  await page.goto(`${base}/app/#/affiliates?q=toast%40example.com`);
  await page.reload();
  await quiet();
  const due = page.locator(`tr[data-affiliate="${liveAffiliate}"] td[data-column=due]`);
  assert.equal(await due.textContent(), '60.00 USD');
  await page.waitForTimeout(300); // the subscription's connection_init round trip
  await sale(2, Date.now() - day + 2500); // its only installment is released 2.5 s from now
  const toast = page.locator('.toast', { hasText: 'a held installment matured' });
  await toast.waitFor({ timeout: 15_000 });
  assert.match(await toast.textContent(), /Toast Tester.*60\.00 USD/);
  await page.waitForFunction((id) => document.querySelector(`tr[data-affiliate="${id}"] td[data-column=due]`)?.textContent === '120.00 USD',
    liveAffiliate, { timeout: 2000 });
  await shot('toast');
});

test('program settings and products are forms that save', async () => {
  await nav('Program settings').click();
  await page.getByLabel('Minimum sales').waitFor();
  await page.getByLabel('Minimum sales').fill('3');
  await page.getByLabel('Minimum payout USD').fill('60.00');
  await page.getByRole('button', { name: 'Add milestone' }).click();
  await page.getByLabel('Milestone 1 percent').fill('50');
  await page.getByLabel('Milestone 2 percent').fill('50');
  await page.getByLabel('Milestone 2 delay days').fill('60');
  await axe('program settings');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Program settings saved.').waitFor();
  await shot('program-settings');
  const { programSettings } = await api('{ programSettings { minimumSales minimumPayout { amount currency } defaultMilestones { percent delayDays } } }');
  assert.equal(programSettings.minimumSales, 3);
  assert.deepEqual(programSettings.minimumPayout.find((m) => m.currency === 'USD'), { amount: '60.00', currency: 'USD' });
  assert.deepEqual(programSettings.defaultMilestones.map((m) => m.delayDays), [30, 60]);

  await nav('Products').click();
  await page.locator('tr[data-product]').first().waitFor();
  await axe('products');
  await page.getByRole('button', { name: 'New product' }).click();
  let form = page.getByRole('dialog', { name: 'New product' });
  await form.getByLabel('Name', { exact: true }).fill('Masterclass');
  await form.getByLabel('Price').fill('450.00');
  await form.getByLabel('Currency').fill('EUR');
  await form.getByLabel('Commission percent').fill('20');
  await form.getByRole('button', { name: 'Add milestone' }).click();
  await form.getByLabel('Milestone 1 percent').fill('100');
  await form.getByLabel('Milestone 1 delay days').fill('14');
  await form.getByLabel('Renewal months').fill('12');
  await form.getByLabel('Renewal payments').fill('6');
  await axe('product form');
  await form.getByRole('button', { name: 'Save' }).click();
  const row = page.locator('tr[data-product=Masterclass]');
  await row.waitFor();
  assert.match(await row.textContent(), /450\.00 EUR.*20%.*100% after 14 days.*12 months, 6 payments/);
  await row.getByRole('button', { name: 'Edit Masterclass' }).click();
  form = page.getByRole('dialog', { name: 'Edit Masterclass' });
  await form.getByLabel('Flat commission').fill('75.00');
  await form.getByLabel('Tier name').fill('VIP partners');
  await form.getByLabel('Tier commission percent').fill('30');
  await form.getByRole('button', { name: 'Add tier' }).click();
  await form.getByText('VIP partners', { exact: true }).waitFor();
  await form.getByRole('button', { name: 'Save' }).click();
  await row.getByText('75.00 EUR').waitFor();
  assert.match(await row.textContent(), /VIP partners \(30%\)/);
  await shot('products');
  const { products } = await api('{ products(first: 100) { edges { node { name commissionFlat { amount } commissionPercent renewalMonths tiers { name } } } } }');
  const made = products.edges.map((e) => e.node).find((p) => p.name === 'Masterclass');
  assert.deepEqual([made.commissionFlat?.amount, made.commissionPercent, made.renewalMonths, made.tiers.map((t) => t.name)],
    ['75.00', null, 12, ['VIP partners']]);
});

test('past pay runs: files download again; mark as paid confirms and lists the skipped', async () => {
  await nav('Pay runs').click();
  await page.getByRole('heading', { name: 'Pay runs' }).waitFor();
  const runs = page.locator('article.run');
  await runs.first().waitFor();
  const { paymentExports } = await api('{ paymentExports(first: 50) { totalCount edges { node { id paid } } } }');
  assert.equal(await runs.count(), Math.min(20, paymentExports.totalCount));
  assert.deepEqual(await runs.evaluateAll((a) => a.slice(0, 3).map((x) => x.dataset.export)),
    paymentExports.edges.slice(0, 3).map((e) => e.node.id), 'newest first');
  await axe('pay runs');
  const old = runs.last();
  const fileButton = old.getByRole('button', { name: /^Download / }).first();
  const [download] = await Promise.all([page.waitForEvent('download'), fileButton.click()]);
  assert.match(readFileSync(await download.path(), 'utf8'), /PD-\d+-\d+/);
  // The demo left its last run's CHECK group unpaid; part of it was paid since (the pay runs above).
  const unpaid = page.locator('article.run', { hasText: 'Not paid yet' }).first();
  await unpaid.getByRole('button', { name: 'Mark as paid' }).click();
  const confirm = page.getByRole('dialog', { name: 'Mark Check as paid' });
  assert.match(await confirm.getByTestId('confirm-summary').textContent(), /^\d+ affiliate\(s\) · .*[A-Z]{3}/);
  await confirm.getByLabel('Reference').fill('CHECKS-NOV');
  await axe('mark as paid dialog');
  await confirm.getByRole('button', { name: 'Confirm' }).click();
  await confirm.getByText(/^Paid \d+ payout/).waitFor();
  const skipped = confirm.getByTestId('skipped');
  if (await skipped.count()) assert.match(await skipped.locator('li').first().textContent(), /: ./, 'each skipped one with its reason');
  await shot('pay-run-confirmed');
  await confirm.getByRole('button', { name: 'Close' }).click();
  await page.waitForLoadState('networkidle');
  await shot('pay-runs');
});

test('sales program-wide: filters in the URL, and a refund with an amount', async () => {
  if (!(await nav('Sales').count())) await logIn(page);
  await nav('Sales').click();
  await quiet();
  const { sales } = await api('{ sales { totalCount } }');
  await page.locator('[data-testid=sales-count]', { hasText: new RegExp(`^50 of ${sales.totalCount} shown`) }).waitFor();
  await page.getByRole('combobox', { name: 'Product', exact: true }).selectOption({ label: 'Video course' });
  await quiet();
  await page.getByRole('combobox', { name: 'Status', exact: true }).selectOption({ label: 'Completed' });
  await quiet();
  const today = new Date();
  const from = new Date(today.getTime() - 90 * 86_400_000).toISOString().slice(0, 10);
  await page.getByLabel('From', { exact: true }).fill(from);
  await quiet();
  await page.getByLabel('To', { exact: true }).fill(today.toISOString().slice(0, 10));
  await quiet();
  assert.match(page.url(), /product=.*&status=COMPLETED&from=\d{4}-\d\d-\d\d&to=\d{4}-\d\d-\d\d/);
  const products = (await api('{ products(first: 50) { edges { node { id name } } } }')).products.edges.map((e) => e.node);
  const filtered = await api(`query($f: SaleFilter) { sales(filter: $f) { totalCount } }`, { f: {
    productId: products.find((p) => p.name === 'Video course').id, status: ['COMPLETED'], occurredFrom: `${from}T00:00:00Z` } });
  await page.locator('[data-testid=sales-count]', { hasText: new RegExp(` of ${filtered.sales.totalCount} shown`) }).waitFor();
  const href = await page.locator('tbody tr').first().getByRole('link').getAttribute('href');
  await page.getByRole('combobox', { name: 'Affiliate', exact: true }).selectOption(decodeURIComponent(href.replace('#/affiliates/', '')));
  await quiet();
  await axe('sales');
  const row = page.locator('tbody tr').first();
  const id = await row.getAttribute('data-sale');
  await row.getByRole('button', { name: 'Refund' }).click();
  const dialog = page.getByRole('dialog', { name: `Refund sale ${id}` });
  await dialog.getByLabel('Amount').fill('10.00');
  await axe('refund dialog');
  await dialog.getByRole('button', { name: 'Refund' }).click();
  await dialog.waitFor({ state: 'detached' });
  const refunded = await api('query($f: SaleFilter) { sales(filter: $f, first: 500) { edges { node { externalId status refunded { amount } } } } }',
    { f: { status: ['PARTIALLY_REFUNDED'] } });
  assert.deepEqual(refunded.sales.edges.filter((e) => e.node.externalId === id).map((e) => e.node.refunded.amount), ['10.00']);
  await page.getByRole('combobox', { name: 'Status', exact: true }).selectOption({ label: 'Partially refunded' });
  await quiet();
  await page.locator(`tr[data-sale="${id}"]`).getByText('10.00 EUR').first().waitFor();
  await shot('sales');
});

test('tokens: a self-service token with Copy and a login link; the API tokens page lists and revokes', async () => {
  await page.goto(`${base}/app/#/affiliates/${encodeURIComponent(liveAffiliate)}`);
  await page.getByRole('button', { name: 'Create a self-service token' }).click();
  const token = (await page.getByTestId('affiliate-token').textContent()).trim();
  await page.getByRole('button', { name: 'Copy' }).click();
  await page.getByText('Copied.').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);
  const link = await page.getByTestId('login-link').getAttribute('href');
  assert.equal(link, `${base}/app/#token=${encodeURIComponent(token)}`);
  await shot('affiliate-detail');
  await axe('affiliate page with a token');

  const other = await browser.newContext({ viewport: { width: 1360, height: 860 } });
  const self = watch(await other.newPage());
  await self.goto(link);
  await self.getByRole('heading', { name: 'Hello, Toast Tester' }).waitFor();
  assert.doesNotMatch(self.url(), /token=/, 'the token leaves the address bar');
  await self.getByLabel('PayPal email').fill('new.address@example.com');
  await self.getByLabel('Preferred').selectOption('PAYPAL');
  await self.getByRole('button', { name: 'Save payment details' }).click();
  await self.getByText('Payment details saved.').waitFor();
  // Its own tax form (rule 17): a W-9; the TIN never comes back, only masked.
  const taxForm = self.getByRole('form', { name: 'Tax form' });
  await taxForm.getByLabel('Form').selectOption('W9');
  await taxForm.getByLabel('Legal name', { exact: true }).fill('Toast Tester');
  await taxForm.getByLabel('Tax classification').selectOption('INDIVIDUAL_SOLE_PROPRIETOR');
  await taxForm.getByLabel('TIN type').selectOption('SSN');
  await taxForm.getByLabel('Taxpayer identification number').fill('123-45-6789');
  await taxForm.getByLabel('Street address', { exact: true }).fill('1 Main Street');
  await taxForm.getByLabel('City', { exact: true }).fill('Springfield');
  await taxForm.getByLabel('State', { exact: true }).fill('IL');
  await taxForm.getByLabel('Postal code', { exact: true }).fill('62701');
  await taxForm.getByRole('button', { name: 'Save tax form' }).click();
  await self.getByText('Tax form saved.').waitFor();
  await self.getByTestId('tax-profile').filter({ hasText: '6789' }).waitFor();
  assert.doesNotMatch(await self.getByTestId('tax-profile').textContent(), /123-?45/, 'the TIN is shown masked');
  await axe('self-service', self);
  await shot('self-service', self);
  await self.setViewportSize({ width: 390, height: 844 });
  assert.ok(await self.evaluate(() => document.documentElement.scrollWidth <= 391), 'the self-service page fits 390 px');

  await nav('API tokens').click();
  const row = page.locator('tbody tr', { hasText: 'Toast Tester' }).first();
  await row.waitFor();
  assert.match(await row.textContent(), /^affiliate/);
  assert.doesNotMatch(await row.textContent(), /never/, 'last used: the login link used it');
  await axe('api tokens');
  await shot('api-tokens');
  await row.getByRole('button', { name: 'Revoke' }).click();
  await page.locator('tbody tr', { hasText: 'Toast Tester' }).waitFor({ state: 'detached' });
  self.removeAllListeners('console'); // the refused request below is logged by the browser, as it should be
  await self.reload();
  await self.getByText('The token was refused: log in again.').waitFor();
  await other.close();
});

test('webhooks: add an endpoint (the secret once, Copy), rotate it, send a test, read its deliveries and attempts, replay, disable, enable, delete', async () => {
  const received = [];
  const hook = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ id: req.headers['webhook-id'], signature: req.headers['webhook-signature'], body });
      res.end('thanks');
    });
  });
  await new Promise((ok) => hook.listen(0, '127.0.0.1', ok));
  const hookUrl = `http://127.0.0.1:${hook.address().port}/hooks`;
  try {
    await page.goto(`${base}/app/#/`);
    if (!(await nav('Webhooks').count())) await logIn(page);
    await nav('Webhooks').click();
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
    await quiet();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const add = page.getByRole('dialog', { name: 'Add endpoint' });
    await add.getByLabel('Endpoint URL').fill(hookUrl);
    await add.getByLabel('Description').fill('the e2e receiver');
    await add.getByRole('checkbox', { name: /payout\.paid/ }).check();
    await axe('the add endpoint dialog');
    await add.getByRole('button', { name: 'Create endpoint' }).click();
    await add.waitFor({ state: 'detached' });
    const secret = (await page.getByTestId('webhook-secret').textContent()).trim();
    assert.match(secret, /^whsec_[A-Za-z0-9+/=]{40,}$/);
    await page.getByRole('group', { name: /signing secret/ }).getByRole('button', { name: 'Copy' }).click();
    await page.getByText('Copied.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
    const row = page.locator('tbody tr', { hasText: hookUrl });
    await row.getByText('enabled', { exact: true }).waitFor();
    assert.match(await row.textContent(), new RegExp(`${secret.slice(-4).replace(/[+/]/g, '\\$&')}`), 'the list shows the secret masked');
    assert.doesNotMatch(await row.textContent(), new RegExp(secret.slice(6, 20).replace(/[+/]/g, '\\$&')));
    await axe('webhooks');
    await shot('webhooks');

    await page.getByRole('button', { name: `Send test to ${hookUrl}` }).click();
    await page.getByText(/webhook\.test message is on its way/).waitFor();
    await page.getByRole('button', { name: `Deliveries of ${hookUrl}` }).click();
    const deliveries = page.getByRole('dialog', { name: `Deliveries to ${hookUrl}` });
    const until = async (text, what) => {
      const item = deliveries.locator('article', { hasText: text });
      for (const deadline = Date.now() + 20_000; !(await item.count()); ) {
        assert.ok(Date.now() < deadline, what);
        await page.waitForTimeout(300);
        await deliveries.getByRole('button', { name: 'Refresh' }).click();
      }
      return item;
    };
    const test1 = await until('webhook.test · succeeded · 1 attempt(s)', 'the test message was delivered');
    assert.match(await test1.getByRole('region').textContent(), /200.*thanks/);
    assert.equal(received.length, 1);
    assert.match(received[0].id, /^msg_/);
    assert.match(received[0].signature, /^v1,/);
    assert.equal(JSON.parse(received[0].body).type, 'webhook.test');
    await axe('the deliveries dialog');
    await shot('webhook-deliveries');
    await test1.getByRole('button', { name: /^Replay msg_/ }).click();
    await until('webhook.test · succeeded · 2 attempt(s)', 'the replay was delivered');
    assert.equal(received.length, 2);
    assert.equal(received[1].id, received[0].id, 'a replay keeps the webhook-id');
    await deliveries.getByRole('button', { name: 'Close' }).click();
    await deliveries.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: `Rotate secret of ${hookUrl}` }).click();
    const rotation = page.getByRole('dialog', { name: `Rotate secret of ${hookUrl}?` });
    await rotation.getByLabel('Overlap hours').fill('1');
    await axe('the rotate dialog');
    await rotation.getByRole('button', { name: 'Rotate', exact: true }).click();
    await page.getByText(/previous secret of .* keeps signing until/).waitFor();
    const rotated = (await page.getByTestId('webhook-secret').textContent()).trim();
    assert.match(rotated, /^whsec_/);
    assert.notEqual(rotated, secret);
    await row.getByText(/previous one signs until/).waitFor();

    await page.getByRole('button', { name: `Disable ${hookUrl}` }).click();
    await row.getByText(/disabled \(disabled by hand/).waitFor();
    await page.getByRole('button', { name: `Enable ${hookUrl}` }).click();
    await row.getByText('enabled', { exact: true }).waitFor();
    await page.getByRole('button', { name: `Delete ${hookUrl}` }).click();
    const confirm = page.getByRole('dialog', { name: `Delete ${hookUrl}?` });
    await confirm.getByRole('button', { name: 'Delete endpoint' }).click();
    await row.waitFor({ state: 'detached' });
    await page.getByText(`${hookUrl} deleted.`).waitFor();
  } finally {
    hook.close();
  }
});

test('tax: the merchant sees the masked TIN, sets the tax settings, and makes and downloads the yearly report', async () => {
  await page.goto(`${base}/app/#/affiliates/${encodeURIComponent(liveAffiliate)}`);
  await page.getByTestId('tax-profile').filter({ hasText: /W-9.*6789.*valid/ }).waitFor();
  assert.doesNotMatch(await page.getByTestId('tax-profile').textContent(), /123-?45/);
  await page.getByRole('button', { name: 'Record a tax form received' }).click();
  await page.getByRole('form', { name: 'Tax form' }).getByLabel('Legal name', { exact: true }).waitFor();
  await axe('the affiliate page recording a tax form');

  await nav('Program settings').click();
  const zone = page.getByLabel('Tax time zone');
  await zone.waitFor();
  assert.equal(await zone.inputValue(), 'UTC');
  assert.equal(await page.getByRole('checkbox', { name: 'Require a valid tax form before any payout' }).isChecked(), false);
  const year = new Date().getUTCFullYear();
  await zone.fill('America/New_York');
  await page.getByLabel(`Reporting threshold ${year} (USD)`).fill('1500.00');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Program settings saved.').waitFor();
  const saved = await api('{ programSettings { taxTimeZone taxReportingThresholds { year amount { amount } } } }');
  assert.equal(saved.programSettings.taxTimeZone, 'America/New_York');
  assert.equal(saved.programSettings.taxReportingThresholds.find((t) => t.year === year).amount.amount, '1500.00');
  await axe('program settings with tax');

  await nav('Tax').click();
  await page.getByRole('heading', { name: 'Tax' }).waitFor();
  await quiet();
  await page.getByLabel('Tax year').selectOption(String(year));
  assert.match(page.url(), new RegExp(`year=${year}`));
  await quiet();
  await axe('tax');
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: `Create and download the ${year} report` }).click(),
  ]);
  assert.match(file.suggestedFilename(), /\.csv$/);
  assert.match(readFileSync(await file.path(), 'utf8').split('\n')[0], /,/, 'a CSV with a header');
  await page.getByText(new RegExp(`The ${year} report .* was made and downloaded`)).waitFor();
  await page.getByRole('button', { name: new RegExp(`^Download the ${year} report`) }).first().waitFor();
  await shot('tax');
});

test('recruits and JV partners: a recruiter set on the affiliate page, a second-tier percent and a JV partner on the product, commissions per role', async () => {
  const make = async (name, email) => (await api(`mutation { createAffiliate(input: {name: "${name}", email: "${email}", approvalStatus: APPROVED}) {
    ... on CreateAffiliateSuccess { affiliate { id } } } }`)).createAffiliate.affiliate.id;
  const recruiter = await make('Rita Recruiter', 'rita@example.com');
  const partner = await make('Jules Partner', 'jules@example.com');

  await page.goto(`${base}/app/#/affiliates/${encodeURIComponent(liveAffiliate)}`);
  await page.getByRole('button', { name: 'Set recruiter' }).click();
  const choose = page.getByRole('group', { name: 'Choose a recruiter' });
  await choose.getByLabel('Find recruiter').fill('Rita');
  await choose.getByLabel('Recruiter', { exact: true }).locator('option', { hasText: 'Rita Recruiter' }).waitFor({ state: 'attached' });
  await choose.getByRole('button', { name: 'Save recruiter' }).click();
  await page.getByTestId('recruited-by').getByRole('link', { name: 'Rita Recruiter' }).waitFor();
  await axe('affiliate page with a recruiter');

  await nav('Products').click();
  await page.getByRole('button', { name: 'Edit Quick release' }).click();
  const edit = page.getByRole('dialog', { name: 'Edit Quick release' });
  await edit.getByLabel('Find JV partner').fill('Jules');
  await edit.getByLabel('JV partner', { exact: true }).locator('option', { hasText: 'Jules Partner' }).waitFor({ state: 'attached' });
  await edit.getByLabel('JV partner percent').fill('5');
  await edit.getByRole('button', { name: 'Add JV partner' }).click();
  await edit.getByRole('group', { name: 'JV partner Jules Partner' }).waitFor();
  await edit.getByRole('button', { name: 'Update JV partners' }).click();
  await edit.getByText('JV partners saved.').waitFor();
  await axe('the product editor with JV partners');
  await edit.getByLabel('Second-tier percent').fill('10');
  await edit.getByRole('button', { name: 'Save', exact: true }).click();
  await edit.waitFor({ state: 'detached' });
  const row = page.locator('tr[data-product="Quick release"]');
  await row.getByText('10%', { exact: true }).waitFor();
  await row.getByText('Jules Partner (5%)').waitFor();

  await api(`mutation($p: ID!, $a: ID!, $at: DateTime!) { recordSale(input: {externalId: "tiers-1", productId: $p,
    affiliateId: $a, occurredAt: $at}) { __typename } }`, { p: liveProduct, a: liveAffiliate, at: new Date().toISOString() }); // after recruitedAt
  await page.goto(`${base}/app/#/affiliates/${encodeURIComponent(recruiter)}`);
  const recruits = page.getByRole('region', { name: 'Recruits' });
  await recruits.getByRole('link', { name: 'Toast Tester' }).waitFor();
  assert.match(await recruits.textContent(), /10\.00 USD/, 'second tier earned: 10% of the 100.00 USD sale');
  const commissions = page.getByRole('region', { name: 'Commissions by role' });
  assert.match(await commissions.textContent(), /second tier \(Toast Tester\)Quick release100\.00 USD10(\.0+)?%10\.00 USD/);
  await axe('the recruiter page');
  await shot('recruiter');
  await page.goto(`${base}/app/#/affiliates/${encodeURIComponent(partner)}`);
  await page.getByRole('region', { name: 'Commissions by role' }).locator('tr[data-role=JV_PARTNER]', { hasText: /5(\.0+)?%5\.00 USD/ }).waitFor();
  await page.goto(`${base}/app/#/affiliates/${encodeURIComponent(recruiter)}`);
  await page.getByRole('link', { name: 'Toast Tester' }).first().click();
  await page.getByRole('button', { name: 'Clear recruiter' }).click();
  await page.getByTestId('recruited-by').getByText(/^Nobody/).waitFor();

  // The new pages at 390 px: nothing wider than the screen (tables scroll in their own box).
  const small = await newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const phone = watch(await small.newPage());
  await logIn(phone);
  await phone.getByRole('heading', { name: 'Dashboard' }).waitFor();
  for (const path of ['webhooks', 'tax', `affiliates/${encodeURIComponent(recruiter)}`, 'settings', 'pay-runs']) {
    await phone.goto(`${base}/app/#/${path}`);
    await phone.getByRole('heading', { level: 1 }).waitFor();
    await phone.waitForLoadState('networkidle');
    assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= 391), `${path} fits 390 px`);
  }
  await phone.goto(`${base}/app/#/products`);
  await phone.getByRole('button', { name: 'Edit Quick release' }).tap();
  const dialog = phone.getByRole('dialog', { name: 'Edit Quick release' });
  await dialog.getByRole('button', { name: 'Update JV partners' }).waitFor();
  assert.ok(await dialog.evaluate((d) => d.getBoundingClientRect().right <= 390 && d.scrollWidth <= d.clientWidth + 1), 'the product editor fits 390 px');
  await small.close();
});

test('bank files: the SEPA debtor account in settings (IBAN masked), a returns file imported on Pay runs', async () => {
  await page.goto(`${base}/app/#/settings`);
  const debtor = page.getByTestId('sepa-debtor');
  await debtor.filter({ hasText: '****3000' }).waitFor(); // the demo's debtor account
  await page.getByLabel('Debtor name').fill('Payout Desk Test GmbH');
  await page.getByLabel('Debtor IBAN').fill('DE89 3704 0044 0532 0130 00');
  await page.getByLabel('Debtor BIC').fill('COBADEFFXXX');
  await page.getByLabel('Debtor town').fill('Berlin');
  await page.getByLabel('Debtor country').fill('DE');
  await axe('program settings with the SEPA debtor');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Program settings saved.').waitFor();
  await debtor.filter({ hasText: 'Payout Desk Test GmbH' }).waitFor();
  assert.doesNotMatch(await debtor.textContent(), /0532013000/, 'the IBAN is shown masked');
  await shot('program-settings-sepa');

  const { affiliates } = await api(`{ affiliates(first: 200) { edges { node { name payouts(first: 10) { edges { node {
    status instant method exportReference } } } } } } }`);
  const paid = affiliates.edges.flatMap((a) => a.node.payouts.edges.map((p) => ({ name: a.node.name, ...p.node })))
    .find((p) => p.status === 'PAID' && !p.instant && p.method === 'BANK_WIRE' && p.exportReference && p.name !== 'Toast Tester');
  assert.ok(paid, 'a paid bank wire of an export to return');
  await nav('Pay runs').click();
  const results = page.getByRole('region', { name: 'Payment results' });
  await results.getByLabel('Result file format').selectOption('RETURNS_CSV');
  await results.getByLabel('Result file', { exact: true }).setInputFiles({
    name: 'returns.csv', mimeType: 'text/csv',
    buffer: Buffer.from(`reference,status,reason\n${paid.exportReference},RETURNED,AC04 account closed\nPD-999999-1,RETURNED,unknown\n`),
  });
  await results.getByRole('button', { name: 'Import results' }).click();
  await results.getByRole('status').filter({ hasText: /Imported 2 line\(s\): .*1 voided.*1 unmatched|Imported 2 line\(s\): .*1 unmatched.*1 voided/ }).waitFor();
  const lines = results.getByRole('region', { name: 'What each result line did' });
  assert.match(await lines.textContent(), new RegExp(`${paid.exportReference}RETURNEDvoided${paid.name}`));
  await results.getByRole('listitem').filter({ hasText: 'Returns (CSV), 2 line(s)' }).waitFor();
  await axe('pay runs with an import');
  await shot('payment-results');
});

test('keyboard only: log in, reach a page, open a dialog that keeps focus, Escape gives it back', async () => {
  const keys = await newContext();
  const k = watch(await keys.newPage());
  await k.goto(`${base}/app/`);
  await k.waitForFunction(() => document.activeElement?.getAttribute('name') === 'token'); // it takes focus
  await k.keyboard.type(TOKEN);
  await k.keyboard.press('Enter');
  await k.getByRole('heading', { name: 'Dashboard' }).waitFor();
  const focused = () => k.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
  async function tabTo(text, limit = 40, key = 'Tab') {
    for (let i = 0; i < limit; i++) {
      await k.keyboard.press(key);
      if ((await focused()) === text) return;
    }
    assert.fail(`${text} not reached by Tab`);
  }
  await tabTo('Products');
  await k.keyboard.press('Enter');
  await k.getByRole('heading', { name: 'Products' }).waitFor();
  await tabTo('New product');
  await k.keyboard.press('Enter');
  const dialog = k.getByRole('dialog', { name: 'New product' });
  await dialog.waitFor();
  const inside = () => dialog.evaluate((d) => d.contains(document.activeElement));
  assert.ok(await inside(), 'the dialog takes focus');
  for (let i = 0; i < 25; i++) {
    await k.keyboard.press('Tab');
    const where = await k.evaluate(() => document.activeElement?.tagName);
    assert.ok(where === 'BODY' || (await inside()), 'Tab stays inside the dialog');
  }
  await k.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await focused(), 'New product', 'focus went back to the button');

  await k.goto(`${base}/app/#/affiliates?approval=APPROVED`);
  await quiet(k);
  await k.getByRole('checkbox', { name: /^Tick / }).first().focus();
  await k.keyboard.press('Space');
  await tabTo('Export payment details', 10, 'Shift+Tab');
  await k.keyboard.press('Enter');
  const exportDialog = k.getByRole('dialog', { name: 'Export payment details' });
  await exportDialog.waitFor();
  assert.ok(await exportDialog.evaluate((d) => d.contains(document.activeElement)));
  await k.keyboard.press('Escape');
  await exportDialog.waitFor({ state: 'detached' });
  assert.equal(await focused(), 'Export payment details');
  await keys.close();
});

test('GraphiQL renders, runs a query and a subscription with the internet blocked; axe finds no critical or contrast issue', async () => {
  const graphiql = watch(await context.newPage());
  await graphiql.goto(`${base}/graphql`);
  await axe('GraphiQL login', graphiql);
  await graphiql.getByLabel('API token').fill(TOKEN);
  await graphiql.getByRole('button', { name: 'Open GraphiQL' }).click();
  await graphiql.locator('.graphiql-container').waitFor();
  await graphiql.locator('.graphiql-query-editor', { hasText: 'AffiliatesDue' }).waitFor();
  await graphiql.locator('.graphiql-execute-button').click();
  await graphiql.locator('.result-window', { hasText: 'totalCount' }).waitFor({ timeout: 30_000 })
    .catch(async (e) => { await graphiql.screenshot({ path: join(shots, 'graphiql-failure.png') }); throw e; });
  assert.equal(await graphiql.getByText('Error fetching schema').count(), 0);
  assert.ok(await graphiql.locator('link[rel=icon]').getAttribute('href'), 'GraphiQL has a favicon');
  await axe('GraphiQL', graphiql, { impacts: ['critical'], rules: ['color-contrast'] });
  await graphiql.getByRole('button', { name: /documentation/i }).first().click();
  await graphiql.getByText('Query', { exact: true }).first().waitFor();

  // A subscription from GraphiQL: over graphql-transport-ws, the token in connection_init.
  await graphiql.locator('.graphiql-query-editor .monaco-editor').first().click();
  await graphiql.keyboard.press('ControlOrMeta+A');
  await graphiql.keyboard.insertText('subscription Live { payoutBecameDue { cause affiliate { name } newlyDue { amount currency } } }');
  await graphiql.getByRole('button', { name: /prettify/i }).first().click();
  await graphiql.locator('.graphiql-execute-button').click();
  await graphiql.waitForTimeout(500); // the subscribe message's round trip: no event to wait on
  await api(`mutation($p: ID!, $a: ID!, $at: DateTime!) { recordSale(input: {externalId: "graphiql-1", productId: $p,
    affiliateId: $a, occurredAt: $at}) { __typename } }`, { p: liveProduct, a: liveAffiliate, at: new Date(Date.now() - 2 * 86_400_000).toISOString() });
  await graphiql.locator('.result-window', { hasText: 'SALE_RECORDED' }).waitFor({ timeout: 15_000 })
    .catch(async (e) => { await graphiql.screenshot({ path: join(shots, 'graphiql-failure.png') }); throw e; });
  await shot('graphiql', graphiql);
  await graphiql.close();
});

test('the app on a dev server of another origin runs a query, a mutation and a subscription', async () => {
  const port = new URL(devOrigin).port;
  devServer = spawn(join(ROOT, 'frontend-contract/node_modules/.bin/vite'), ['--mode', 'app', '--port', port, '--strictPort'], {
    cwd: join(ROOT, 'frontend-contract'), env: { ...process.env, VITE_PAYOUTS_API: base }, stdio: 'ignore',
  });
  const dev = await context.newPage();
  for (const deadline = Date.now() + 30_000; ; ) {
    try {
      if ((await fetch(`${devOrigin}/app/`)).ok) break;
    } catch {}
    assert.ok(Date.now() < deadline, 'the Vite dev server did not start');
    await new Promise((ok) => setTimeout(ok, 200));
  }
  await dev.goto(`${devOrigin}/app/`);
  await dev.getByLabel('API token').fill(TOKEN);
  await dev.getByRole('button', { name: 'Log in' }).click();
  await dev.getByRole('img', { name: /Commission earned and paid/ }).first().waitFor({ timeout: 60_000 }); // a query, cross-origin
  await dev.goto(`${devOrigin}/app/#/affiliates/${encodeURIComponent(liveAffiliate)}`);
  await dev.getByRole('button', { name: 'Create a self-service token' }).click(); // a mutation
  await dev.getByTestId('affiliate-token').waitFor();
  await dev.waitForTimeout(300); // the subscription's connection_init round trip
  await api(`mutation($p: ID!, $a: ID!, $at: DateTime!) { recordSale(input: {externalId: "dev-1", productId: $p,
    affiliateId: $a, occurredAt: $at}) { __typename } }`, { p: liveProduct, a: liveAffiliate, at: new Date(Date.now() - 2 * 86_400_000).toISOString() });
  await dev.locator('.toast', { hasText: 'a sale was recorded' }).waitFor({ timeout: 15_000 }); // the subscription
  assert.equal(new URL(dev.url()).origin, devOrigin);
});

test('no console error in normal use, and nothing left the machine', () => {
  assert.deepEqual(consoleErrors, []);
  assert.deepEqual(outside, [], 'no request left the machine');
});
