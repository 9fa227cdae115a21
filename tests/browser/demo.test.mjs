// The README's "what to try first", done as a newcomer would: `omnipanel serve --demo`, the
// customer's web chat page in one tab, the demo operator's panel (framed by a CRM) in another.
// It also takes the README's picture of the panel in a CRM frame.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Server, launchBrowser, screenshot, DOCS } from './harness.mjs';

const DEMO_PASSWORD = 'omnipanel-demo';

let server;
let browser;
let crm;

/** The address the demo printed after `label`. */
function printed(label) {
  const line = server.printed.split('\n').find((l) => l.trimStart().startsWith(label));
  assert.ok(line, `the demo printed no "${label}" line:\n${server.printed}`);
  return line.trim().split(/\s+/).pop();
}

/** A CRM's contact record with the panel framed beside it, as an integrator embeds it. */
async function crmRecordPage() {
  const page = createServer((request, response) => {
    const panel = new URL(request.url, 'http://crm').searchParams.get('panel') ?? 'about:blank';
    response.setHeader('content-type', 'text/html; charset=utf-8');
    response.end(`<!doctype html><meta charset="utf-8"><title>CRM · Jan Kowalski</title>
<style>
  body { margin: 0; font: 14px/1.4 system-ui, sans-serif; display: grid; grid-template: 48px 1fr / 1fr 440px; height: 100vh; background: #eef1f5; color: #1b1f24; }
  header { grid-column: 1 / 3; background: #253858; color: #fff; display: flex; align-items: center; padding: 0 16px; font-weight: 600; gap: 24px; }
  header span { opacity: .7; font-weight: 400; }
  main { padding: 24px; }
  .card { background: #fff; border-radius: 8px; padding: 16px 20px; box-shadow: 0 1px 2px #0002; max-width: 560px; }
  dl { display: grid; grid-template-columns: 140px 1fr; gap: 8px; margin: 0; }
  dt { color: #5f6b7a; }
  iframe { border: 0; border-left: 1px solid #c3c9d1; width: 440px; height: 100%; background: #fff; }
</style>
<header>CRM <span>Contacts</span><span>Accounts</span><span>Cases</span></header>
<main><div class="card"><h2>Jan Kowalski</h2><dl>
  <dt>Account</dt><dd>Kowalski Trade sp. z o.o.</dd>
  <dt>Mobile phone</dt><dd>+48 600 100 200</dd>
  <dt>E-mail</dt><dd>jan.kowalski@example.com</dd>
  <dt>Owner</dt><dd>Anna Kowalska</dd>
</dl></div></main>
<iframe id="panel" src="${panel.replaceAll('"', '&quot;')}" title="Omnipanel"></iframe>`);
  });
  page.listen(0, '127.0.0.1');
  await once(page, 'listening');
  return { origin: `http://127.0.0.1:${page.address().port}`, close: () => page.close() };
}

before(async () => {
  server = await new Server({ demo: true }).start();
  crm = await crmRecordPage();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  crm?.close();
  await server?.dispose();
});

test('the demo prints its accounts and pages, and holds a few days of closed history', async () => {
  assert.match(server.printed, /Demo organization .* \(created\)/);
  assert.match(server.printed, /anna@demo\.omnipanel\.test\s+OPERATOR/);
  assert.equal(printed('GraphiQL'), `${server.url}/graphql`);
  assert.match(printed('the operator panel'), new RegExp(`^${server.url}/widget/\\?organization=[0-9a-f-]{36}$`));
  assert.match(printed("a customer's chat"), new RegExp(`^${server.url}/webchat/[0-9a-f-]{36}$`));

  const owner = await server.signIn('owner@demo.omnipanel.test', DEMO_PASSWORD);
  const { chats } = await server.ok(owner, '{ chats(first: 100, filter: { status: COMPLETED }) { edges { node { rating operator { firstName } topic { name } wrapUpReason { name } createdAt } } } }');
  const closed = chats.edges.map((e) => e.node);
  assert.ok(closed.length >= 50, `${closed.length} closed chats`);
  assert.ok(new Set(closed.map((c) => c.operator.firstName)).size >= 3, 'several operators took chats');
  assert.ok(new Set(closed.map((c) => c.topic.name)).size >= 3, 'chats on several topics');
  assert.ok(new Set(closed.map((c) => c.wrapUpReason.name)).size >= 3, 'several wrap-up reasons');
  assert.ok(closed.some((c) => c.rating >= 4) && closed.some((c) => c.rating !== null && c.rating <= 2), 'good and bad ratings');
  assert.ok(new Set(closed.map((c) => c.createdAt.slice(0, 10))).size >= 3, 'over several days');
});

test('a customer on the web chat page talks to the demo operator in the CRM-framed panel', async () => {
  const owner = await server.signIn('owner@demo.omnipanel.test', DEMO_PASSWORD);
  // The administrator lets the CRM frame the panel.
  await server.ok(owner, 'mutation($o: [String!]!) { updateSettings(input: { frameAncestors: $o }) { settings { frameAncestors } } }', { o: [crm.origin] });

  // The operator signs in inside the CRM and goes READY.
  const desk = await browser.context.newPage();
  await desk.setViewportSize({ width: 1280, height: 760 });
  await desk.goto(`${crm.origin}/?panel=${encodeURIComponent(`${printed('the operator panel')}&lang=en`)}`);
  const panel = desk.frameLocator('#panel');
  await panel.getByLabel('E-mail').fill('anna@demo.omnipanel.test');
  await panel.getByLabel('Password').fill(DEMO_PASSWORD);
  await panel.getByRole('button', { name: 'Sign in', exact: true }).click();
  await panel.getByLabel('My status').selectOption('READY');
  await panel.locator('op-status .dot.status-ready').waitFor();
  await panel.locator('.connection[data-state="online"]').waitFor();

  // The customer opens the web chat page and writes.
  const customer = await browser.context.newPage();
  await customer.bringToFront();
  await customer.goto(printed("a customer's chat"));
  await customer.getByPlaceholder('Your name (optional)').fill('Jan Kowalski');
  await customer.getByRole('button', { name: 'Start chat' }).click();
  await customer.getByPlaceholder('Type a message and press Enter').fill('Hello! Is my order 51877 on its way?');
  await customer.keyboard.press('Enter');
  await customer.locator('.msg.CUSTOMER', { hasText: 'order 51877' }).waitFor();

  // The invitation reaches the operator, who accepts and answers.
  await desk.bringToFront();
  const invitation = panel.locator('article.card', { hasText: 'order 51877' });
  await invitation.getByRole('button', { name: 'Accept' }).click();
  await panel.locator('op-conversation .msg', { hasText: 'order 51877' }).waitFor();
  const composer = panel.getByLabel('Message', { exact: true });
  await composer.fill('Good morning, Jan! Yes: it left our warehouse today and arrives tomorrow.');
  await composer.press('Enter');
  await panel.locator('op-conversation .msg[data-author-kind="OPERATOR"]', { hasText: 'arrives tomorrow' }).waitFor();

  // The customer sees the answer, signed with the operator's first name only.
  await customer.bringToFront();
  const answer = customer.locator('.msg.OPERATOR', { hasText: 'arrives tomorrow' });
  await answer.waitFor();
  assert.equal(await answer.locator('.who').innerText(), 'Anna');
  await customer.getByPlaceholder('Type a message and press Enter').fill('Wonderful, thank you!');
  await customer.keyboard.press('Enter');

  await desk.bringToFront();
  await panel.locator('op-conversation .msg', { hasText: 'Wonderful, thank you!' }).waitFor();
  await screenshot(desk, 'demo-in-a-crm');
  mkdirSync(DOCS, { recursive: true });
  await desk.screenshot({ path: join(DOCS, 'panel-in-a-crm.png') });

  // The operator closes with a wrap-up reason; the customer is asked for a rating and gives it.
  await panel.getByRole('toolbar', { name: 'Chat actions' }).getByRole('button', { name: 'Close' }).click();
  const closing = panel.getByRole('dialog');
  await closing.getByLabel('Wrap-up reason').selectOption({ label: 'Question answered' });
  await closing.getByRole('button', { name: 'Close' }).click();
  await closing.waitFor({ state: 'detached' });

  await customer.bringToFront();
  await customer.getByText('This conversation has ended. How did we do?').waitFor();
  await customer.getByRole('button', { name: '5 of 5' }).click();
  await customer.getByText('Thank you for your rating!').waitFor();
  await screenshot(customer, 'demo-webchat-rated');

  const { chats } = await server.ok(owner, '{ chats(first: 1) { edges { node { status rating source operator { firstName } wrapUpReason { name } } } } }');
  assert.deepEqual(chats.edges[0].node, {
    status: 'COMPLETED',
    rating: 5,
    source: 'WEBCHAT',
    operator: { firstName: 'Anna' },
    wrapUpReason: { name: 'Question answered' },
  });
  assert.deepEqual(browser.context.pageErrors, []);
});
