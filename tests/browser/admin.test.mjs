// Administration in a real browser (#18): an owner sets a new organization up through the
// panel's screens alone, from an empty organization to a customer's chat answered by the
// operator they invited; a server refusal lands on the field it names; operators cannot get in.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, createOrganization, launchBrowser, screenshot, signIn, PASSWORD, DOCS } from './harness.mjs';
import { join } from 'node:path';

let server;
let browser;

before(async () => {
  server = await new Server().start();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
});

/** Opens a tab of the Administration page. */
async function adminTab(page, name) {
  await page.getByRole('tablist', { name: 'Administration' }).getByRole('tab', { name }).click();
}

test('an owner sets an organization up from nothing through the Administration screens', async () => {
  const org = await createOrganization(server, 'Set up in the panel');
  const desk = await browser.context.newPage();
  await desk.setViewportSize({ width: 1280, height: 800 });
  await signIn(desk, `${server.url}/widget/?lang=en`, org.ownerEmail);
  await desk.getByRole('button', { name: 'Administration' }).click();

  // A queue.
  await adminTab(desk, 'Queues');
  await desk.getByText('No queues yet: chats need one to wait in.').waitFor();
  await desk.getByRole('button', { name: 'Create a queue' }).click();
  let dialog = desk.getByRole('dialog');
  await dialog.getByLabel('Name').fill('Sales');
  await dialog.getByLabel('After-chat work (seconds)').fill('30');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await dialog.waitFor({ state: 'detached' });
  const sales = desk.locator('op-admin-queues tr', { hasText: 'Sales' });
  await sales.waitFor();
  assert.match(await sales.innerText(), /30 s/);

  // The server is the authority: a name already taken comes back on the field it names, and
  // nothing is created.
  await desk.getByRole('button', { name: 'Create a queue' }).click();
  dialog = desk.getByRole('dialog');
  await dialog.getByLabel('Name').fill('Sales');
  await dialog.getByRole('button', { name: 'Create' }).click();
  const refused = dialog.locator('[name="name"][aria-invalid="true"]');
  await refused.waitFor();
  const message = await dialog.locator('#name-error').innerText();
  assert.match(message, /exists|taken|already/i);
  assert.equal(await refused.getAttribute('aria-describedby'), 'name-error');
  await screenshot(desk, 'admin-queue-refused');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  const { queues } = await server.ok(org.owner, '{ queues(onlyAvailable: false) { id name afterChatWorkSecs } }');
  assert.deepEqual(queues.map((q) => [q.name, q.afterChatWorkSecs]), [['Sales', 30]]);

  // An operator, invited: the link to send is shown.
  await adminTab(desk, 'Operators');
  await desk.getByRole('button', { name: 'Invite an operator' }).click();
  dialog = desk.getByRole('dialog');
  const email = `ewa-${Date.now()}@example.test`;
  await dialog.getByLabel('E-mail').fill(email);
  await dialog.getByLabel('Role').selectOption('OPERATOR');
  await dialog.getByRole('button', { name: 'Invite' }).click();
  const invited = desk.getByRole('dialog', { name: 'Invitation ready' });
  const link = await invited.getByLabel('Invitation link').inputValue();
  assert.match(link, /accept-invitation\?token=/);
  await screenshot(desk, 'admin-invitation');
  await invited.getByRole('button', { name: 'Done' }).click();

  // She signs up from the link.
  const ewa = await browser.context.newPage();
  await ewa.goto(link);
  await ewa.getByLabel('First name').fill('Ewa');
  await ewa.getByLabel('Last name').fill('Zielińska');
  await ewa.getByLabel('Password (at least 8 characters)').fill(PASSWORD);
  await ewa.getByLabel('Password again').fill(PASSWORD);
  await ewa.getByRole('button', { name: 'Create my account' }).click();
  await ewa.getByLabel('My status').waitFor();
  // An operator has no Administration, and the server refuses her its operations too.
  assert.equal(await ewa.getByRole('button', { name: 'Administration' }).count(), 0);
  const hers = await server.signIn(email);
  const forbidden = await server.gql(hers, 'mutation { createQueue(input: { name: "Mine" }) { queue { id } } }');
  assert.equal(forbidden.errors?.[0]?.extensions?.code, 'FORBIDDEN');

  // The owner puts her in the queue, with a higher limit.
  await desk.bringToFront();
  await adminTab(desk, 'Operators');
  const row = desk.locator('op-admin-operators tr', { hasText: 'Ewa Zielińska' });
  await row.getByRole('button', { name: 'Edit: Ewa Zielińska' }).click();
  dialog = desk.getByRole('dialog');
  await dialog.getByLabel('Chats at once').fill('4');
  await dialog.getByRole('checkbox', { name: 'Sales' }).check();
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'detached' });
  await row.filter({ hasText: 'Sales' }).waitFor();
  assert.match(await row.innerText(), /\b4\b/);
  await screenshot(desk, 'admin-operators');
  await desk.screenshot({ path: join(DOCS, 'admin-operators.png') });

  // A quick reply, its parameters previewed with the values they take.
  await adminTab(desk, 'Quick replies');
  await desk.getByRole('button', { name: 'Add a quick reply' }).click();
  dialog = desk.getByRole('dialog');
  await dialog.getByLabel('Name').fill('Welcome');
  await dialog.getByLabel('Text').fill('Hello, <customer_name>! <operator_name> here.');
  await dialog.locator('.reply-preview', { hasText: 'Hello, Jan Kowalski! ' }).waitFor();
  await screenshot(desk, 'admin-quick-reply');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await desk.locator('op-admin-replies tr', { hasText: 'Welcome' }).waitFor();

  // A wrap-up reason, in the lists.
  await adminTab(desk, 'Lists');
  const reasons = desk.getByRole('region', { name: 'Wrap-up reasons' });
  await reasons.getByLabel('New entry in Wrap-up reasons').fill('Order explained');
  await reasons.getByRole('button', { name: 'Add' }).click();
  await reasons.getByText('Order explained').waitFor();
  await screenshot(desk, 'admin-lists');

  // A web chat channel to the queue: its page's address and the code to embed it.
  await adminTab(desk, 'Channels');
  await desk.getByRole('button', { name: 'Connect a channel' }).click();
  dialog = desk.getByRole('dialog');
  await dialog.getByLabel('Kind').selectOption('WEBCHAT');
  await dialog.getByLabel('Name').fill('Website');
  await dialog.getByLabel('New conversations go to').selectOption({ label: 'Sales' });
  await dialog.getByRole('button', { name: 'Create' }).click();
  const created = desk.getByRole('dialog', { name: 'The channel “Website” is connected' });
  const page = await created.getByLabel('Web chat page').inputValue();
  assert.match(page, new RegExp(`^${server.url}/webchat/[0-9a-f-]{36}$`));
  assert.match(await created.getByLabel('Embed code').inputValue(), /^<iframe src="http/);
  await screenshot(desk, 'admin-channel-created');
  await created.getByRole('button', { name: 'Done' }).click();
  await desk.locator('op-admin-channels tr', { hasText: 'Website' }).waitFor();
  await desk.screenshot({ path: join(DOCS, 'admin-channels.png') });

  // A customer writes on the website; the chat is routed to Ewa, who answers with the reply.
  await ewa.bringToFront();
  await ewa.getByLabel('My status').selectOption('READY');
  await ewa.locator('op-status .dot.status-ready').waitFor();
  await ewa.locator('.connection[data-state="online"]').waitFor();
  const customer = await browser.context.newPage();
  await customer.goto(page);
  await customer.getByPlaceholder('Your name (optional)').fill('Jan');
  await customer.getByRole('button', { name: 'Start chat' }).click();
  await customer.getByPlaceholder('Type a message and press Enter').fill('Do you deliver to Gdańsk?');
  await customer.keyboard.press('Enter');
  await ewa.bringToFront();
  const invitation = ewa.locator('article.card', { hasText: 'Gdańsk' });
  await invitation.getByRole('button', { name: 'Accept' }).click();
  await ewa.getByRole('button', { name: 'Quick replies' }).click();
  await ewa.getByLabel('Search quick replies').fill('Welc');
  await ewa.getByRole('option', { name: /Welcome/ }).click();
  const composer = ewa.getByLabel('Message', { exact: true });
  assert.equal(await composer.inputValue(), 'Hello, Jan! Ewa here.');
  await composer.press('Enter');
  await customer.bringToFront();
  await customer.locator('.msg.OPERATOR', { hasText: 'Hello, Jan! Ewa here.' }).waitFor();
  await customer.close();
  await ewa.close();
  await desk.close();
});

test('no page raised a script error along the way', () => {
  assert.deepEqual(browser.context.pageErrors, []);
});
