// The operator panel in a real browser against a real server: run with `npm test` here after
// `cargo build -p omnipanel-api` (the README's test command does both).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Server,
  setUpOrganization,
  handOff,
  customerSays,
  crmPage,
  startIdentityService,
  launchBrowser,
  screenshot,
  signIn,
  startReceiver,
  until,
  PASSWORD,
  DOCS,
} from './harness.mjs';

import * as operations from '../../iframe-widget/js/operations.js';

/** A 1×1 PNG. */
const PIXEL = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

let server;
let org;
let browser;
let allowedCrm;
let otherCrm;
let anna;
let boris;

before(async () => {
  server = await new Server().start();
  allowedCrm = await crmPage('about:blank');
  otherCrm = await crmPage('about:blank');
  org = await setUpOrganization(server, { hostOrigins: [allowedCrm.origin] });
  browser = await launchBrowser();
  anna = await browser.context.newPage();
  boris = await browser.context.newPage();
});

after(async () => {
  await browser?.close();
  allowedCrm?.close();
  otherCrm?.close();
  await server?.dispose();
});

/** The card of a chat in the panel's lists. */
const card = (page, chatId) => page.locator(`article.card[data-chat-id="${chatId}"]`);

/** A new operator who accepted an invitation (through GraphQL): e-mail, id and session. */
async function invitedOperator(firstName, role = 'OPERATOR') {
  const email = `${firstName.toLowerCase()}-${Date.now()}@example.test`;
  const { inviteOperator } = await server.ok(org.owner, 'mutation($e: String!, $r: Role!) { inviteOperator(input: { email: $e, role: $r }) { invitationToken } }', { e: email, r: role });
  const { acceptInvitation } = await server.ok(
    null,
    'mutation($t: String!, $p: String!, $f: String!) { acceptInvitation(input: { token: $t, password: $p, firstName: $f, lastName: "Tester" }) { token operator { id } } }',
    { t: inviteOperator.invitationToken, p: PASSWORD, f: firstName },
  );
  return { email, id: acceptInvitation.operator.id, token: acceptInvitation.token };
}

/** A new queue with `members`; returns its id. */
async function queueWith(name, members) {
  const { createQueue } = await server.ok(org.owner, 'mutation($n: String!) { createQueue(input: { name: $n }) { queue { id } } }', { n: name });
  await server.ok(org.owner, 'mutation($q: ID!, $o: [ID!]!) { setQueueMembers(input: { queueId: $q, operatorIds: $o }) { queue { id } } }', {
    q: createQueue.queue.id,
    o: members.map((m) => m.id),
  });
  return createQueue.queue.id;
}

/** The chatbot hands a conversation to `queueId`; returns the chat. */
async function handOffTo(queueId, phone, text) {
  const { handOffChat } = await server.ok(
    org.chatbot,
    'mutation($q: ID!, $p: String!, $t: String!) { handOffChat(input: { queueId: $q, source: TELEGRAM, customer: { phone: $p }, transcript: [{ authorKind: CUSTOMER, text: $t }] }) { chat { id status } } }',
    { q: queueId, p: phone, t: text },
  );
  return handOffChat.chat;
}
/** A message bubble of the open conversation holding `text`. */
const bubble = (page, text) => page.locator('op-conversation .msg').filter({ hasText: text });

/**
 * Puts a page in front: Chromium throttles animation frames in background tabs, and
 * Playwright's checks before a click wait for frames.
 */
async function use(page) {
  await page.bringToFront();
  return page;
}

/** Chooses READY and waits until the server says so and the panel is live. */
async function goReady(page) {
  await page.getByLabel('My status').selectOption('READY');
  await page.locator('op-status .dot.status-ready').waitFor();
  await page.locator('.connection[data-state="online"]').waitFor();
}

test('every operation the panel sends is valid against the served schema', async () => {
  const documents = Object.entries(operations).flatMap(([name, value]) =>
    typeof value === 'string' ? [[name, value]] : Object.entries(value).map(([n, v]) => [`${name}.${n}`, v]),
  );
  assert.ok(documents.length > 30);
  for (const [name, query] of documents) {
    // Anonymous and without variables: the document is validated, then every field stops at
    // its missing variables or at the sign-in check.
    const { errors = [] } = await server.gql(null, query, {});
    // (Subscriptions are validated too before HTTP says it does not carry them.)
    const fine = (e) =>
      e.extensions?.code === 'UNAUTHENTICATED' ||
      /^Variable \w+ is not defined\.$/.test(e.message) ||
      (query.trimStart().startsWith('subscription') && e.message === 'Subscriptions are not supported on this transport.');
    const invalid = errors.filter((e) => !fine(e));
    assert.deepEqual(invalid, [], `${name} is not valid`);
  }
});

test('the panel is framed only by the organization’s CRM and talks to it by postMessage', async () => {
  const page = await browser.context.newPage();
  const panelUrl = `${server.url}/widget/?organization=${org.id}&lang=pl`;

  // The page's own policy names the allowed CRM, and nobody else.
  const response = await page.request.get(panelUrl);
  const policy = response.headers()['content-security-policy'];
  assert.match(policy, new RegExp(`frame-ancestors ${allowedCrm.origin}$`));
  assert.match(policy, /script-src 'self';/);

  // The allowed CRM frames it; the panel speaks Polish, as the CRM asked, and says it is ready.
  await page.goto(allowedCrm.origin);
  await page.evaluate((src) => (document.getElementById('panel').src = src), panelUrl);
  const frame = page.frameLocator('#panel');
  await frame.getByRole('button', { name: 'Zaloguj', exact: true }).waitFor();
  await page.waitForFunction(
    (origin) => window.received.some((m) => m.origin === origin && m.data.source === 'omnipanel' && m.data.type === 'ready'),
    server.url,
  );
  // The CRM may switch the language.
  await page.evaluate((target) => {
    document.getElementById('panel').contentWindow.postMessage({ source: 'crm', type: 'locale', locale: 'ru' }, target);
  }, server.url);
  await frame.getByRole('button', { name: 'Войти', exact: true }).waitFor();
  await screenshot(page, 'framed-by-the-crm');

  // Another origin gets nothing: the browser refuses to render the panel inside it.
  const refused = await browser.context.newPage();
  await refused.goto(otherCrm.origin);
  const loaded = refused.waitForEvent('framenavigated', (f) => f.parentFrame() !== null);
  await refused.evaluate((src) => (document.getElementById('panel').src = src), panelUrl);
  const blocked = await loaded;
  await blocked.waitForLoadState();
  assert.equal(await blocked.locator('op-app').count(), 0, 'the panel must not render in a foreign frame');
  await screenshot(refused, 'refused-by-another-origin');
  await page.close();
  await refused.close();
});

test('an operator receives, answers and transfers a chat; a colleague accepts and closes it', async () => {
  await use(anna);
  await signIn(anna, `${server.url}/widget/`, org.anna.email);
  await goReady(anna);

  // The chatbot hands a conversation over: Anna gets an invitation with a countdown.
  const chat = await handOff(server, org, { phone: '+48 600 100 201' });
  const invitation = card(anna, chat.id);
  await invitation.locator('.countdown [data-until]').waitFor();
  assert.match(await invitation.innerText(), /\+48600100201/);
  await screenshot(anna, 'invitation');
  await invitation.getByRole('button', { name: 'Accept' }).click();
  await bubble(anna, 'Where is my order?').waitFor();
  assert.equal(await bubble(anna, 'Where is my order?').getAttribute('data-author-kind'), 'CUSTOMER');

  // The composer counts, refuses what the server refuses, and sends on Enter.
  const composer = anna.getByLabel('Message', { exact: true });
  const send = anna.locator('op-composer button.send');
  await composer.fill('x'.repeat(1001));
  await anna.locator('.counter.over').waitFor();
  assert.equal(await anna.locator('.counter').innerText(), '1001/1000');
  assert.ok(await send.isDisabled());
  await composer.fill('Use <b> here');
  await anna.getByText('The characters < and > are reserved for templates.').waitFor();
  assert.ok(await send.isDisabled());
  await composer.fill('Let me check that for you 👋');
  await composer.press('Enter');
  const reply = bubble(anna, 'Let me check that for you 👋');
  await reply.waitFor();
  assert.equal(await reply.getAttribute('data-author-kind'), 'OPERATOR');
  await reply.locator('.delivery').waitFor();
  assert.equal(await composer.inputValue(), '');

  // A quick reply, found by name, filled for this chat and edited before sending.
  await anna.getByRole('button', { name: 'Quick replies' }).click();
  await anna.getByLabel('Search quick replies').fill('Gree');
  await anna.getByRole('option', { name: /Greeting/ }).click();
  assert.equal(await composer.inputValue(), 'Hello, Jan Kowalski! I am Anna.');
  await composer.press('End');
  await composer.type(' How can I help?');
  await composer.press('Enter');
  await bubble(anna, 'Hello, Jan Kowalski! I am Anna. How can I help?').waitFor();

  // A picture, previewed before it goes.
  await anna.locator('op-composer input[type="file"]').setInputFiles({ name: 'receipt.png', mimeType: 'image/png', buffer: PIXEL });
  await anna.locator('.attachment-chip img').waitFor();
  await composer.fill('Your receipt');
  await composer.press('Enter');
  await bubble(anna, 'Your receipt').locator('img[alt="receipt.png"]').waitFor();

  // Or dropped on the conversation.
  await anna.evaluate((bytes) => {
    const files = new DataTransfer();
    files.items.add(new File([new Uint8Array(bytes)], 'dropped.png', { type: 'image/png' }));
    const target = document.querySelector('op-conversation .messages');
    for (const type of ['dragover', 'drop']) {
      target.dispatchEvent(new DragEvent(type, { dataTransfer: files, bubbles: true, cancelable: true }));
    }
  }, [...PIXEL]);
  await anna.locator('.attachment-chip img[alt="dropped.png"]').waitFor();
  await composer.press('Enter');
  await bubble(anna, 'dropped.png').locator('img[alt="dropped.png"]').waitFor();

  // The card counts the time since the chat became hers.
  await card(anna, chat.id).locator('.assigned [data-since]').filter({ hasText: /^\d+:\d\d/ }).waitFor();

  // The customer's next message arrives live.
  await customerSays(server, org, chat.id, 'Thanks, it is order A-17');
  await bubble(anna, 'Thanks, it is order A-17').waitFor();
  await screenshot(anna, 'conversation');

  // Boris is on a break: "Only available" leaves him out; without it he is listed greyed out,
  // and cannot be chosen (001: transfers go to colleagues online or ready).
  const borisToken = await server.signIn(org.boris.email);
  await server.ok(borisToken, 'mutation { setMyStatus(input: { status: BREAK }) { operator { status } } }');
  await anna.getByRole('toolbar', { name: 'Chat actions' }).getByRole('button', { name: 'Transfer' }).click();
  const early = anna.getByRole('dialog');
  await early.getByLabel('Support').waitFor();
  assert.equal(await early.getByLabel(/Boris/).count(), 0);
  await early.getByLabel('Only available').uncheck();
  await early.getByLabel(/Boris/).waitFor();
  assert.equal(await early.getByLabel(/Boris/).isDisabled(), true);
  await screenshot(anna, 'transfer-unavailable');
  await early.getByRole('button', { name: 'Cancel' }).click();
  await early.waitFor({ state: 'detached' });

  // Boris signs in on a second page; Anna transfers the chat to him.
  await use(boris);
  await signIn(boris, `${server.url}/widget/`, org.boris.email);
  await goReady(boris);
  await use(anna);
  await anna.getByRole('toolbar', { name: 'Chat actions' }).getByRole('button', { name: 'Transfer' }).click();
  const transfer = anna.getByRole('dialog');
  await transfer.getByLabel(/Boris/).check();
  await screenshot(anna, 'transfer-dialog');
  await transfer.getByRole('button', { name: 'Transfer' }).click();
  await transfer.waitFor({ state: 'detached' });
  await anna.locator('.notices .notice').filter({ hasText: `${chat.title} was transferred to Boris.` }).waitFor();

  // Boris accepts, reads the history, and closes with a wrap-up reason.
  await use(boris);
  const offered = card(boris, chat.id);
  await offered.getByRole('button', { name: 'Accept' }).click();
  await bubble(boris, 'Thanks, it is order A-17').waitFor();
  await boris.getByRole('toolbar', { name: 'Chat actions' }).getByRole('button', { name: 'Close' }).click();
  const closing = boris.getByRole('dialog');
  await closing.getByLabel('Wrap-up reason').selectOption({ label: 'Solved' });
  await closing.getByLabel('Result', { exact: true }).selectOption({ label: 'Order found' });
  await screenshot(boris, 'close-dialog');
  await closing.getByRole('button', { name: 'Close' }).click();
  await closing.waitFor({ state: 'detached' });
  await boris.getByRole('tab', { name: /Closed/ }).click();
  await card(boris, chat.id).waitFor();
  await screenshot(boris, 'closed-list');
  await boris.getByLabel('My status').selectOption('BREAK');
  await boris.locator('op-status .dot.status-break').waitFor();

  const closed = await server.ok(org.owner, 'query($id: ID!) { chat(id: $id) { status closedBy { firstName } wrapUpReason { name } } }', { id: chat.id });
  assert.deepEqual(closed.chat, { status: 'COMPLETED', closedBy: { firstName: 'Boris' }, wrapUpReason: { name: 'Solved' } });
  // Anna's Active list no longer holds it.
  await card(anna, chat.id).waitFor({ state: 'detached' });
});

test('after the server restarts, the panel reconnects and catches up without a reload', async () => {
  await use(anna);
  const loads = [];
  anna.on('load', () => loads.push(Date.now()));
  await server.restart();
  // Handed off while the panel is still reconnecting: it must learn of it from the catch-up.
  const chat = await handOff(server, org, { phone: '+48 600 100 202', text: 'Hello again' });
  await card(anna, chat.id).getByRole('button', { name: 'Accept' }).click();
  await bubble(anna, 'Hello again').waitFor();
  await anna.locator('.connection[data-state="online"]').waitFor();
  assert.deepEqual(loads, [], 'the page was never reloaded');
});

test('a customer’s markup is shown as text, never run', async () => {
  const chatId = await anna.locator('article.card[data-status="NEW"], article.card[data-status="IN_PROGRESS"]').first().getAttribute('data-chat-id');
  const hostile = '<script>window.__pwned = true</script><img src=x onerror="window.__pwned = true"><b>bold</b>';
  await customerSays(server, org, chatId, hostile);
  const message = bubble(anna, '<script>');
  await message.waitFor();
  assert.equal(await message.locator('.text').innerText(), hostile);
  assert.equal(await anna.locator('op-conversation .messages script, op-conversation .messages b, op-conversation .msg .text img').count(), 0);
  assert.equal(await anna.evaluate(() => window.__pwned), undefined);
  // The card's preview is text too.
  assert.match(await card(anna, chatId).locator('.preview').innerText(), /<script>/);
});

test('a chat with the bot shows under Unassigned and is taken over', async () => {
  const { postCustomerMessage } = await server.ok(
    org.chatbot,
    `mutation($q: ID!) {
      postCustomerMessage(input: { source: TELEGRAM, queueId: $q, customer: { phone: "+48600100209", name: "Ewa" }, text: "Can a person help me?" }) {
        message { chatId }
      }
    }`,
    { q: org.queueId },
  );
  const chatId = postCustomerMessage.message.chatId;
  await use(anna);
  await anna.getByRole('tab', { name: /Unassigned/ }).click();
  const waiting = card(anna, chatId);
  await waiting.waitFor();
  assert.equal(await waiting.getAttribute('data-status'), 'BOT');
  // The conversation's length since it began with the bot counts on the card (000).
  await waiting.locator('.dialog-length', { hasText: /\d+:\d\d/ }).waitFor();
  await screenshot(anna, 'unassigned-with-the-bot');
  await waiting.getByRole('button', { name: 'Take over' }).click();
  // The customer is greeted in the operator's name; the chat is Anna's now.
  await anna.locator('op-conversation .msg-system').filter({ hasText: 'Anna has joined the chat' }).waitFor();
  // The header counts the conversation's length and the time since it became hers (001, 004).
  await anna.locator('op-conversation .conv-title .timers', { hasText: /💬 \d+:\d\d 👤 \d+:\d\d/ }).waitFor();
  await waiting.waitFor({ state: 'detached' });
  await anna.getByRole('tab', { name: /Active/ }).click();
  await card(anna, chatId).waitFor();

  // Closed with a reason by the operator who took it over.
  await anna.getByRole('toolbar', { name: 'Chat actions' }).getByRole('button', { name: 'Close' }).click();
  const closing = anna.getByRole('dialog');
  await closing.getByLabel('Wrap-up reason').selectOption({ label: 'Solved' });
  await closing.getByRole('button', { name: 'Close' }).click();
  await card(anna, chatId).waitFor({ state: 'detached' });
});

test('the traffic light turns yellow and red as the server’s clock runs', async () => {
  await use(anna);
  const chat = await handOff(server, org, { phone: '+48 600 100 203', text: 'Anyone there?' });
  const light = card(anna, chat.id);
  await light.getByRole('button', { name: 'Accept' }).click();
  await bubble(anna, 'Anyone there?').waitFor();
  await anna.locator(`article.card[data-chat-id="${chat.id}"][data-light="GREEN"]`).waitFor();

  await server.advance(org.owner, 181);
  await anna.locator(`article.card[data-chat-id="${chat.id}"][data-light="YELLOW"]`).waitFor();
  await screenshot(anna, 'traffic-light-yellow');
  await server.advance(org.owner, 180);
  await anna.locator(`article.card[data-chat-id="${chat.id}"][data-light="RED"]`).waitFor();
  assert.match(await light.locator('.waiting').innerText(), /6:0\d/);
  await screenshot(anna, 'traffic-light-red');

  // Answering turns it grey: the customer is the one waiting now.
  await anna.getByLabel('Message', { exact: true }).fill('Sorry for the wait!');
  await anna.getByLabel('Message', { exact: true }).press('Enter');
  await anna.locator(`article.card[data-chat-id="${chat.id}"][data-light="GREY"]`).waitFor();
});

test('an idle operator is dimmed as AWAY and can return', async () => {
  await use(anna);
  const me = await server.signIn(org.anna.email);
  const before = await server.ok(me, '{ me { status } }');
  assert.equal(before.me.status, 'READY');
  await server.advance(org.owner, 11 * 60);
  const away = anna.getByRole('dialog', { name: 'You are away' });
  await away.waitFor();
  await screenshot(anna, 'away');
  await away.getByRole('button', { name: 'Return' }).click();
  await away.waitFor({ state: 'hidden' });
  await until('Anna READY again', async () => (await server.ok(me, '{ me { status } }')).me.status === 'READY');
});

test('a new message goes out once the operator confirms how to read the address', async () => {
  const provider = await startReceiver();
  try {
    await server.ok(
      org.owner,
      'mutation($u: String!) { createChannel(input: { kind: VIBER, name: "Viber", outboundUrl: $u, gateway: "Shop" }) { channel { id } } }',
      { u: `${provider.url}/viber` },
    );
    await use(anna);
    await anna.getByRole('button', { name: 'New message' }).click();
    const dialog = anna.getByRole('dialog');
    await dialog.getByLabel('To').fill('48600100299');
    // Digits only: a phone number or a Viber user id. The operator must say which.
    await dialog.getByText('This reads several ways: choose one.').waitFor();
    assert.equal(await dialog.getByRole('radio').count(), 2);
    await dialog.getByLabel('Text').fill('Your parcel is on its way');
    await dialog.getByRole('button', { name: 'Send' }).click();
    await dialog.getByText('Confirm the recipient.').waitFor();
    await dialog.getByRole('radio', { name: /Phone/ }).check();
    await screenshot(anna, 'new-message');
    await dialog.getByRole('button', { name: 'Send' }).click();
    await dialog.waitFor({ state: 'detached' });
    await anna.getByRole('heading', { name: /^OutgoingChat-\d+$/ }).waitFor();
    await bubble(anna, 'Your parcel is on its way').waitFor();
    await until('the message at the provider', () => provider.received.some(({ body }) => body.to === '48600100299' && body.text === 'Your parcel is on its way'));
    // The panel follows the delivery: sent once the provider took it.
    await anna.locator('op-conversation .msg[data-delivery="SENT"]').filter({ hasText: 'Your parcel is on its way' }).waitFor();
  } finally {
    provider.close();
  }
});

test('a new WhatsApp message opens with an approved template picked in the dialog', async () => {
  const provider = await startReceiver();
  try {
    await server.ok(
      org.owner,
      'mutation($u: String!) { createChannel(input: { kind: INFOBIP_WHATSAPP, name: "WhatsApp", outboundUrl: $u, gateway: "+48221234567" }) { channel { id } } }',
      { u: `${provider.url}/whatsapp` },
    );
    await server.ok(org.owner, 'mutation { createQuickReply(input: { name: "Order news", text: "Hello, there is news about your order.", approvedTemplate: true }) { quickReply { id } } }');
    const wanda = await invitedOperator('Wanda');
    const page = await browser.context.newPage();
    await signIn(page, `${server.url}/widget/?lang=en`, wanda.email);
    await page.getByRole('button', { name: 'New message' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('To').fill('+48600100777');
    await dialog.getByRole('radio', { name: /infobip_whatsapp/ }).check();
    // WhatsApp takes no free text to open a conversation: a template, or a refusal on its field.
    const picker = dialog.getByLabel('Approved template');
    await picker.waitFor();
    await dialog.getByRole('button', { name: 'Send' }).click();
    await dialog.locator('[name="quickReplyId"][aria-invalid="true"]').waitFor();
    assert.equal(await picker.locator('option', { hasText: 'Greeting' }).count(), 0, 'only approved templates are offered');
    await picker.selectOption({ label: 'Order news' });
    assert.equal(await dialog.getByLabel('Text').inputValue(), 'Hello, there is news about your order.');
    await screenshot(page, 'new-whatsapp-message');
    await dialog.getByRole('button', { name: 'Send' }).click();
    await dialog.waitFor({ state: 'detached' });
    await until('the template at the provider', () => provider.received.some(({ body }) => body.to === '+48600100777' && body.text === 'Hello, there is news about your order.'));
    await page.close();
  } finally {
    provider.close();
  }
});

test('the CRM opens what the panel asks for, and the panel offers what the CRM shows', async () => {
  const page = await browser.context.newPage();
  await page.goto(allowedCrm.origin);
  await page.evaluate((src) => (document.getElementById('panel').src = src), `${server.url}/widget/?organization=${org.id}&lang=en`);
  const frame = page.frameLocator('#panel');
  await frame.getByLabel('E-mail').fill(org.anna.email);
  await frame.getByLabel('Password').fill('a long test password');
  await frame.getByRole('button', { name: 'Sign in', exact: true }).click();
  const first = frame.locator('article.card').first();
  const chatId = await first.getAttribute('data-chat-id');
  await first.locator('.card-main').click();
  await frame.getByRole('toolbar', { name: 'Chat actions' }).getByRole('button', { name: 'Open in CRM' }).click();
  const asked = await page.waitForFunction(
    (origin) => window.received.find((m) => m.origin === origin && m.data.type === 'open-record')?.data,
    server.url,
  );
  assert.deepEqual((await asked.jsonValue()).record, { kind: 'chat', id: chatId, url: null });

  // The CRM says which contact it shows; the panel offers to link it (for chats the operator works).
  await page.evaluate((target) => {
    const record = { kind: 'contact', id: 'c-1', title: 'Jan Kowalski (CRM)' };
    document.getElementById('panel').contentWindow.postMessage({ source: 'crm', type: 'record-opened', record }, target);
  }, server.url);
  const accept = frame.getByRole('toolbar', { name: 'Chat actions' }).getByRole('button', { name: 'Accept' });
  if (await accept.count()) await accept.click();
  await frame.getByRole('button', { name: 'Details' }).click();
  await frame.getByText('The CRM shows the contact “Jan Kowalski (CRM)”.').waitFor();
  await screenshot(page, 'framed-workplace');
  // An activity made in the CRM from the chat, and linked to it.
  const details = frame.getByRole('complementary', { name: 'Chat details' });
  await details.getByText('Create an activity').click();
  await details.getByLabel('Title').fill('Order question');
  await details.locator('.create-activity').getByRole('button', { name: 'Create' }).click();
  await details.locator('.create-activity').waitFor({ state: 'detached' });
  const { chat: linked } = await server.ok(await server.signIn(org.anna.email), 'query($id: ID!) { chat(id: $id) { activityId } }', { id: chatId });
  assert.ok(linked.activityId);
  await details.locator('dd', { hasText: linked.activityId }).getByRole('button', { name: 'open', exact: true }).waitFor();
  // The CRM shows an account: that may be linked too.
  await page.evaluate((target) => {
    const record = { kind: 'account', id: 'a-1', title: 'Kowalski Ltd' };
    document.getElementById('panel').contentWindow.postMessage({ source: 'crm', type: 'record-opened', record }, target);
  }, server.url);
  await details.getByText('The CRM shows the account “Kowalski Ltd”.').waitFor();
  await frame.getByRole('button', { name: 'Hide the details' }).click();
  await frame.getByRole('complementary', { name: 'Chat details' }).waitFor({ state: 'hidden' });
  await page.close();
});

test('a colleague joins a conference and leaves it', async () => {
  // Boris went AWAY on his break while the clock ran; he comes back to his break.
  await use(boris);
  await boris.getByRole('dialog', { name: 'You are away' }).getByRole('button', { name: 'Return' }).click();
  await boris.locator('op-status .dot.status-break').waitFor();
  await use(anna);
  const chatId = await anna.locator('article.card[data-status="IN_PROGRESS"]').first().getAttribute('data-chat-id');
  await card(anna, chatId).locator('.card-main').click();
  // On a break he may not be invited (001): offered greyed out.
  await anna.getByRole('toolbar', { name: 'Chat actions' }).getByRole('button', { name: 'Conference' }).click();
  const onBreak = anna.getByRole('dialog');
  assert.equal(await onBreak.locator('option', { hasText: 'Boris (Break)' }).evaluate((o) => o.disabled), true);
  await onBreak.getByRole('button', { name: 'Cancel' }).click();
  await onBreak.waitFor({ state: 'detached' });
  await use(boris);
  await boris.getByLabel('My status').selectOption('ONLINE');
  await boris.locator('op-status .dot.status-online').waitFor();
  await use(anna);
  await anna.getByRole('toolbar', { name: 'Chat actions' }).getByRole('button', { name: 'Conference' }).click();
  const dialog = anna.getByRole('dialog');
  await dialog.getByLabel('Colleague').selectOption({ label: 'Boris (Online)' });
  await dialog.getByRole('button', { name: 'Invite' }).click();
  await dialog.waitFor({ state: 'detached' });
  // The owner sees who is in the conference, and where each stands.
  await anna.locator('op-conversation .conference-members', { hasText: 'Boris (invited)' }).waitFor();

  await use(boris);
  const invited = card(boris, chatId);
  await invited.getByText('Conference invitation').waitFor();
  await invited.getByRole('button', { name: 'Join' }).click();
  // "Requested" becomes "joined", with a system message both see.
  const joined = anna.locator('op-conversation .msg-system').filter({ hasText: 'Boris joined the chat' });
  await joined.waitFor();
  await invited.locator('.card-main').click();
  await boris.getByLabel('Whisper (operators only)').check();
  await boris.getByLabel('Message', { exact: true }).fill('Check the courier first');
  await boris.getByLabel('Message', { exact: true }).press('Enter');
  // Anna reads the whisper, marked as one.
  await anna.locator('op-conversation .msg.whisper').filter({ hasText: 'Check the courier first' }).waitFor();
  await screenshot(anna, 'conference-whisper');
  await anna.screenshot({ path: join(DOCS, 'conversation-conference.png') });
  // A long conversation may take the whole width, and give it back; a draft survives both.
  await anna.getByLabel('Message', { exact: true }).fill('A draft');
  await anna.getByRole('button', { name: 'Wider' }).click();
  await anna.locator('op-chat-list').waitFor({ state: 'hidden' });
  await anna.getByRole('button', { name: 'Narrower' }).click();
  await anna.locator('op-chat-list').waitFor();
  assert.equal(await anna.getByLabel('Message', { exact: true }).inputValue(), 'A draft');
  await anna.getByLabel('Message', { exact: true }).fill('');
  await boris.getByRole('toolbar', { name: 'Chat actions' }).getByRole('button', { name: 'Leave' }).click();
  await card(boris, chatId).waitFor({ state: 'detached' });
  await anna.locator('op-conversation .msg-system').filter({ hasText: 'Boris left the chat' }).waitFor();
  await anna.locator('op-conversation .conference-members').waitFor({ state: 'detached' });

  // Found by typing, invited again; he joins; Anna ends the conference and is offered the
  // wrap-up, which she declines to go on with the customer alone.
  await use(anna);
  await anna.getByRole('toolbar', { name: 'Chat actions' }).getByRole('button', { name: 'Conference' }).click();
  const again = anna.getByRole('dialog');
  await again.getByLabel('Search by name').fill('bor');
  assert.equal(await again.getByLabel('Colleague').inputValue(), org.boris.id);
  await again.getByRole('button', { name: 'Invite' }).click();
  await again.waitFor({ state: 'detached' });
  await use(boris);
  await card(boris, chatId).getByRole('button', { name: 'Join' }).click();
  await use(anna);
  await anna.locator('op-conversation .conference-members', { hasText: 'Boris (joined)' }).waitFor();
  await anna.getByRole('toolbar', { name: 'Chat actions' }).getByRole('button', { name: 'End conference' }).click();
  const wrapUp = anna.getByRole('dialog');
  await wrapUp.getByLabel('Wrap-up reason').waitFor();
  await wrapUp.getByRole('button', { name: 'Cancel' }).click();
  await anna.locator('op-conversation .conference-members').waitFor({ state: 'detached' });
  assert.equal((await server.ok(org.owner, 'query($id: ID!) { chat(id: $id) { status } }', { id: chatId })).chat.status, 'IN_PROGRESS');
});

test('the integration slot frames the administrator’s page for the open chat', async () => {
  await server.ok(org.owner, 'mutation($t: String!) { updateSettings(input: { iframeUrlTemplate: $t }) { settings { iframeUrlTemplate } } }', {
    t: `${allowedCrm.origin}/orders?chat={chatId}&phone={phone}`,
  });
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1600, height: 900 });
  await signIn(page, `${server.url}/widget/?organization=${org.id}`, org.anna.email);
  const first = page.locator('article.card').first();
  const chatId = await first.getAttribute('data-chat-id');
  await first.locator('.card-main').click();
  const slot = page.locator('op-slot iframe');
  await slot.waitFor();
  assert.ok((await slot.getAttribute('src')).startsWith(`${allowedCrm.origin}/orders?chat=${chatId}&phone=`));
  // The page's policy lets it load (the CRM test page answers any path with its page).
  await page.frameLocator('op-slot iframe').getByRole('heading', { name: 'CRM' }).waitFor();
  await page.getByRole('button', { name: 'Widen' }).click();
  await page.getByRole('button', { name: 'Narrow' }).waitFor();
  await screenshot(page, 'integration-slot');
  await page.close();
});

test('with masking on, operators see customers’ numbers masked', async () => {
  await server.ok(org.owner, 'mutation { updateSettings(input: { maskingEnabled: true }) { settings { maskingEnabled } } }');
  try {
    const page = await browser.context.newPage();
    await signIn(page, `${server.url}/widget/`, org.anna.email);
    const customer = page.locator('article.card .customer').first();
    await customer.waitFor();
    assert.match(await customer.innerText(), /^\*+\d{4}$/);
    assert.doesNotMatch(await page.locator('op-chat-list').innerText(), /\+48600100/);
    await page.close();
  } finally {
    await server.ok(org.owner, 'mutation { updateSettings(input: { maskingEnabled: false }) { settings { maskingEnabled } } }');
  }
});

test('an invited operator signs up from the invitation link and lands in the workplace', async () => {
  const email = `celina-${Date.now()}@example.test`;
  const { inviteOperator } = await server.ok(org.owner, 'mutation($e: String!) { inviteOperator(input: { email: $e, role: OPERATOR }) { link } }', { e: email });
  const page = await browser.context.newPage();
  await page.goto(inviteOperator.link);
  await page.getByText(`You are invited as ${email}.`).waitFor();
  await page.getByLabel('First name').fill('Celina');
  await page.getByLabel('Last name').fill('Wójcik');
  await page.getByLabel('Password (at least 8 characters)').fill('a long new password');
  await page.getByLabel('Password again').fill('another password');
  await page.getByRole('button', { name: 'Create my account' }).click();
  await page.getByText('The two passwords differ.').waitFor();
  await page.getByLabel('Password again').fill('a long new password');
  await screenshot(page, 'sign-up');
  await page.getByRole('button', { name: 'Create my account' }).click();
  await page.getByLabel('My status').waitFor();
  // Signed up and signed in: she can sign in with the new password from now on.
  const token = await server.signIn(email, 'a long new password');
  const { me } = await server.ok(token, '{ me { firstName lastName role } }');
  assert.deepEqual(me, { firstName: 'Celina', lastName: 'Wójcik', role: 'OPERATOR' });
  // Her profile: the name, and the password (which needs the current one).
  await page.locator('.menu summary').click();
  await page.getByRole('button', { name: 'My profile' }).click();
  const profile = page.getByRole('dialog');
  await profile.getByLabel('Last name').fill('Wójcik-Nowak');
  await profile.getByLabel('Current password').fill('not my password');
  await profile.getByLabel('New password (at least 8 characters)').fill('an even longer password');
  await profile.getByLabel('Password again').fill('an even longer password');
  await profile.getByRole('button', { name: 'Save' }).click();
  await profile.locator('[name="currentPassword"][aria-invalid="true"]').waitFor();
  await profile.getByLabel('Current password').fill('a long new password');
  await screenshot(page, 'profile');
  await profile.getByRole('button', { name: 'Save' }).click();
  await profile.waitFor({ state: 'detached' });
  const renamed = await server.ok(await server.signIn(email, 'an even longer password'), '{ me { lastName } }');
  assert.equal(renamed.me.lastName, 'Wójcik-Nowak');
  // The link works once.
  await page.goto('about:blank');
  await page.goto(inviteOperator.link);
  await page.getByText('This invitation is not valid, already used or expired.', { exact: false }).waitFor();
  await page.close();
});

test('an operator who missed an invitation is BLOCKED: Unblock, and no next status until then', async () => {
  const dora = await invitedOperator('Dora');
  const night = await queueWith('Night', [dora]);
  const page = await browser.context.newPage();
  await signIn(page, `${server.url}/widget/`, dora.email);
  await goReady(page);
  await page.getByLabel('Status after the current chats').waitFor();
  await handOffTo(night, '+48500900900', 'Anyone?');
  await page.getByRole('button', { name: 'Accept' }).waitFor();
  await server.advance(org.owner, 31);
  await page.locator('op-status .dot.status-blocked').waitFor();
  assert.equal(await page.getByLabel('Status after the current chats').count(), 0);
  await screenshot(page, 'blocked');
  await page.getByRole('button', { name: 'Unblock' }).click();
  await page.locator('op-status .dot.status-ready').waitFor();
  await page.getByLabel('Status after the current chats').waitFor();
  await page.close();
});

test('a supervisor assigns a waiting chat to a colleague', async () => {
  const sven = await invitedOperator('Sven', 'SUPERVISOR');
  const emil = await invitedOperator('Emil', 'OPERATOR');
  const ida = await invitedOperator('Ida', 'OPERATOR');
  await server.ok(ida.token, 'mutation { setMyStatus(input: { status: BREAK }) { operator { status } } }');
  const escalations = await queueWith('Escalations', [sven]);
  // Sven is ONLINE, not READY: the chat waits in his queue.
  const waitingChat = await handOffTo(escalations, '+48500700700', 'Complaint');
  assert.equal(waitingChat.status, 'QUEUED');
  const page = await browser.context.newPage();
  await signIn(page, `${server.url}/widget/`, sven.email);
  await page.getByRole('tab', { name: /Unassigned/ }).click();
  const waiting = card(page, waitingChat.id);
  await waiting.getByRole('button', { name: 'Assign…' }).click();
  const dialog = page.getByRole('dialog');
  assert.equal(await dialog.locator('option', { hasText: 'Ida Tester (Break' }).evaluate((o) => o.disabled), true);
  await dialog.getByLabel('Colleague').selectOption({ label: 'Emil Tester (Online · 0/3)' });
  await screenshot(page, 'assign-dialog');
  await dialog.getByRole('button', { name: 'Assign…' }).click();
  await dialog.waitFor({ state: 'detached' });
  await waiting.waitFor({ state: 'detached' });
  const { chat } = await server.ok(org.owner, 'query($id: ID!) { chat(id: $id) { status operator { id } } }', { id: waitingChat.id });
  assert.deepEqual(chat, { status: 'NEW', operator: { id: emil.id } });
  await page.close();
});

test('a supervisor watches the floor change live and signs an operator out', async () => {
  const vera = await invitedOperator('Vera', 'SUPERVISOR');
  const olga = await invitedOperator('Olga', 'OPERATOR');
  await server.ok(olga.token, 'mutation { setMyStatus(input: { status: READY }) { operator { status } } }');
  const floorQueue = await queueWith('Night shift', [vera, olga]);
  const page = await browser.context.newPage();
  await signIn(page, `${server.url}/widget/`, vera.email);
  await page.getByRole('button', { name: 'Floor' }).click();
  const queueRow = page.locator(`op-supervisor tr[data-queue-id="${floorQueue}"]`);
  const olgaRow = page.locator(`op-supervisor tr[data-operator-id="${olga.id}"]`);
  await olgaRow.locator('td.status', { hasText: 'Ready' }).waitFor();
  assert.equal(await queueRow.locator('td').first().textContent(), '0');

  // Olga goes on a break, and a customer arrives: the view follows, with no reload.
  await server.ok(olga.token, 'mutation { setMyStatus(input: { status: BREAK }) { operator { status } } }');
  await olgaRow.locator('td.status', { hasText: 'Break' }).waitFor();
  const waiting = await handOffTo(floorQueue, '+48500800800', 'Is anyone there?');
  assert.equal(waiting.status, 'QUEUED');
  await queueRow.locator('td.waiting', { hasText: '1' }).waitFor();
  await screenshot(page, 'supervisor-floor');
  await page.screenshot({ path: join(DOCS, 'supervisor-floor.png') });

  // The waiting chat is listed on the floor; Vera takes it herself through Assign….
  const waitingItem = page.locator(`op-supervisor .floor-waiting li[data-chat-id="${waiting.id}"]`);
  await waitingItem.getByRole('button', { name: 'Assign…' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Colleague').selectOption({ label: 'Vera Tester (Online · 0/3)' });
  await dialog.getByRole('button', { name: 'Assign…' }).click();
  await waitingItem.waitFor({ state: 'detached' });
  await queueRow.locator('td').first().filter({ hasText: '0' }).waitFor();
  const assigned = await server.ok(org.owner, 'query($id: ID!) { chat(id: $id) { operator { id } } }', { id: waiting.id });
  assert.equal(assigned.chat.operator.id, vera.id);

  // Olga is back and takes a chat, then leaves for the day: Vera signs her out from the view,
  // after confirming that Olga's chat goes back to the queue.
  await server.ok(olga.token, 'mutation { setMyStatus(input: { status: READY }) { operator { status } } }');
  const olgas = await handOffTo(floorQueue, '+48500800801', 'Hello again');
  assert.equal(olgas.status, 'INVITED');
  await server.ok(olga.token, 'mutation($c: ID!) { acceptChat(input: { chatId: $c }) { chat { id } } }', { c: olgas.id });
  await olgaRow.locator('td', { hasText: '1/3' }).waitFor();
  await page.getByLabel('Status of Olga Tester').selectOption('OFFLINE');
  const confirm = page.getByRole('dialog');
  await confirm.getByText('Olga Tester holds 1 chat(s)').waitFor();
  await screenshot(page, 'supervisor-sign-out');
  await confirm.getByRole('button', { name: 'Sign out' }).click();
  await olgaRow.waitFor({ state: 'detached' });
  const { operators } = await server.ok(org.owner, '{ operators(onlyAvailable: false) { id status } }');
  assert.equal(operators.find((o) => o.id === olga.id).status, 'OFFLINE');
  const handedBack = await server.ok(org.owner, 'query($id: ID!) { chat(id: $id) { status } }', { id: olgas.id });
  assert.equal(handedBack.chat.status, 'QUEUED');
  await page.locator(`op-supervisor .floor-waiting li[data-chat-id="${olgas.id}"]`).waitFor();

  // Back to the workplace.
  await page.getByRole('button', { name: 'Floor' }).click();
  await page.locator('op-chat-list').waitFor();
  await page.close();
});

test('a supervisor reads a report: the chart draws the server’s numbers and the CSV downloads', async () => {
  const rita = await invitedOperator('Rita', 'SUPERVISOR');
  const tom = await invitedOperator('Tom', 'OPERATOR');
  const desk = await queueWith('Reports desk', [rita, tom]);
  await server.ok(tom.token, 'mutation { setMyStatus(input: { status: READY }) { operator { status } } }');
  const chat = await handOffTo(desk, '+48500900900', 'Where is my parcel?');
  assert.equal(chat.status, 'INVITED');
  // Tom answers a minute after accepting and closes two minutes later: handle time 3:00.
  await server.ok(tom.token, 'mutation($c: ID!) { acceptChat(input: { chatId: $c }) { chat { id } } }', { c: chat.id });
  await server.advance(org.owner, 60);
  await server.ok(tom.token, 'mutation($c: ID!) { sendMessage(input: { chatId: $c, text: "Let me look" }) { message { id } } }', { c: chat.id });
  await server.advance(org.owner, 120);
  const { closeChat } = await server.ok(
    tom.token,
    'mutation($c: ID!, $w: ID!) { closeChat(input: { chatId: $c, wrapUpReasonId: $w }) { chat { closedAt } } }',
    { c: chat.id, w: org.wrapUpReasonId },
  );
  await server.ok(org.chatbot, 'mutation($c: ID!) { rateChat(input: { chatId: $c, score: 4 }) { chat { id } } }', { c: chat.id });

  const page = await browser.context.newPage();
  await signIn(page, `${server.url}/widget/`, rita.email);
  await page.getByRole('button', { name: 'Floor' }).click();
  await page.getByRole('tab', { name: 'Reports' }).click();
  const view = page.locator('op-reports');
  await view.locator('table.report-table').waitFor();
  // The day the server closed the chat, as the browser counts days.
  const day = await page.evaluate((at) => {
    const d = new Date(at);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  }, closeChat.chat.closedAt);
  await page.getByLabel('Report', { exact: true }).selectOption('HANDLE_TIME');
  await page.getByLabel('By', { exact: true }).selectOption('OPERATOR');
  await page.getByLabel('From', { exact: true }).fill(day);
  await page.getByLabel('To', { exact: true }).fill(day);
  await page.getByRole('button', { name: 'Show' }).click();
  const tomRow = view.locator(`tbody tr[data-key="${tom.id}"]`);
  await tomRow.locator('td[data-figure="average"]', { hasText: '3:00' }).waitFor();
  assert.equal(await tomRow.locator('th').textContent(), 'Tom Tester');

  // The chart holds exactly the numbers the server reports for the same arguments.
  const drawn = await view.evaluate((el) => ({ input: el.input(), data: el.chart.data, canvases: el.querySelectorAll('canvas').length }));
  assert.equal(drawn.canvases, 1);
  assert.deepEqual(drawn.input.kind, 'HANDLE_TIME');
  const { report } = await server.ok(rita.token, operations.REPORT, { input: drawn.input });
  assert.deepEqual(drawn.data, [
    report.rows.map((_, i) => i),
    report.rows.map((r) => r.average),
    report.rows.map((r) => r.p50),
    report.rows.map((r) => r.p90),
  ]);
  assert.ok(report.rows.some((r) => r.key === tom.id && r.average === 180));
  await screenshot(page, 'supervisor-reports');
  await page.screenshot({ path: join(DOCS, 'supervisor-reports.png') });

  // The CSV is the server's, for the same arguments.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
  assert.equal(download.suggestedFilename(), `handle-time-${day}-${day}.csv`);
  const csv = readFileSync(await download.path(), 'utf8');
  const { kind, ...query } = drawn.input;
  const direct = await fetch(`${server.url}/reports/handle-time.csv?${new URLSearchParams(query)}`, { headers: { authorization: `Bearer ${rita.token}` } });
  assert.equal(csv, await direct.text());
  assert.match(csv, new RegExp(`^${tom.id},Tom Tester,1,180,180,180$`, 'm'));
  assert.equal(kind, 'HANDLE_TIME');

  // Counted in another zone, the range is that zone's days; a zone nobody knows is refused.
  const zone = page.getByLabel('Time zone', { exact: true });
  await zone.fill('Asia/Tokyo');
  await zone.press('Enter');
  const tokyo = await view.evaluate((el) => el.input());
  const tokyoMidnight = new Date(`${day}T00:00:00+09:00`).getTime();
  assert.deepEqual(
    [tokyo.timeZone, tokyo.from, tokyo.to],
    ['Asia/Tokyo', new Date(tokyoMidnight).toISOString(), new Date(tokyoMidnight + 86_400_000).toISOString()],
  );
  await zone.fill('Mars/Olympus');
  await page.getByRole('button', { name: 'Show' }).click();
  assert.equal(await zone.evaluate((el) => el.validity.valid), false);
  await page.close();
});

test('an operator finds closed chats in History, pages through them and writes to a customer again', async () => {
  const ivan = await invitedOperator('Ivan');
  const desk = await queueWith('History desk', [ivan]);
  await server.ok(ivan.token, 'mutation { setMyStatus(input: { status: READY }) { operator { status } } }');
  /** A chat the customer starts with `text`, which Ivan accepts and closes. */
  const closedChat = async (phone, text) => {
    const chat = await handOffTo(desk, phone, text);
    assert.equal(chat.status, 'INVITED');
    await server.ok(ivan.token, 'mutation($c: ID!) { acceptChat(input: { chatId: $c }) { chat { id } } }', { c: chat.id });
    await server.ok(ivan.token, 'mutation($c: ID!, $w: ID!) { closeChat(input: { chatId: $c, wrapUpReasonId: $w }) { chat { id } } }', {
      c: chat.id,
      w: org.wrapUpReasonId,
    });
    return chat.id;
  };
  for (let n = 10; n < 31; n += 1) await closedChat(`+485007000${n}`, `Question number ${n}`);
  const refund = await closedChat('+48500799999', 'I want a refund, please');

  const page = await browser.context.newPage();
  await signIn(page, `${server.url}/widget/`, ivan.email);
  await page.getByRole('tab', { name: 'History' }).click();
  const history = page.locator('op-history');
  const cards = history.locator('article.history-card');
  await cards.nth(19).waitFor();
  assert.equal(await cards.count(), 20);
  // Newest first: the refund chat was closed last.
  assert.equal(await cards.first().getAttribute('data-chat-id'), refund);
  await history.getByRole('button', { name: 'More' }).click();
  await cards.nth(21).waitFor();
  assert.equal(await cards.count(), 22);
  assert.equal(await history.getByRole('button', { name: 'More' }).isHidden(), true);

  // A word of the conversation finds the one chat that has it.
  await history.getByLabel('Search messages').fill('refund');
  await history.getByRole('button', { name: 'Search' }).click();
  await history.locator(`article[data-chat-id="${refund}"]`).waitFor();
  assert.equal(await cards.count(), 1);
  assert.equal(await cards.first().getAttribute('data-chat-id'), refund);

  // So does the customer's phone, among the other filters.
  await history.getByLabel('Search messages').fill('');
  await history.getByText('Filters').click();
  await history.getByLabel('Phone').fill('+48500700015');
  await history.getByRole('button', { name: 'Search' }).click();
  await history.locator('article.history-card .preview', { hasText: 'Question number 15' }).waitFor();
  assert.equal(await cards.count(), 1);
  await screenshot(page, 'history');
  await page.screenshot({ path: join(DOCS, 'history.png') });

  // The chat opens read-only, and "New message" writes to its customer again.
  await history.getByLabel('Phone').fill('');
  await history.getByLabel('Search messages').fill('refund');
  await history.getByRole('button', { name: 'Search' }).click();
  await history.locator(`article[data-chat-id="${refund}"]`).waitFor();
  await cards.first().locator('.card-main').click();
  await bubble(page, 'I want a refund, please').waitFor();
  await page.locator('op-conversation .policy', { hasText: 'closed' }).waitFor();
  await page.getByRole('toolbar', { name: 'Chat actions' }).getByRole('button', { name: 'New message' }).click();
  const dialog = page.getByRole('dialog');
  assert.equal(await dialog.getByLabel('To', { exact: true }).inputValue(), '+48500799999');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await page.close();
});

test('an operator edits their own note, describes the customer for their next chat and finds a wrap-up reason by typing', async () => {
  for (const name of ['Escalated to billing', 'Duplicate', 'Wrong number', 'Callback promised', 'Out of scope']) {
    await server.ok(org.owner, 'mutation($n: String!) { createWrapUpReason(input: { name: $n }) { wrapUpReason { id } } }', { n: name });
  }
  const liv = await invitedOperator('Liv');
  const desk = await queueWith('Notes desk', [liv]);
  await server.ok(liv.token, 'mutation { setMyStatus(input: { status: READY }) { operator { status } } }');
  const chat = await handOffTo(desk, '+48500500501', 'My invoice is wrong');
  await server.ok(liv.token, 'mutation($c: ID!) { acceptChat(input: { chatId: $c }) { chat { id } } }', { c: chat.id });
  const page = await browser.context.newPage();
  await signIn(page, `${server.url}/widget/`, liv.email);
  await card(page, chat.id).locator('.card-main').click();
  await bubble(page, 'My invoice is wrong').waitFor();

  const details = page.locator('op-details');
  await details.getByLabel('Note', { exact: true }).fill('Customer called twice');
  await details.getByRole('button', { name: 'Add note' }).click();
  const written = details.locator('ul.notes li', { hasText: 'Customer called twice' });
  const note = details.locator(`ul.notes li[data-note-id="${await written.getAttribute('data-note-id')}"]`);
  await note.getByRole('button', { name: 'Edit' }).click();
  await note.getByLabel('Note', { exact: true }).fill('Customer called three times');
  await note.getByRole('button', { name: 'Save' }).click();
  await details.locator('ul.notes li', { hasText: 'Customer called three times' }).getByRole('button', { name: 'Edit' }).waitFor();
  const { chat: stored } = await server.ok(liv.token, 'query($id: ID!) { chat(id: $id) { notes { text } } }', { id: chat.id });
  assert.deepEqual(stored.notes, [{ text: 'Customer called three times' }]);

  // The customer's description (D10), which their next chat shows.
  await details.getByText('Describe the customer').click();
  await details.getByLabel('Description', { exact: true }).fill('Pays by invoice; ask for the invoice number.');
  await details.getByRole('button', { name: 'Save description' }).click();
  await details.locator('.description', { hasText: 'Pays by invoice' }).waitFor();

  await page.getByRole('toolbar', { name: 'Chat actions' }).getByRole('button', { name: 'Close' }).click();
  const closing = page.getByRole('dialog');
  await closing.getByLabel('Find a reason').fill('BILL');
  assert.equal(await closing.getByLabel('Wrap-up reason').locator('option:checked').textContent(), 'Escalated to billing');
  await screenshot(page, 'close-find-reason');
  await closing.getByRole('button', { name: 'Close' }).last().click();
  await closing.waitFor({ state: 'detached' });
  const { chat: closed } = await server.ok(liv.token, 'query($id: ID!) { chat(id: $id) { status wrapUpReason { name } } }', { id: chat.id });
  assert.deepEqual(closed, { status: 'COMPLETED', wrapUpReason: { name: 'Escalated to billing' } });

  const again = await handOffTo(desk, '+48500500501', 'Me again, about the invoice');
  await server.ok(liv.token, 'mutation($c: ID!) { acceptChat(input: { chatId: $c }) { chat { id } } }', { c: again.id });
  await card(page, again.id).locator('.card-main').click();
  await bubble(page, 'Me again, about the invoice').waitFor();
  await details.locator('.description', { hasText: 'Pays by invoice; ask for the invoice number.' }).waitFor();
  await screenshot(page, 'customer-description');
  await page.close();
});

test('an invitation shows its queue and the conversation’s last messages', async () => {
  const zoe = await invitedOperator('Zoe');
  const night = await queueWith('Night desk', [zoe]);
  const page = await browser.context.newPage();
  await signIn(page, `${server.url}/widget/`, zoe.email);
  await goReady(page);
  const { handOffChat } = await server.ok(
    org.chatbot,
    `mutation($q: ID!) {
      handOffChat(input: { queueId: $q, source: TELEGRAM, customer: { phone: "+48500400401" }, transcript: [
        { authorKind: CUSTOMER, text: "Hello" },
        { authorKind: BOT, text: "What is it about?" },
        { authorKind: CUSTOMER, text: "A broken kettle" },
        { authorKind: CUSTOMER, text: "Bought last week" }
      ] }) { chat { id status } }
    }`,
    { q: night },
  );
  assert.equal(handOffChat.chat.status, 'INVITED');
  const invitation = card(page, handOffChat.chat.id);
  await invitation.getByText('Queue: Night desk').waitFor();
  const recent = invitation.getByRole('list', { name: 'The conversation so far' }).getByRole('listitem');
  await recent.nth(2).waitFor();
  assert.deepEqual(await recent.allTextContents(), ['Bot: What is it about?', 'Customer: A broken kettle', 'Customer: Bought last week']);
  // The customer writes again while the invitation waits: the card follows.
  await customerSays(server, org, handOffChat.chat.id, 'Are you there?');
  await invitation.locator('.preview', { hasText: 'Are you there?' }).waitFor();
  await recent.filter({ hasText: 'Are you there?' }).waitFor();
  await screenshot(page, 'invitation-preview');
  await invitation.getByRole('button', { name: 'Decline' }).click();
  await page.close();
});

test('the transfer dialog narrows queues as operators by what is typed, and refreshes colleagues’ statuses', async () => {
  const uma = await invitedOperator('Uma');
  const vik = await invitedOperator('Vik');
  const home = await queueWith('Transfer home', [uma]);
  await queueWith('Billing questions', [vik]);
  await server.ok(uma.token, 'mutation { setMyStatus(input: { status: READY }) { operator { status } } }');
  await server.ok(vik.token, 'mutation { setMyStatus(input: { status: BREAK }) { operator { status } } }');
  const chat = await handOffTo(home, '+48500300301', 'Wrong department?');
  await server.ok(uma.token, 'mutation($c: ID!) { acceptChat(input: { chatId: $c }) { chat { id } } }', { c: chat.id });
  const page = await browser.context.newPage();
  await signIn(page, `${server.url}/widget/`, uma.email);
  await card(page, chat.id).locator('.card-main').click();
  await page.getByRole('toolbar', { name: 'Chat actions' }).getByRole('button', { name: 'Transfer' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('Billing questions').waitFor();
  assert.ok(await dialog.getByText('Transfer home').count() > 0);

  // Typing narrows the queues as it narrows the colleagues.
  await dialog.getByLabel('Search operators and queues').fill('BILL');
  await dialog.getByText('Transfer home').waitFor({ state: 'detached' });
  assert.equal(await dialog.getByText('Billing questions').count(), 1);

  // Vik is back from his break while the dialog is open: Refresh offers him.
  await dialog.getByLabel('Search operators and queues').fill('Vik');
  await dialog.getByLabel('Only available').uncheck();
  const vikOption = dialog.locator('label.target', { hasText: 'Vik' }).locator('input');
  await vikOption.waitFor();
  assert.equal(await vikOption.isDisabled(), true);
  await server.ok(vik.token, 'mutation { setMyStatus(input: { status: READY }) { operator { status } } }');
  await dialog.getByRole('button', { name: 'Refresh' }).click();
  await dialog.locator('label.target:not(.unavailable)', { hasText: 'Vik' }).waitFor();
  assert.equal(await vikOption.isDisabled(), false);
  await screenshot(page, 'transfer-search');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await page.close();
});

test('desktop notifications: asked for on first READY, then invitations and messages in chats not on screen', async () => {
  const nina = await invitedOperator('Nina');
  const queue = await queueWith('Notified', [nina]);
  const page = await browser.context.newPage();
  // The browser's Notification API, recorded; the permission is granted when asked.
  await page.addInitScript(() => {
    window.__asked = 0;
    window.__shown = [];
    window.Notification = class {
      static permission = 'default';
      static requestPermission() {
        window.__asked += 1;
        this.permission = 'granted';
        return Promise.resolve('granted');
      }
      constructor(title, options = {}) {
        window.__shown.push({ title, body: options.body, tag: options.tag });
      }
      close() {}
    };
  });
  await signIn(page, `${server.url}/widget/`, nina.email);
  await goReady(page);
  assert.equal(await page.evaluate(() => window.__asked), 1);

  const first = await handOffTo(queue, '+48500900900', 'My parcel is late');
  await page.waitForFunction(() => window.__shown.length === 1);
  const { chat } = await server.ok(nina.token, 'query($id: ID!) { chat(id: $id) { title } }', { id: first.id });
  assert.deepEqual(await page.evaluate(() => window.__shown[0]), { title: 'New invitation', body: chat.title, tag: `omnipanel-${first.id}` });
  await card(page, first.id).getByRole('button', { name: 'Accept' }).click();

  // A second chat is on screen; the customer of the first writes again.
  const second = await handOffTo(queue, '+48500900901', 'Hello?');
  await page.waitForFunction(() => window.__shown.length === 2);
  await card(page, second.id).getByRole('button', { name: 'Accept' }).click();
  await bubble(page, 'Hello?').waitFor();
  await customerSays(server, org, first.id, 'Are you still there?');
  await page.waitForFunction(() => window.__shown.length === 3);
  assert.deepEqual(await page.evaluate(() => window.__shown[2]), {
    title: `New message: ${chat.title}`,
    body: 'Are you still there?',
    tag: `omnipanel-${first.id}`,
  });
  await page.close();
});

test('Unassigned lists the head of the queue first, and the operator may flip it', async () => {
  const pia = await invitedOperator('Pia');
  // Pia is ONLINE, not READY: both chats wait in her queue, five seconds apart.
  const queue = await queueWith('Backlog', [pia]);
  const older = await handOffTo(queue, '+48500910001', 'First in line');
  await server.advance(org.owner, 5);
  const newer = await handOffTo(queue, '+48500910002', 'Second in line');
  const page = await browser.context.newPage();
  await signIn(page, `${server.url}/widget/`, pia.email);
  await page.getByRole('tab', { name: /Unassigned/ }).click();
  await card(page, newer.id).waitFor();
  const order = () => page.locator('#chat-list article.card').evaluateAll((cards) => cards.map((c) => c.dataset.chatId));
  assert.deepEqual(await order(), [older.id, newer.id]);
  await page.getByRole('button', { name: 'Oldest first' }).click();
  await page.getByRole('button', { name: 'Newest first', pressed: true }).waitFor();
  assert.deepEqual(await order(), [newer.id, older.id]);
  await page.close();
});

test('Unassigned follows the queues the operator joins and leaves, without a reload', async () => {
  const rex = await invitedOperator('Rex');
  const page = await browser.context.newPage();
  await signIn(page, `${server.url}/widget/`, rex.email);
  await page.getByRole('tab', { name: /Unassigned/ }).click();
  // A queue Rex is not in has a chat waiting: his list does not show it.
  const { createQueue } = await server.ok(org.owner, 'mutation { createQueue(input: { name: "Overflow" }) { queue { id } } }');
  const overflow = createQueue.queue.id;
  const waiting = await handOffTo(overflow, '+48500920001', 'Anyone there?');
  assert.equal(waiting.status, 'QUEUED');
  const members = (ops) => server.ok(org.owner, 'mutation($q: ID!, $o: [ID!]!) { setQueueMembers(input: { queueId: $q, operatorIds: $o }) { queue { id } } }', { q: overflow, o: ops.map((o) => o.id) });
  // Made a member, he sees the chat that waits there, and the next one as it comes.
  await members([rex]);
  await card(page, waiting.id).waitFor();
  const next = await handOffTo(overflow, '+48500920002', 'Me too');
  await card(page, next.id).waitFor();
  // No longer a member: both leave his list.
  await members([]);
  await card(page, waiting.id).waitFor({ state: 'detached' });
  await card(page, next.id).waitFor({ state: 'detached' });
  await page.close();
});

test('after-chat work shows its countdown, and Finish ends it early', async () => {
  const fay = await invitedOperator('Fay');
  const wrap = await queueWith('Wrap', [fay]);
  await server.ok(org.owner, 'mutation { updateSettings(input: { afterChatWorkSecs: 300 }) { settings { afterChatWorkSecs } } }');
  try {
    const page = await browser.context.newPage();
    await signIn(page, `${server.url}/widget/`, fay.email);
    await goReady(page);
    const quick = await handOffTo(wrap, '+48500600600', 'Quick one');
    await card(page, quick.id).getByRole('button', { name: 'Accept' }).click();
    await page.getByRole('toolbar', { name: 'Chat actions' }).getByRole('button', { name: 'Close' }).click();
    const closing = page.getByRole('dialog');
    await closing.getByLabel('Wrap-up reason').selectOption({ label: 'Solved' });
    await closing.getByRole('button', { name: 'Close' }).click();
    await closing.waitFor({ state: 'detached' });
    const wrapUp = page.locator('op-status .wrap-up');
    await wrapUp.waitFor();
    await screenshot(page, 'after-chat-work');
    await wrapUp.getByRole('button', { name: 'Finish' }).click();
    await wrapUp.waitFor({ state: 'detached' });
    const { me } = await server.ok(fay.token, '{ me { afterChatWorkUntil } }');
    assert.equal(me.afterChatWorkUntil, null);
    await page.close();
  } finally {
    await server.ok(org.owner, 'mutation { updateSettings(input: { afterChatWorkSecs: 0 }) { settings { afterChatWorkSecs } } }');
  }
});

test('the narrow CTI panel shows one pane at a time, in Russian when asked', async () => {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 320, height: 640 });
  await page.goto(`${server.url}/widget/?lang=ru`);
  assert.deepEqual(await page.evaluate(async () => (await import('./js/i18n.js')).missingKeys()), []);
  await page.getByLabel('Эл. почта').fill(org.anna.email);
  await page.getByLabel('Пароль').fill('a long test password');
  await page.getByRole('button', { name: 'Войти', exact: true }).click();
  await page.getByLabel('Мой статус').waitFor();
  const first = page.locator('article.card').first();
  await first.waitFor();
  await screenshot(page, 'narrow-lists');
  await first.locator('.card-main').click();
  await page.locator('op-conversation .messages').waitFor();
  assert.equal(await page.locator('op-chat-list').isVisible(), false);
  await screenshot(page, 'narrow-conversation');
  await page.getByRole('button', { name: 'Назад к спискам' }).click();
  await page.locator('op-chat-list').waitFor();
  await page.close();
});

test('an operator signs in through the CRM in a popup', async () => {
  const identity = await startIdentityService(org.boris.email);
  const crm = (input) =>
    server.ok(org.owner, 'mutation($i: UpdateCrmConnectionInput!) { updateCrmConnection(input: $i) { crmConnection { kind } } }', { i: input });
  try {
    await crm({
      kind: 'CREATIO',
      baseUrl: identity.url,
      identityUrl: identity.url,
      clientId: 'omnipanel-server',
      clientSecret: 'server-secret',
      oauthClientId: 'omnipanel-panel',
      oauthClientSecret: 'panel-secret',
    });
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/widget/?organization=${org.id}`);
    const popup = page.waitForEvent('popup');
    await page.getByRole('button', { name: 'Sign in through the CRM' }).click();
    // The identity service signs the CRM user in at once; the popup hands the session over.
    await (await popup).waitForEvent('close');
    await page.getByLabel('My status').waitFor();
    const me = await page.evaluate(async () => {
      const token = sessionStorage.getItem('omnipanel.session');
      const response = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ me { firstName } }' }),
      });
      return (await response.json()).data.me;
    });
    assert.deepEqual(me, { firstName: 'Boris' });
    await page.close();
  } finally {
    await crm({ kind: 'LOCAL' });
    identity.stop();
  }
});

test('a queue answers waiting customers out of hours, and archiving it moves its chats with a notice to their operator', async () => {
  const ada = await invitedOperator('Ada', 'ADMIN');
  const kai = await invitedOperator('Kai');
  const returns = await queueWith('Returns', [kai]);
  await queueWith('Returns overflow', [kai]);
  const admin = await browser.context.newPage();
  await admin.setViewportSize({ width: 1280, height: 900 });
  await signIn(admin, `${server.url}/widget/?lang=en`, ada.email);
  await admin.getByRole('button', { name: 'Administration' }).click();
  await admin.getByRole('tablist', { name: 'Administration' }).getByRole('tab', { name: 'Queues' }).click();

  // The queue works on no day of the week but one that is not today (in UTC): it is closed now.
  const today = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'][new Date((await server.advance(org.owner, 1)).advanceClock.now).getUTCDay()];
  const other = today === 'MONDAY' ? 'Tuesday' : 'Monday';
  const row = admin.locator('op-admin-queues tr').filter({ has: admin.getByRole('cell', { name: 'Returns', exact: true }) });
  await row.getByRole('button', { name: /Edit/ }).click();
  const dialog = admin.getByRole('dialog');
  await dialog.getByLabel('Reply when a chat has to wait').fill('Thank you, <customer_name>! An operator will answer shortly.');
  await dialog.getByLabel('Reply outside working hours').fill('We are closed now and will answer tomorrow morning.');
  await dialog.getByRole('checkbox', { name: other }).check();
  await dialog.getByLabel('Time zone of the hours').fill('UTC');
  await screenshot(admin, 'admin-queue-hours');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'detached' });
  await row.getByText(`${other} · closed now (UTC)`).waitFor();

  // Kai is not READY: the chat waits, and the customer hears the out-of-hours reply.
  const waiting = await handOffTo(returns, '+48500930001', 'I want to return a parcel');
  assert.equal(waiting.status, 'QUEUED');
  const said = await server.ok(org.owner, 'query($id: ID!) { chat(id: $id) { messages(first: 10) { edges { node { authorKind text } } } } }', { id: waiting.id });
  assert.deepEqual(said.chat.messages.edges.at(-1).node, { authorKind: 'SYSTEM', text: 'We are closed now and will answer tomorrow morning.' });

  // Kai takes it; then the queue is archived, its chats moved to the overflow queue.
  const page = await browser.context.newPage();
  await signIn(page, `${server.url}/widget/?lang=en`, kai.email);
  await goReady(page);
  await card(page, waiting.id).getByRole('button', { name: 'Accept' }).click();
  await bubble(page, 'I want to return a parcel').waitFor();
  await use(admin);
  await row.getByRole('button', { name: /Archive/ }).click();
  const archive = admin.getByRole('dialog');
  await archive.getByLabel('Move its open chats to').selectOption({ label: 'Returns overflow' });
  await archive.getByRole('button', { name: 'Archive' }).click();
  await archive.waitFor({ state: 'detached' });
  await use(page);
  const notice = page.locator('op-conversation .msg-system.whisper').filter({ hasText: 'The queue Returns was archived: this chat now belongs to the queue Returns overflow' });
  await notice.waitFor();
  await screenshot(page, 'queue-archived-notice');
  const moved = await server.ok(org.owner, 'query($id: ID!) { chat(id: $id) { status queue { name } } }', { id: waiting.id });
  assert.deepEqual(moved.chat, { status: 'NEW', queue: { name: 'Returns overflow' } });

  // A quick reply limited to the overflow queue: offered in its chats, not in Support's.
  await use(admin);
  await admin.getByRole('tablist', { name: 'Administration' }).getByRole('tab', { name: 'Quick replies' }).click();
  await admin.getByRole('button', { name: 'Add a quick reply' }).click();
  const reply = admin.getByRole('dialog');
  await reply.getByLabel('Name').fill('Return label');
  await reply.getByLabel('Text').fill('Here is your return label, <customer_name>.');
  await reply.getByRole('checkbox', { name: 'Returns overflow' }).check();
  await reply.getByRole('button', { name: 'Create' }).click();
  await reply.waitFor({ state: 'detached' });
  await admin.locator('op-admin-replies tr').filter({ hasText: 'Return label' }).getByText('Returns overflow').waitFor();
  await use(page);
  await page.getByRole('button', { name: 'Quick replies' }).click();
  await page.getByRole('option', { name: /Return label/ }).waitFor();
  const offered = async (chatId) =>
    (await server.ok(org.owner, 'query($c: ID!) { quickReplies(chatId: $c) { name } }', { c: chatId })).quickReplies.map((r) => r.name);
  assert.ok((await offered(waiting.id)).includes('Return label'));
  const elsewhere = await handOffTo(org.queueId, '+48500930002', 'Hello');
  const inSupport = await offered(elsewhere.id);
  assert.ok(inSupport.includes('Greeting') && !inSupport.includes('Return label'), inSupport.join());

  // A day the API gave two spans: the dialog edits the first and keeps the second.
  const { queues } = await server.ok(org.owner, '{ queues { id name } }');
  const overflow = queues.find((q) => q.name === 'Returns overflow').id;
  const split = [
    { day: 'MONDAY', opens: '08:00', closes: '12:00' },
    { day: 'MONDAY', opens: '13:00', closes: '17:00' },
  ];
  await server.ok(org.owner, 'mutation($i: UpdateQueueInput!) { updateQueue(input: $i) { queue { id } } }', { i: { id: overflow, workingHours: split } });
  await use(admin);
  await admin.getByRole('tablist', { name: 'Administration' }).getByRole('tab', { name: 'Queues' }).click();
  await admin.locator('op-admin-queues tr').filter({ has: admin.getByRole('cell', { name: 'Returns overflow', exact: true }) }).getByRole('button', { name: /Edit/ }).click();
  const hours = admin.getByRole('dialog');
  await hours.getByText('+1 more, kept as they are').waitFor();
  await hours.locator('input[name="closes-MONDAY"]').fill('11:00');
  await hours.getByRole('button', { name: 'Save' }).click();
  await hours.waitFor({ state: 'detached' });
  const kept = await server.ok(org.owner, '{ queues { name workingHours { day opens closes } } }');
  assert.deepEqual(kept.queues.find((q) => q.name === 'Returns overflow').workingHours, [{ ...split[0], closes: '11:00' }, split[1]]);
  await admin.close();
  await page.close();
});

test('a long conversation opens at its end; earlier pages and a jump to a date load the rest', async () => {
  // The first message on one day, sixty more the next: more than the panel loads at once.
  const queue = await queueWith('Long talks', []);
  const chat = await handOffTo(queue, '+48500940001', 'Day one: where is my parcel?');
  // A day, in steps shorter than a session's twelve idle hours.
  for (let step = 0; step < 3; step += 1) await server.advance(org.owner, 8 * 3600);
  for (let n = 1; n <= 60; n += 1) await customerSays(server, org, chat.id, `Later message ${n}`);
  const lea = await invitedOperator('Lea');
  await server.ok(org.owner, 'mutation($q: ID!, $o: [ID!]!) { setQueueMembers(input: { queueId: $q, operatorIds: $o }) { queue { id } } }', { q: queue, o: [lea.id] });
  const page = await browser.context.newPage();
  await signIn(page, `${server.url}/widget/?lang=en`, lea.email);
  await goReady(page);
  await card(page, chat.id).getByRole('button', { name: 'Accept' }).click();
  await bubble(page, 'Later message 60').waitFor();
  // Only the last page is there; the first day is not.
  assert.equal(await page.locator('op-conversation .msg').count(), 50);
  assert.equal(await bubble(page, 'Day one').count(), 0);
  // Earlier messages: the page before.
  await page.locator('op-conversation .earlier').getByRole('button', { name: 'Earlier messages' }).click();
  await bubble(page, 'Day one').waitFor();
  assert.equal(await page.locator('op-conversation .msg').count(), 61);
  // In the server's order, though the clock stood still while the sixty were written.
  const texts = await page.locator('op-conversation .msg .text').allInnerTexts();
  assert.deepEqual(texts.slice(0, 3), ['Day one: where is my parcel?', 'Later message 1', 'Later message 2']);
  assert.deepEqual(texts.slice(10, 12), ['Later message 10', 'Later message 11']);
  await page.close();

  // A fresh look jumps straight to the first day, loading from there only.
  const again = await browser.context.newPage();
  await signIn(again, `${server.url}/widget/?lang=en`, lea.email);
  await card(again, chat.id).click();
  await bubble(again, 'Later message 60').waitFor();
  await again.getByRole('button', { name: /Jump to a date/ }).click();
  const days = again.getByRole('listbox', { name: 'Jump to a date' }).getByRole('option');
  await days.first().waitFor();
  assert.equal(await days.count(), 2);
  await days.last().click();
  await again.locator('op-conversation .msg.jumped').filter({ hasText: 'Day one: where is my parcel?' }).waitFor();
  await screenshot(again, 'conversation-jump-to-date');
  await again.close();
});

test('no page raised a script error along the way', () => {
  assert.deepEqual(browser.context.pageErrors, []);
});
