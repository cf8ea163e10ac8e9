// Cross-site request forgery, both ways, in a real browser (Debian's Chromium):
// an admin is logged in to the api's page; a page served on another loopback
// port — same site, so SameSite=Lax sends the admin's cookie along — tries to
// create a token with a text/plain fetch(), to revoke another user's tokens
// with a form post, and to log the browser in as someone else. The api
// refuses each with 403 and nothing changes; the api's own page, same origin,
// still manages tokens with the same cookie.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BUILD, launchChromium, startStack, tempDir } from './stack.mjs';

const ADMIN = 'root-admin';
const VICTIM = 'victim';
const LOGS = path.join(BUILD, 'e2e-browser-cross-origin');

// A login by a script (no Origin: allowed); the access token.
async function login(apiUrl, user) {
  const response = await fetch(`${apiUrl}/v1/auth/token`, {
    method: 'POST', body: new URLSearchParams({ username: user, password: 'any' }),
  });
  const text = await response.text();
  assert.equal(response.status, 200, text);
  return JSON.parse(text).access_token;
}

async function bearer(apiUrl, method, urlPath, token, body) {
  const response = await fetch(`${apiUrl}${urlPath}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.text() };
}

// The attacker's pages, served from another port of the same host.
function attackerPages(apiUrl) {
  const page = (body) => `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>${body}</body></html>`;
  return {
    '/fetch.html': page(`<script>
      fetch(${JSON.stringify(`${apiUrl}/v1/personal-tokens`)}, {
        method: 'POST', credentials: 'include', headers: { 'Content-Type': 'text/plain' },
        body: JSON.stringify({ name: 'planted' }),
      }).then(() => { document.title = 'sent'; }, () => { document.title = 'sent'; });
    </script>`),
    '/revoke.html': page(`<form id="f" method="POST" enctype="text/plain"
        action=${JSON.stringify(`${apiUrl}/v1/admin/users/${VICTIM}/revoke-tokens`)}>
        <input type="hidden" name="x" value="y"></form>
      <script>document.getElementById('f').submit();</script>`),
    '/login.html': page(`<form id="f" method="POST" action=${JSON.stringify(`${apiUrl}/v1/auth/token`)}>
        <input type="hidden" name="username" value="attacker">
        <input type="hidden" name="password" value="x"></form>
      <script>document.getElementById('f').submit();</script>`),
  };
}

describe('cross-origin requests with the session cookie', { concurrency: false }, () => {
  let stack;
  let attacker;
  let attackerUrl;
  let context;
  let page;
  let userDataDir;
  let victimTokens;

  before(async () => {
    fs.rmSync(LOGS, { recursive: true, force: true });
    stack = await startStack(LOGS, { apiSettings: { admin_users: ADMIN } });
    const pages = attackerPages(stack.api.url);
    attacker = http.createServer((request, response) => {
      const body = pages[request.url];
      response.writeHead(body ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8' });
      response.end(body || '');
    });
    await new Promise((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    attackerUrl = `http://127.0.0.1:${attacker.address().port}`;
    userDataDir = tempDir('tokengate-chromium-');
    context = await launchChromium(userDataDir);
    context.setDefaultTimeout(10000);
    page = context.pages()[0] || await context.newPage();

    const victimAccess = await login(stack.api.url, VICTIM);
    victimTokens = [];
    for (const name of ['nightly', 'hourly']) {
      const created = await bearer(stack.api.url, 'POST', '/v1/personal-tokens', victimAccess, { name });
      assert.equal(created.status, 200, created.body);
      victimTokens.push(JSON.parse(created.body).content);
    }
  });

  after(async () => {
    try {
      if (context) await context.close();
      if (attacker) attacker.close();
    } finally {
      if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
      if (stack) await stack.stop();
    }
  });

  // The api's answer to the attacker page's request (the page itself cannot read it).
  async function answerTo(attackPath, apiPath) {
    const answered = page.waitForResponse((r) => r.url() === `${stack.api.url}${apiPath}`);
    await page.goto(attackerUrl + attackPath);
    return answered;
  }

  async function adminTokenNames() {
    const listed = await bearer(stack.api.url, 'GET', '/v1/personal-tokens', await login(stack.api.url, ADMIN));
    assert.equal(listed.status, 200, listed.body);
    return JSON.parse(listed.body).items.map((item) => item.data.name);
  }

  test('the admin logs in on the api page', async () => {
    await page.goto(stack.api.url + '/');
    await page.locator('#login-username').fill(ADMIN);
    await page.locator('#login-password').fill('any-password');
    await page.locator('#login-password').press('Enter');
    await page.locator('#user-menu-button').waitFor({ state: 'visible' });
    const cookies = await context.cookies(stack.api.url);
    assert.ok(cookies.some((c) => c.name === 'tokengate_session'));
  });

  test('a text/plain fetch() from another port cannot create a token', async () => {
    // CORS hides the answer from the page (and from playwright's response
    // events): the fetch is watched as it goes, its outcome on the server.
    const sent = page.waitForRequest((r) => r.url() === `${stack.api.url}/v1/personal-tokens`);
    await page.goto(attackerUrl + '/fetch.html');
    assert.equal((await sent).method(), 'POST');
    await page.waitForFunction(() => document.title === 'sent');
    // The browser sends the cookie along (same site): only the api can refuse.
    assert.deepEqual(await adminTokenNames(), []);
  });

  test('a form posted from another port cannot revoke another user\'s tokens', async () => {
    const answer = await answerTo('/revoke.html', `/v1/admin/users/${VICTIM}/revoke-tokens`);
    assert.ok((await answer.request().allHeaders()).cookie?.includes('tokengate_session='));
    assert.equal(answer.status(), 403);
    for (const content of victimTokens) {
      assert.equal((await bearer(stack.api.url, 'GET', '/v1/users/me', content)).status, 200);
    }
  });

  test('a form posted from another port cannot log the browser in as someone else', async () => {
    const answer = await answerTo('/login.html', '/v1/auth/token');
    assert.equal(answer.status(), 403);
    assert.equal(await answer.headerValue('set-cookie'), null);
    await page.goto(stack.api.url + '/');
    await page.locator('#user-name').filter({ hasText: ADMIN }).waitFor({ state: 'attached' });
  });

  test('the api page, same origin, still creates and revokes with the cookie', async () => {
    await page.goto(stack.api.url + '/');
    await page.locator('#user-menu-button').waitFor({ state: 'visible' });
    const outcome = await page.evaluate(async () => {
      const created = await fetch('/v1/personal-tokens', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'mine' }),
      });
      const token = await created.json();
      const revoked = await fetch(`/v1/personal-tokens/${token.id}`, { method: 'DELETE' });
      const offboarded = await fetch('/v1/admin/users/victim/revoke-tokens', { method: 'POST' });
      return [created.status, revoked.status, offboarded.status];
    });
    assert.deepEqual(outcome, [200, 204, 200]);
    for (const content of victimTokens) {
      assert.equal((await bearer(stack.api.url, 'GET', '/v1/users/me', content)).status, 401);
    }
  });
});
