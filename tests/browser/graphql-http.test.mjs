// The GraphQL over HTTP specification's audit suite (`graphql-http`, the specification's
// reference implementation) against a real `omnipanel serve`: every MUST and every SHOULD
// passes. The MAY checks are printed, not required (a MAY is the server's choice).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serverAudits } from 'graphql-http';
import { Server } from './harness.mjs';

const server = new Server();

before(async () => {
  await server.start();
});

after(async () => {
  await server.dispose();
});

test('the GraphQL over HTTP audit: every MUST and SHOULD passes', async () => {
  const audits = serverAudits({ url: () => `${server.url}/graphql` });
  const results = await Promise.all(audits.map(async ({ id, name, fn }) => ({ id, name, ...(await fn()) })));
  const failed = results.filter((r) => r.status !== 'ok');
  for (const r of failed) {
    const status = r.response ? ` (status ${r.response.status})` : '';
    console.log(`${r.status} ${r.id} ${r.name}: ${r.reason}${status}`);
  }
  const required = failed.filter((r) => /^(MUST|SHOULD) /.test(r.name));
  console.log(`${results.length - failed.length} of ${results.length} audits pass`);
  assert.deepEqual(required.map((r) => `${r.id} ${r.name}`), []);
});
