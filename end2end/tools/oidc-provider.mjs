// A real OpenID provider for the tests (npm `oidc-provider`, a certified
// implementation), on loopback: Quire's single sign-on is tested against it,
// from the Rust integration tests and from the browser suite.
//
//   node end2end/tools/oidc-provider.mjs [port]      (0 or none: any free port)
//
// Prints `listening on http://127.0.0.1:PORT` once it answers. Anyone may sign
// in on its login page with any name and any password: the name becomes the
// account's `sub` and `preferred_username`, and `…@example.test` its e-mail.
// One client, `quire` / `quire-test-secret`, confidential, code flow with PKCE
// required, redirecting to `http://127.0.0.1:<any port>/auth/oidc/callback`
// (a native client: RFC 8252 lets a loopback redirect change its port), so
// every Quire a test starts on a free port may use it.
//
// For the failure tests: `GET /__test/expire-id-tokens?on=1` makes ID tokens
// live one second and holds every token response two seconds, so the ID token
// Quire receives has already expired; `?on=0` restores them.

import http from 'node:http';
import Provider from 'oidc-provider';

const port = Number(process.argv[2] ?? 0);
const host = '127.0.0.1';
let expireIdTokens = false;

const server = http.createServer();
server.listen(port, host, () => {
  const issuer = `http://${host}:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'quire',
        client_secret: 'quire-test-secret',
        application_type: 'native',
        redirect_uris: ['http://127.0.0.1/auth/oidc/callback'],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['quire-test-provider-cookie-key'] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['preferred_username', 'name'],
    },
    // The ID token carries the requested claims itself, as many providers' do.
    conformIdTokenClaims: false,
    ttl: {
      IdToken: () => (expireIdTokens ? 1 : 300),
    },
    async findAccount(_ctx, sub) {
      return {
        accountId: sub,
        async claims() {
          const name = String(sub);
          return {
            sub: name,
            preferred_username: name,
            name: name.charAt(0).toUpperCase() + name.slice(1),
            email: `${name.toLowerCase()}@example.test`,
            email_verified: true,
          };
        },
      };
    },
  });
  // Its own failures go to stderr (a test shows them when it fails).
  provider.on('server_error', (_ctx, error) => console.error('oidc-provider server_error:', error));
  // A token response held back (after it was made) while ID tokens expire.
  provider.use(async (ctx, next) => {
    await next();
    if (expireIdTokens && ctx.path === '/token') {
      await new Promise((resolve) => setTimeout(resolve, 2100));
    }
  });
  const handle = provider.callback();
  server.on('request', (req, res) => {
    const url = new URL(req.url, issuer);
    if (url.pathname === '/__test/expire-id-tokens') {
      expireIdTokens = url.searchParams.get('on') === '1';
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`expire-id-tokens ${expireIdTokens ? 'on' : 'off'}\n`);
      return;
    }
    handle(req, res);
  });
  console.log(`listening on ${issuer}`);
});
