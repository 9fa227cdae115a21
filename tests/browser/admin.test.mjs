// Administration in a real browser (#18): an owner sets a new organization up through the
// panel's screens alone, from an empty organization to a customer's chat answered by the
// operator they invited; a server refusal lands on the field it names; operators cannot get in.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Server, createOrganization, launchBrowser, screenshot, signIn, startReceiver, until, PASSWORD, DOCS } from './harness.mjs';

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
  const message = await dialog.locator(`#${await refused.getAttribute('aria-describedby')}`).innerText();
  assert.match(message, /already exists/);
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
  // At the CTI panel's width a row reads as a card, each value under its heading.
  await desk.setViewportSize({ width: 360, height: 720 });
  assert.equal(await row.locator('td[data-label="Chats at once"]').innerText(), '4');
  const fits = await desk.locator('.page').evaluate((page) => page.scrollWidth <= page.clientWidth);
  assert.ok(fits, 'nothing overflows sideways');
  await screenshot(desk, 'admin-operators-narrow');
  await desk.setViewportSize({ width: 1280, height: 800 });

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
  // Chats on it close after a quarter of an hour without messages.
  await desk.getByRole('button', { name: 'Edit: Website' }).click();
  dialog = desk.getByRole('dialog');
  await dialog.getByLabel('Close after silence (minutes)').fill('15');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'detached' });
  const { channels } = await server.ok(org.owner, '{ channels { name autoCloseAfterSecs } }');
  assert.deepEqual(channels, [{ name: 'Website', autoCloseAfterSecs: 900 }]);
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

  // Ewa leaves: deactivated, told first what that does; her session stops working at once.
  await desk.bringToFront();
  await adminTab(desk, 'Operators');
  await desk.getByRole('button', { name: 'Deactivate: Ewa Zielińska' }).click();
  const confirm = desk.getByRole('dialog', { name: 'Deactivate Ewa Zielińska?' });
  await confirm.getByText('Chats they hold go back to their queues', { exact: false }).waitFor();
  await confirm.getByRole('button', { name: 'Deactivate' }).click();
  await desk.locator('op-admin-operators tr', { hasText: 'Ewa Zielińska' }).waitFor({ state: 'detached' });
  const after = await server.gql(hers, '{ me { id } }');
  assert.equal(after.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  // There is no Deactivate for oneself.
  assert.equal(await desk.getByRole('button', { name: /^Deactivate: Owner/ }).count(), 0);
  await desk.close();
});

test('settings, the CRM, API keys and webhooks are kept from the panel, refusals on their fields', async () => {
  const org = await createOrganization(server, 'Integrations');
  const desk = await browser.context.newPage();
  await signIn(desk, `${server.url}/widget/?lang=en`, org.ownerEmail);
  await desk.getByRole('button', { name: 'Administration' }).click();

  // Settings: red must come after yellow; the server says so on the field.
  await adminTab(desk, 'Settings');
  await desk.getByLabel('Red after (seconds of waiting)').fill('100');
  await desk.getByRole('button', { name: 'Save' }).click();
  const red = desk.locator('[name="redAfterSecs"][aria-invalid="true"]');
  await red.waitFor();
  await screenshot(desk, 'admin-settings-refused');
  await desk.getByLabel('Yellow after (seconds of waiting)').fill('60');
  await desk.getByLabel('Red after (seconds of waiting)').fill('120');
  await desk.getByLabel('Mask card numbers, IBANs, e-mails and phones for operators').check();
  await desk.getByRole('button', { name: 'Save' }).click();
  await desk.getByText('Saved.').first().waitFor();
  let { settings } = await server.ok(org.owner, '{ settings { yellowAfterSecs redAfterSecs maskingEnabled frameAncestors iframeUrlTemplate } }');
  assert.deepEqual([settings.yellowAfterSecs, settings.redAfterSecs, settings.maskingEnabled], [60, 120, true]);

  // The CRM: the built-in one answers the test; the panel's place in the CRM, the slot previewed.
  await adminTab(desk, 'CRM');
  await desk.getByRole('button', { name: 'Test the connection' }).click();
  await desk.getByText('Connected: the CRM answered, and has no contacts yet.').waitFor();
  await desk.getByLabel('CRM addresses that may frame the panel').fill('https://crm.example.com');
  await desk.getByLabel('Integration slot').fill('https://crm.example.com/slot?chat={chatId}');
  await desk.locator('.slot-preview code', { hasText: 'https://crm.example.com/slot?chat=3f2c9a4e-' }).waitFor();
  await screenshot(desk, 'admin-crm');
  await desk.locator('form.settings-form:not(.crm-connection)').getByRole('button', { name: 'Save' }).click();
  await until('the settings saved', async () => {
    ({ settings } = await server.ok(org.owner, '{ settings { frameAncestors iframeUrlTemplate } }'));
    return settings.frameAncestors[0] === 'https://crm.example.com';
  });
  assert.equal(settings.iframeUrlTemplate, 'https://crm.example.com/slot?chat={chatId}');

  // An API key for the chatbot, shown once; it works.
  await adminTab(desk, 'API keys');
  await desk.getByRole('button', { name: 'Create an API key' }).click();
  let dialog = desk.getByRole('dialog');
  await dialog.getByLabel('Name').fill('Chatbot');
  await dialog.getByLabel('Scope').selectOption('CHATBOT');
  await dialog.getByRole('button', { name: 'Create' }).click();
  const shown = desk.getByRole('dialog', { name: 'The key “Chatbot” is created' });
  const key = await shown.getByLabel('API key').inputValue();
  await shown.getByRole('button', { name: 'Done' }).click();
  const row = desk.locator('op-admin-keys tr', { hasText: 'Chatbot' });
  await row.waitFor();
  assert.match(await row.innerText(), new RegExp(key.slice(0, 8)));

  // A webhook to a receiver that first refuses, then takes what it is sent.
  const hook = await startReceiver();
  hook.status = 500;
  try {
    await adminTab(desk, 'Webhooks');
    await desk.getByRole('button', { name: 'Add a webhook' }).click();
    dialog = desk.getByRole('dialog');
    await dialog.getByLabel('Address').fill(`${hook.url}/omnipanel`);
    for (const event of ['Chat accepted', 'Chat transferred', 'Chat closed', 'Chat rated']) await dialog.getByRole('checkbox', { name: event }).uncheck();
    await dialog.getByRole('button', { name: 'Create' }).click();
    const secret = await desk.getByRole('dialog', { name: 'Webhook added' }).getByLabel('Signing secret').inputValue();
    assert.ok(secret.length >= 32);
    await desk.getByRole('dialog', { name: 'Webhook added' }).getByRole('button', { name: 'Done' }).click();

    // The chatbot hands a chat over with the new key: CHAT_CREATED goes out, refused at first.
    const { createQueue } = await server.ok(org.owner, 'mutation { createQueue(input: { name: "Support" }) { queue { id } } }');
    await server.ok(key, 'mutation($q: ID!) { handOffChat(input: { queueId: $q, source: TELEGRAM, customer: { phone: "+48500100100" }, transcript: [{ authorKind: CUSTOMER, text: "Hi" }] }) { chat { id } } }', {
      q: createQueue.queue.id,
    });
    await until('the first attempt', () => hook.received.length >= 1);
    assert.equal(hook.received[0].body.event, 'CHAT_CREATED');
    assert.match(hook.received[0].headers['x-omnipanel-signature'], /^sha256=[0-9a-f]{64}$/);
    const webhookRow = desk.locator('op-admin-webhooks tr', { hasText: '/omnipanel' });
    await webhookRow.getByRole('button', { name: /^Deliveries/ }).click();
    await desk.locator('.delivery-log td', { hasText: 'HTTP 500' }).waitFor();
    // Taken on the next attempt, once the receiver is back and the retry is due.
    hook.status = 200;
    await server.advance(org.owner, 120);
    await until('the second attempt', () => hook.received.length >= 2);
    await until('the delivery recorded', async () => {
      const { webhookDeliveries } = await server.ok(org.owner, '{ webhookDeliveries(first: 1) { nodes { state } } }');
      return webhookDeliveries.nodes[0]?.state !== 'PENDING';
    });
    await webhookRow.getByRole('button', { name: /^Deliveries/ }).click();
    await desk.locator('.delivery-log td', { hasText: /^(sent|delivered)$/ }).waitFor();
    await screenshot(desk, 'admin-webhooks');
  } finally {
    hook.close();
  }

  // Revoking the key refuses it at once.
  await adminTab(desk, 'API keys');
  await desk.locator('op-admin-keys tr', { hasText: 'Chatbot' }).getByRole('button', { name: 'Revoke: Chatbot' }).click();
  await desk.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
  await desk.locator('op-admin-keys tr', { hasText: 'Revoked' }).waitFor();
  await screenshot(desk, 'admin-keys');
  const refused = await server.gql(key, '{ serverTime }');
  assert.equal(refused.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  await desk.close();
});

test('no page raised a script error along the way', () => {
  assert.deepEqual(browser.context.pageErrors, []);
});
