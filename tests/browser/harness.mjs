// What the browser tests stand on: a real `omnipanel serve` process (the debug binary the
// README's test command builds) on a fresh database with a manual clock, an organization set up
// through the public GraphQL API, CRM pages on other origins that frame the panel, and Debian's
// Chromium driven by playwright-core.
//
// OMNIPANEL_BIN overrides the binary; OMNIPANEL_BROWSER_DB=postgres runs on a fresh PostgreSQL
// database on OMNIPANEL_TEST_POSTGRES instead of an SQLite file.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { chromium } from 'playwright-core';

const TARGET = resolve(process.env.CARGO_TARGET_DIR ?? join(import.meta.dirname, '..', '..', 'target'));
const BIN = process.env.OMNIPANEL_BIN ?? join(TARGET, 'debug', 'omnipanel');
export const SCREENSHOTS = join(TARGET, 'browser-screenshots');
export const PASSWORD = 'a long test password';

/** A free TCP port on the loopback interface. */
async function freePort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/** A fresh database URL (and how to drop it). */
function freshDatabase(dir) {
  if (process.env.OMNIPANEL_BROWSER_DB !== 'postgres') {
    return { url: `sqlite://${join(dir, 'omnipanel.db')}`, drop: () => {} };
  }
  const admin = process.env.OMNIPANEL_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `omnipanel_test_${randomUUID().replaceAll('-', '')}`;
  execFileSync('psql', [admin, '-qc', `CREATE DATABASE "${name}"`]);
  return {
    url: `${admin.slice(0, admin.lastIndexOf('/'))}/${name}`,
    drop: () => execFileSync('psql', [admin, '-qc', `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`]),
  };
}

/** Runs `omnipanel` with arguments and returns what it printed. */
function omnipanel(args) {
  return execFileSync(BIN, args, { encoding: 'utf8', env: { ...process.env, OMNIPANEL_LOG: 'warn' } });
}

/**
 * The server: `start()`, `stop()`, `restart()`, and GraphQL helpers. With `{ demo: true }` it
 * runs `serve --demo`, and `printed` holds what it told the newcomer.
 */
export class Server {
  constructor({ demo = false } = {}) {
    this.demo = demo;
  }

  async start() {
    this.dir ??= mkdtempSync(join(tmpdir(), 'omnipanel-browser-'));
    this.database ??= freshDatabase(this.dir);
    this.port ??= await freePort();
    this.url = `http://127.0.0.1:${this.port}`;
    this.process = spawn(
      BIN,
      [
        'serve',
        '--test-clock',
        '--listen', `127.0.0.1:${this.port}`,
        '--public-url', this.url,
        '--database-url', this.database.url,
        '--files-dir', join(this.dir, 'files'),
        '--secret-key-file', join(this.dir, 'secret.key'),
        // The fake CRM listens on 127.0.0.1.
        '--allow-private-upstreams',
        ...(this.demo ? ['--demo'] : []),
      ],
      { env: { ...process.env, OMNIPANEL_LOG: process.env.OMNIPANEL_LOG ?? 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    // What it prints; the demo's lines follow the first one and end with GraphiQL's address.
    this.printed = '';
    const expected = this.demo ? '  GraphiQL' : 'Omnipanel listening on';
    await new Promise((ready, fail) => {
      this.process.once('exit', (code) => fail(new Error(`omnipanel serve exited with ${code}: ${this.printed}`)));
      this.process.stdout.on('data', (chunk) => {
        this.printed += chunk;
        if (this.printed.includes(expected)) ready();
      });
    });
    this.process.removeAllListeners('exit');
    return this;
  }

  async stop() {
    if (!this.process || this.process.exitCode !== null) return;
    const exited = once(this.process, 'exit');
    this.process.kill('SIGTERM');
    await exited;
  }

  async restart() {
    await this.stop();
    await this.start();
  }

  async dispose() {
    await this.stop();
    this.database?.drop();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs a GraphQL operation; returns `{ data, errors }`. */
  async gql(token, query, variables = {}) {
    const response = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return response.json();
  }

  /** Runs a GraphQL operation that must succeed; returns its data. */
  async ok(token, query, variables = {}) {
    const body = await this.gql(token, query, variables);
    if (body.errors) throw new Error(`${query}\n→ ${JSON.stringify(body.errors)}`);
    return body.data;
  }

  async signIn(email, password = PASSWORD) {
    const data = await this.ok(null, 'mutation($e: String!, $p: String!) { signIn(input: { email: $e, password: $p }) { token } }', { e: email, p: password });
    return data.signIn.token;
  }

  /** Moves the server's clock and fires what became due (SLA, RONA, AWAY). */
  advance(owner, seconds) {
    return this.ok(owner, 'mutation($s: Int!) { advanceClock(input: { seconds: $s }) { now } }', { s: seconds });
  }
}

/**
 * A new organization with nothing in it but its owner (`omnipanel org create`, as an operator of
 * the server does it): its id, the owner's e-mail and a session of theirs.
 */
export async function createOrganization(server, name = 'Browser test') {
  const ownerEmail = `owner-${randomUUID()}@example.test`;
  const created = JSON.parse(
    omnipanel(['org', 'create', '--name', name, '--owner-email', ownerEmail, '--owner-password', PASSWORD, '--database-url', server.database.url]),
  );
  return { id: created.organization_id, ownerEmail, owner: await server.signIn(ownerEmail) };
}

/**
 * An organization ready to take chats: the owner, two operators (Anna and Boris) in the queue
 * "Support", a chatbot key, a wrap-up reason, a result and a quick reply; `hostOrigins` may
 * frame the panel.
 */
export async function setUpOrganization(server, { hostOrigins = [] } = {}) {
  const { id, owner } = await createOrganization(server);
  const operator = async (firstName) => {
    const email = `${firstName.toLowerCase()}-${randomUUID()}@example.test`;
    const invited = await server.ok(owner, 'mutation($e: String!) { inviteOperator(input: { email: $e, role: OPERATOR }) { invitationToken } }', { e: email });
    const accepted = await server.ok(
      null,
      'mutation($t: String!, $p: String!, $f: String!) { acceptInvitation(input: { token: $t, password: $p, firstName: $f, lastName: "Tester" }) { operator { id } } }',
      { t: invited.inviteOperator.invitationToken, p: PASSWORD, f: firstName },
    );
    return { id: accepted.acceptInvitation.operator.id, email, firstName };
  };
  const anna = await operator('Anna');
  const boris = await operator('Boris');
  const { createQueue } = await server.ok(owner, 'mutation { createQueue(input: { name: "Support" }) { queue { id } } }');
  const queueId = createQueue.queue.id;
  await server.ok(owner, 'mutation($q: ID!, $o: [ID!]!) { setQueueMembers(input: { queueId: $q, operatorIds: $o }) { queue { id } } }', {
    q: queueId,
    o: [anna.id, boris.id],
  });
  const { createApiKey } = await server.ok(owner, 'mutation { createApiKey(input: { scope: CHATBOT, name: "bot" }) { key } }');
  const { createWrapUpReason } = await server.ok(owner, 'mutation { createWrapUpReason(input: { name: "Solved" }) { wrapUpReason { id } } }');
  await server.ok(owner, 'mutation { createChatResult(input: { name: "Order found" }) { chatResult { id } } }');
  await server.ok(owner, 'mutation { createQuickReply(input: { name: "Greeting", text: "Hello, <customer_name>! I am <operator_name>." }) { quickReply { id } } }');
  await server.ok(owner, 'mutation($o: [String!]!) { updateSettings(input: { frameAncestors: $o }) { settings { frameAncestors } } }', { o: hostOrigins });
  return {
    id,
    owner,
    anna,
    boris,
    queueId,
    chatbot: createApiKey.key,
    wrapUpReasonId: createWrapUpReason.wrapUpReason.id,
  };
}

/** The chatbot hands a conversation over; returns the chat's id and title. */
export async function handOff(server, org, { phone, name = 'Jan Kowalski', text = 'Where is my order?' }) {
  const data = await server.ok(
    org.chatbot,
    `mutation($q: ID!, $p: String!, $n: String!, $t: String!) {
      handOffChat(input: { queueId: $q, source: TELEGRAM, customer: { phone: $p, name: $n }, transcript: [{ authorKind: CUSTOMER, text: $t }] }) {
        chat { id title }
      }
    }`,
    { q: org.queueId, p: phone, n: name, t: text },
  );
  return data.handOffChat.chat;
}

/** The customer writes again (through the chatbot's key). */
export function customerSays(server, org, chatId, text) {
  return server.ok(
    org.chatbot,
    'mutation($c: ID!, $t: String!) { postCustomerMessage(input: { chatId: $c, authorKind: CUSTOMER, text: $t }) { message { id } } }',
    { c: chatId, t: text },
  );
}

/** A CRM's page on its own origin that frames the panel and records what it is told. */
export async function crmPage(panelUrl) {
  const server = createServer((request, response) => {
    response.setHeader('content-type', 'text/html; charset=utf-8');
    response.end(`<!doctype html><meta charset="utf-8"><title>CRM</title>
<h1>CRM</h1>
<iframe id="panel" src="${panelUrl}" width="420" height="640" title="Omnipanel"></iframe>
<script>
  window.received = [];
  addEventListener('message', (e) => window.received.push({ origin: e.origin, data: e.data }));
</script>`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { origin: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

/**
 * The CRM's identity service: oauth2-mock-server (tests/oauth-mock, `npm ci` there), which signs
 * in the CRM user `johndoe` with `email` without asking.
 */
export async function startIdentityService(email) {
  const child = spawn(process.execPath, ['server.mjs'], {
    cwd: join(import.meta.dirname, '..', 'oauth-mock'),
    env: { ...process.env, OAUTH_MOCK_EMAIL: email },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const [line] = await once(child.stdout, 'data');
  return { url: JSON.parse(String(line)).url, stop: () => child.stdin.end() };
}

/** Debian's Chromium, headless, on a fresh profile. */
export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), 'omnipanel-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    viewport: { width: 1280, height: 800 },
  });
  context.pageErrors = [];
  context.on('page', (page) => page.on('pageerror', (error) => context.pageErrors.push(`${error.message}\n${error.stack}`)));
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Writes a screenshot of `page` as `<name>.png` under target/browser-screenshots. */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

/** The README's pictures, which the suite takes anew on every run so they stay true. */
export const DOCS = join(import.meta.dirname, '..', '..', 'docs');

/** Signs in on the panel with e-mail and password. */
export async function signIn(page, url, email) {
  await page.goto(url);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByLabel('My status').waitFor();
}

/** Polls until `check` holds (10 s at most); resolves to what it returned. */
export async function until(what, check) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * An HTTP receiver on 127.0.0.1 standing for a provider or a webhook's endpoint: it records
 * each JSON body with its headers in `received` and answers `status` (200, or what the test
 * sets). `url` is its address; `close()` stops it.
 */
export async function startReceiver() {
  const receiver = { received: [], status: 200 };
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      receiver.received.push({ body: JSON.parse(body), headers: request.headers });
      response.statusCode = receiver.status;
      response.end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  receiver.url = `http://127.0.0.1:${server.address().port}`;
  receiver.close = () => server.close();
  return receiver;
}
