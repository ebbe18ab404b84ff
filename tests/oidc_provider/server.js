// A real OpenID Connect provider for the sign-in tests, built on the certified
// `oidc-provider` package. Never deployed: tests/test_sso.py starts it on a free port.
// Version 8 (with jose 5): it runs on Debian 12's own Node.js 18 (CI installs it from apt)
// as well as on Node 20; version 9 needs Node 20 or later.
//
// What the tests drive over HTTP:
// - the sign-in page at /interaction/<uid>: a plain form (email, email verified,
//   "used a second factor", hosted domain `hd`, tenant `tid`), so a test signs in as
//   anyone, with or without multi-factor authentication;
// - two confidential clients: "cpoms" (the app) and "other" (another application of the
//   same provider, whose tokens the app must refuse);
// - POST /_test/next-token mode=<how>: the next token response is altered on its way out
//   (wrong_aud, expired, wrong_iss, wrong_nonce: re-signed with the provider's own key;
//   tampered: a claim changed after signing), as a hostile network or a broken provider would.
import * as crypto from 'node:crypto';
import * as http from 'node:http';

import { SignJWT, importJWK, decodeProtectedHeader } from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT || 0);
// The tests name it "localhost" while the app runs at 127.0.0.1: another site, so the browser's
// round trip is cross-site, as with a real provider (the session cookie is SameSite=Lax).
const issuer = `http://${process.env.ISSUER_HOST || '127.0.0.1'}:${port}`;

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingJwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key-1', alg: 'RS256', use: 'sig' };
const signingKey = await importJWK(signingJwk, 'RS256');

// Who signed in, as the sign-in form said: the claims the ID token carries.
const accounts = new Map();
let nextTokenMode = null;

const configuration = {
  clients: [
    {
      client_id: 'cpoms',
      client_secret: 'cpoms-test-secret',
      redirect_uris: ['http://localhost/login/sso/test/callback'],
      post_logout_redirect_uris: ['http://localhost/login'],
    },
    {
      client_id: 'other',
      client_secret: 'other-test-secret',
      redirect_uris: ['http://localhost/login/sso/test/callback'],
    },
  ],
  jwks: { keys: [signingJwk] },
  cookies: { keys: ['test-provider-cookie-key'] },
  claims: {
    openid: ['sub', 'hd', 'tid', 'amr'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  // Like Microsoft and Google: the email is in the ID token itself.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: { IdToken: 3600, AccessToken: 3600, AuthorizationCode: 60, Session: 3600, Interaction: 600, Grant: 3600 },
  async findAccount(ctx, id) {
    const profile = accounts.get(id);
    if (!profile) return undefined;
    return {
      accountId: id,
      async claims() {
        const claims = { sub: id, email: profile.email, name: profile.email.split('@')[0] };
        if (profile.email_verified !== null) claims.email_verified = profile.email_verified;
        if (profile.hd) claims.hd = profile.hd;
        if (profile.tid) claims.tid = profile.tid;
        claims.amr = profile.amr;
        return claims;
      },
    };
  },
  // Every client is pre-approved: no consent screen (as a school's own tenant admin would set it).
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    grant.addOIDCClaims(['sub', 'email', 'email_verified', 'name', 'hd', 'tid', 'amr']);
    await grant.save();
    return grant;
  },
};

const provider = new Provider(issuer, configuration);
provider.proxy = false;

// The app under test runs on a port chosen at random: accept its callback (and sign-out
// return) on the loopback interface, at the app's paths only.
const LOOPBACK = /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/login(\/sso\/[a-z0-9-]+\/callback)?$/;
const { Client } = provider;
const redirectAllowed = Client.prototype.redirectUriAllowed;
Client.prototype.redirectUriAllowed = function allowed(value) {
  return redirectAllowed.call(this, value) || (LOOPBACK.test(value) && value.includes('/callback'));
};
const logoutAllowed = Client.prototype.postLogoutRedirectUriAllowed;
Client.prototype.postLogoutRedirectUriAllowed = function allowed(value) {
  return logoutAllowed.call(this, value) || LOOPBACK.test(value);
};

function b64url(value) {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

async function misbehave(idToken, mode) {
  const [header, payload, signature] = idToken.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  if (mode === 'tampered') {
    claims.email = 'dsl@ashgrove.example.org';
    return `${header}.${b64url(claims)}.${signature}`;
  }
  if (mode === 'wrong_aud') claims.aud = 'other';
  else if (mode === 'expired') { claims.iat -= 7200; claims.exp = claims.iat + 600; }
  else if (mode === 'wrong_iss') claims.iss = 'http://127.0.0.1:1/';
  else if (mode === 'wrong_nonce') claims.nonce = 'not-the-nonce-you-sent';
  else if (mode === 'unsigned') {
    return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
  }
  const { kid, alg } = decodeProtectedHeader(idToken);
  return new SignJWT(claims).setProtectedHeader({ alg, kid, typ: 'JWT' }).sign(signingKey);
}

provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/token' && ctx.method === 'POST' && nextTokenMode && ctx.body && ctx.body.id_token) {
    const mode = nextTokenMode;
    nextTokenMode = null;
    ctx.body = { ...ctx.body, id_token: await misbehave(ctx.body.id_token, mode) };
  }
});

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => resolve(new URLSearchParams(data)));
    req.on('error', reject);
  });
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function signInPage(uid, clientId) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test provider: sign in</title></head>
<body><h1>Test identity provider</h1><p>Signing in to ${escape(clientId)}</p>
<form method="post" action="/interaction/${escape(uid)}">
<p><label for="email">Email</label> <input id="email" name="email" type="email" required></p>
<p><label for="email_verified">Email verified</label>
<select id="email_verified" name="email_verified"><option value="true">yes</option><option value="false">no</option><option value="">not sent</option></select></p>
<p><input id="mfa" name="mfa" type="checkbox" value="1"> <label for="mfa">Used a second factor</label></p>
<p><label for="hd">Hosted domain</label> <input id="hd" name="hd"></p>
<p><label for="tid">Tenant</label> <input id="tid" name="tid"></p>
<p><button type="submit">Sign in at the provider</button></p>
</form></body></html>`;
}

const handler = provider.callback();

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    if (url.pathname === '/_test/next-token' && req.method === 'POST') {
      nextTokenMode = (await readBody(req)).get('mode') || null;
      res.writeHead(204).end();
      return;
    }
    const match = url.pathname.match(/^\/interaction\/([A-Za-z0-9_-]+)$/);
    if (match && req.method === 'GET') {
      const details = await provider.interactionDetails(req, res);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(signInPage(details.uid, details.params.client_id));
      return;
    }
    if (match && req.method === 'POST') {
      const form = await readBody(req);
      const email = (form.get('email') || '').trim();
      const verified = form.get('email_verified');
      const amr = form.get('mfa') ? ['pwd', 'mfa'] : ['pwd'];
      accounts.set(email, {
        email,
        amr,
        email_verified: verified === '' ? null : verified !== 'false',
        hd: form.get('hd') || '',
        tid: form.get('tid') || '',
      });
      await provider.interactionFinished(req, res, { login: { accountId: email, amr } }, { mergeWithLastSubmission: false });
      return;
    }
    handler(req, res);
  } catch (error) {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String(error));
  }
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${issuer}\n`);
});
