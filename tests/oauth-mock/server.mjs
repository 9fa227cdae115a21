// Starts oauth2-mock-server on a free port of 127.0.0.1 with Creatio's identity-service paths
// (/connect/authorize, /connect/token, /connect/userinfo) and prints its URL as one JSON line.
// The user it signs in is `sub` "johndoe" with the e-mail in OAUTH_MOCK_EMAIL.
import { OAuth2Server } from 'oauth2-mock-server';

const server = new OAuth2Server(undefined, undefined, {
  endpoints: {
    authorize: '/connect/authorize',
    token: '/connect/token',
    userinfo: '/connect/userinfo',
  },
});
await server.issuer.keys.generate('RS256');
server.service.on('beforeUserinfo', (response) => {
  response.body = {
    sub: 'johndoe',
    email: process.env.OAUTH_MOCK_EMAIL ?? 'johndoe@example.test',
    name: 'John Doe',
  };
});
await server.start(0, '127.0.0.1');
// Name the address it listens on, not "localhost" (which may resolve to ::1 first).
server.issuer.url = `http://127.0.0.1:${server.address().port}`;
console.log(JSON.stringify({ url: server.issuer.url }));
process.stdin.resume();
process.stdin.on('end', () => server.stop().then(() => process.exit(0)));
