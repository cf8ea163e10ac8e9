// One person's first visit with the keycloak provider, in Debian's Chromium:
// the api's page sends the browser to Keycloak's own login form, the person
// signs in, lands back on the page logged in, opens Personal tokens and
// creates a token. Run by tests/e2e/keycloak/test_keycloak_login.py, which
// owns Keycloak and the api; prints one JSON line: the token's value and the
// login latency (callback request → the page showing the user).
// Usage: node keycloak_login.mjs API_URL USER PASSWORD SCREENSHOT_DIR
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [apiUrl, user, password, shots] = process.argv.slice(2);
const CHROMIUM = process.env.TOKENGATE_CHROMIUM || '/usr/bin/chromium';
const UI_TIMEOUT_MS = 20000;

fs.mkdirSync(shots, { recursive: true });
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokengate-chromium-kc-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1200, height: 760 },
  permissions: ['clipboard-read', 'clipboard-write'],
  timezoneId: 'UTC',
});
try {
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  const page = context.pages()[0] || await context.newPage();
  let callbackAt = null;
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/v1/auth/callback') callbackAt = performance.now();
  });

  await page.goto(`${apiUrl}/`);
  // Keycloak's own form, on Keycloak's origin.
  await page.locator('#username').waitFor({ state: 'visible' });
  assert.notEqual(new URL(page.url()).origin, new URL(apiUrl).origin);
  await page.screenshot({ path: path.join(shots, '01-keycloak-login-form.png') });
  await page.locator('#username').fill(user);
  await page.locator('#password').fill(password);
  await page.locator('#kc-login').click();

  await page.locator('#user-name').filter({ hasText: user }).waitFor({ state: 'visible' });
  const latencyMs = performance.now() - callbackAt;
  assert.equal(new URL(page.url()).origin, new URL(apiUrl).origin);
  const session = (await context.cookies(apiUrl)).find((c) => c.name === 'tokengate_session');
  assert.ok(session && session.httpOnly && session.sameSite === 'Lax', 'HttpOnly, SameSite=Lax session cookie');
  assert.doesNotMatch(session.value, /^eyJ/, 'the cookie holds no IdP token');
  await page.screenshot({ path: path.join(shots, '02-logged-in.png') });

  await page.locator('#user-menu-button').click();
  await page.getByRole('menuitem', { name: 'Personal tokens' }).click();
  await page.locator('#tokens-view').waitFor({ state: 'visible' });
  await page.locator('#create-first-button').click();
  await page.locator('#create-name').fill('keycloak-browser');
  await page.locator('#create-dialog button[type="submit"]').click();
  await page.locator('#content-dialog').waitFor({ state: 'visible' });
  const content = await page.locator('#content-value').inputValue();
  assert.match(content, /^personal_token_[\w-]+\.[\w-]+\.[\w-]+$/);
  await page.screenshot({ path: path.join(shots, '03-token-created.png') });
  process.stdout.write(`${JSON.stringify({ token: content, login_latency_ms: latencyMs })}\n`);
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
