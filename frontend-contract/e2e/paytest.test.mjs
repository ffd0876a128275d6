// The pay run in a real browser (Debian's chromium driven by playwright-core) against a real demo
// server on a fresh SQLite database: filter Due, tick all, export PREFERRED, download each file,
// mark as paid, see the affiliates leave the Due filter; the live toast when a held installment
// matures; void a payout; the affiliate's self-service page; GraphiQL offline. Every request to a
// host other than the server is refused by a route handler, so nothing may come from the internet.
// Screenshots go to $SCREENSHOTS (docs/screenshots with `npm run screenshots`), else a temp folder.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PYTHON = process.env.PAYOUTS_PYTHON ?? join(ROOT, '.venv/bin/python');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];
const TOKEN = `e2e-admin-${randomBytes(16).toString('hex')}`;
const work = mkdtempSync(join(tmpdir(), 'paytest-'));
const shots = resolve(process.env.SCREENSHOTS ?? join(work, 'screenshots'));
mkdirSync(shots, { recursive: true });

let server, base, devOrigin, devServer, browser, context, page;
let toastProduct, toastAffiliate; // made by the toast test, used again by GraphiQL's subscription
const outside = [];

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

const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`) });

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  devOrigin = `http://localhost:${await freePort()}`;
  let log = '';
  server = spawn(PYTHON, ['-m', 'server', 'serve', '--demo', '--port', String(port)], {
    cwd: work,
    env: { ...process.env, PAYOUTS_DATABASE_URL: `sqlite://${join(work, 'demo.sqlite3')}`, PAYOUTS_ADMIN_TOKEN: TOKEN,
      PAYOUTS_CORS_ORIGINS: devOrigin, PYTHONPATH: ROOT },
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
  context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1360, height: 860 } });
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (['127.0.0.1', 'localhost'].includes(url.hostname) || ['data:', 'blob:'].includes(url.protocol)) return route.continue();
    outside.push(url.href);
    return route.abort('blockedbyclient');
  });
  page = await context.newPage();
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

const settled = () => page.locator('section[data-loading=false]').waitFor();

async function filterStatus(value) {
  await page.selectOption('select[name=paymentStatus]', value);
  await page.waitForLoadState('networkidle');
  await settled();
}

const counter = () => page.getByTestId('count').textContent();

test('the merchant logs in once and runs the pay run', async () => {
  await page.goto(`${base}/app`);
  await page.fill('input[name=token]', TOKEN);
  await shot('login');
  await page.click('button[type=submit]');
  await page.waitForSelector('table.grid tbody tr');

  await filterStatus('DUE_INCOMPLETE');
  const badge = page.locator('tbody .badge.due_incomplete').first();
  await badge.hover();
  const tip = badge.getByRole('tooltip');
  await tip.waitFor();
  assert.ok((await tip.textContent()).length > 10, 'Due but incomplete shows its reasons on hover');
  await shot('due-incomplete');

  await filterStatus('DUE');
  const due = (await api('{ affiliates(filter: {paymentStatus: [DUE]}) { totalCount } }')).affiliates.totalCount;
  assert.ok(due > 20, `the demo has affiliates due (${due})`);
  while (await page.getByRole('button', { name: 'Load more' }).isVisible()) {
    await page.getByRole('button', { name: 'Load more' }).click();
    await settled();
  }
  await page.getByLabel('Tick all').check();
  assert.match(await counter(), new RegExp(`^${due} of ${due} shown · ${due} ticked`));
  await shot('affiliates-due');

  await page.getByRole('button', { name: 'Export payment details' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByTestId('scope-summary').waitFor();
  await dialog.locator('input[value=PREFERRED]').check();
  await dialog.locator('[data-testid=scope-summary] tbody tr').first().waitFor();
  const previewed = {};
  for (const row of await dialog.locator('[data-testid=scope-summary] tbody tr').all()) {
    previewed[await row.getAttribute('data-method')] = (await row.locator('td.preferred').textContent()).split(' · ')[1];
  }
  await shot('export-dialog');
  await dialog.getByRole('button', { name: 'Export', exact: true }).click();
  const groups = dialog.getByTestId('export-groups');
  await groups.waitFor();
  for (const row of await groups.locator('tbody tr').all()) {
    const method = await row.getAttribute('data-method');
    assert.equal(await row.locator('td').nth(2).textContent(), previewed[method], `${method}: the summary said what the export holds`);
  }
  const files = groups.locator('a.file');
  assert.ok((await files.count()) >= 3, 'a file per payment type and currency');
  let affiliates = 0;
  for (const cell of await groups.locator('tbody tr td:nth-child(2)').allTextContents()) affiliates += Number(cell);
  for (let i = 0; i < (await files.count()); i++) {
    const [download] = await Promise.all([page.waitForEvent('download'), files.nth(i).click()]);
    const csv = readFileSync(await download.path(), 'utf8');
    const expected = Number(/· (\d+) rows/.exec(await files.nth(i).textContent())[1]);
    const lines = csv.trim().split(/\r?\n/).filter((l) => /PD-\d+-\d+/.test(l));
    assert.equal(lines.length, expected, `${download.suggestedFilename()} holds its ${expected} rows`);
  }
  await shot('export-files');
  const marks = groups.getByRole('button', { name: 'Mark as paid' });
  const groupCount = await groups.locator('tbody tr').count();
  for (let i = 0; i < groupCount; i++) {
    await marks.first().click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=export-groups] .badge.due').length >= n, i + 1);
  }
  await shot('export-paid');
  const skipped = (await dialog.locator('details summary').count()) ? Number(/\d+/.exec(await dialog.locator('details summary').textContent())[0]) : 0;
  assert.equal(affiliates + skipped, due, 'every ticked affiliate is in a file or skipped with a reason');
  await dialog.getByRole('button', { name: 'Done' }).click();
  await page.waitForLoadState('networkidle');
  await settled();
  assert.match(await counter(), new RegExp(`^${skipped} of ${skipped} shown`), 'the paid affiliates left the Due filter');
  await shot('after-pay-run');
});

test('a toast appears when a held installment matures', async () => {
  const product = await api(`mutation { createProduct(input: {name: "Quick release", price: {amount: "100.00", currency: "USD"},
    commissionFlat: {amount: "60.00", currency: "USD"}, milestones: [{percent: "100", delayDays: 1}]}) {
    ... on CreateProductSuccess { product { id } } } }`);
  const productId = product.createProduct.product.id;
  const created = await api(`mutation { createAffiliate(input: {name: "Toast Tester", email: "toast@example.com",
    approvalStatus: APPROVED}) { ... on CreateAffiliateSuccess { affiliate { id } } } }`);
  const affiliateId = created.createAffiliate.affiliate.id;
  await api(`mutation($id: ID!) { updatePaymentDetails(input: {affiliateId: $id, paypalEmail: "toast@example.com"}) { __typename } }`, { id: affiliateId });
  const day = 24 * 3600 * 1000;
  [toastProduct, toastAffiliate] = [productId, affiliateId];
  const sale = (n, occurredAt) => api(`mutation($p: ID!, $a: ID!, $at: DateTime!) { recordSale(input: {externalId: "toast-${n}",
    productId: $p, affiliateId: $a, occurredAt: $at}) { __typename } }`, { p: productId, a: affiliateId, at: new Date(occurredAt).toISOString() });
  await sale(1, Date.now() - 2 * day);
  await page.goto(`${base}/app#/affiliates`);
  await page.reload();
  await page.waitForSelector('table.grid tbody tr');
  await page.waitForTimeout(300); // the subscription's connection_init round trip
  await sale(2, Date.now() - day + 2500); // its only installment is released 2.5 s from now
  const toast = page.locator('.toast', { hasText: 'a held installment matured' });
  await toast.waitFor({ timeout: 15_000 });
  assert.match(await toast.textContent(), /Toast Tester.*60\.00 USD/);
  await shot('toast');
});

test('the merchant voids a payout and hands out a self-service token; the affiliate updates its details', async () => {
  await page.goto(`${base}/app#/settings`);
  await page.getByRole('heading', { name: 'Program settings' }).waitFor();
  await page.locator('table.grid tbody tr').first().waitFor();
  await shot('program-settings');

  const paid = await api(`{ paymentExports(first: 1) { edges { node { groups { method } } } } }`);
  assert.ok(paid.paymentExports.edges.length);
  const { affiliates } = await api(`{ affiliates(filter: {approvalStatus: [APPROVED]}, sort: NAME, first: 100) { edges { node { id name
    payouts(first: 1) { edges { node { id status instant } } } } } } }`);
  const target = affiliates.edges.map((e) => e.node)
    .find((a) => a.payouts.edges[0]?.node.status === 'PAID' && !a.payouts.edges[0].node.instant);
  await page.goto(`${base}/app#/affiliates/${encodeURIComponent(target.id)}`);
  const row = page.locator(`tr[data-payout="${target.payouts.edges[0].node.id}"]`);
  await row.getByRole('button', { name: 'Void' }).click();
  await row.getByLabel('Reason').fill('paid to the wrong account');
  await row.getByRole('button', { name: 'Confirm void' }).click();
  await row.getByText('voided').waitFor();

  await page.getByRole('button', { name: 'Create a self-service token' }).click();
  const affiliateToken = (await page.getByTestId('affiliate-token').textContent()).trim();
  await shot('affiliate-detail');

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.fill('input[name=token]', affiliateToken);
  await page.click('button[type=submit]');
  await page.getByRole('heading', { name: `Hello, ${target.name}` }).waitFor();
  await page.fill('input[name=paypalEmail]', 'new.address@example.com');
  await page.selectOption('select[name=preferred]', 'PAYPAL');
  await page.getByRole('button', { name: 'Save payment details' }).click();
  await page.getByText('Payment details saved.').waitFor();
  assert.match(await page.getByTestId('methods').textContent(), /PayPal: .*\(preferred\)/);
  await shot('self-service');
  const me = await api('{ me { paymentMethods { type preferred } } }', {}, affiliateToken);
  assert.deepEqual(me.me.paymentMethods.find((m) => m.preferred).type, 'PAYPAL');
});

test('GraphiQL renders, runs a query and a subscription with the internet blocked', async () => {
  const graphiql = await context.newPage();
  const errors = [];
  graphiql.on('pageerror', (e) => errors.push(String(e)));
  await graphiql.goto(`${base}/graphql`);
  await graphiql.fill('input[name=token]', TOKEN);
  await graphiql.click('button[type=submit]');
  await graphiql.locator('.graphiql-container').waitFor();
  await graphiql.locator('.graphiql-query-editor', { hasText: 'AffiliatesDue' }).waitFor();
  await graphiql.locator('.graphiql-execute-button').click();
  await graphiql.locator('.result-window', { hasText: 'totalCount' }).waitFor({ timeout: 30_000 })
    .catch(async (e) => { await graphiql.screenshot({ path: join(shots, 'graphiql-failure.png') }); throw e; });
  assert.equal(await graphiql.getByText('Error fetching schema').count(), 0);
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
    affiliateId: $a, occurredAt: $at}) { __typename } }`, { p: toastProduct, a: toastAffiliate, at: new Date(Date.now() - 2 * 86_400_000).toISOString() });
  await graphiql.locator('.result-window', { hasText: 'SALE_RECORDED' }).waitFor({ timeout: 15_000 })
    .catch(async (e) => { await graphiql.screenshot({ path: join(shots, 'graphiql-failure.png') }); throw e; });
  page = graphiql;
  await shot('graphiql');
  assert.deepEqual(errors, []);
  assert.deepEqual(outside, [], 'no request left the machine');
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
  await dev.fill('input[name=token]', TOKEN);
  await dev.click('button[type=submit]');
  await dev.locator('table.grid tbody tr').first().waitFor({ timeout: 60_000 }); // a query, cross-origin
  await dev.goto(`${devOrigin}/app/#/affiliates/${encodeURIComponent(toastAffiliate)}`);
  await dev.getByRole('button', { name: 'Create a self-service token' }).click(); // a mutation
  await dev.getByTestId('affiliate-token').waitFor();
  await dev.waitForTimeout(300); // the subscription's connection_init round trip
  await api(`mutation($p: ID!, $a: ID!, $at: DateTime!) { recordSale(input: {externalId: "dev-1", productId: $p,
    affiliateId: $a, occurredAt: $at}) { __typename } }`, { p: toastProduct, a: toastAffiliate, at: new Date(Date.now() - 2 * 86_400_000).toISOString() });
  await dev.locator('.toast', { hasText: 'a sale was recorded' }).waitFor({ timeout: 15_000 }); // the subscription
  assert.equal(new URL(dev.url()).origin, devOrigin);
});
