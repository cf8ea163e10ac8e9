// The personal tokens page in a real browser (Debian's Chromium driven by
// playwright-core) against the real api, authority and PostgreSQL: a person
// logs in, creates, refreshes, reads the history of and revokes a token, and
// the token's value from the clipboard works (or stops working) with a plain
// bearer request. The
// steps are one story and run in order; each saves a screenshot.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BUILD, launchChromium, startStack, tempDir } from './stack.mjs';

const SHOTS = process.env.TOKENGATE_SCREENSHOT_DIR || path.join(BUILD, 'e2e-browser-screenshots');
const MAX_DURATION_DAYS = 366;
const UI_TIMEOUT_MS = 10000;

function utcDayFromToday(days) {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + days * 86400000)
    .toISOString().slice(0, 10);
}

// GET /v1/users/me with the token as a script would send it; the status code.
async function bearerStatus(apiUrl, token) {
  const response = await fetch(`${apiUrl}/v1/users/me`, { headers: { Authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

describe('personal tokens page', { concurrency: false }, () => {
  let stack;
  let context;
  let page;
  let userDataDir;
  let shot = 0;
  const tokenRequests = [];
  const state = {};

  async function screenshot(name) {
    shot += 1;
    const file = path.join(SHOTS, `${String(shot).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  }

  const createDialog = () => page.locator('#create-dialog');
  const contentDialog = () => page.locator('#content-dialog');
  const row = (name) => page.locator('#tokens-body tr', { has: page.locator('th', { hasText: name }) });

  // Reads the clipboard the page wrote to.
  const clipboard = () => page.evaluate(() => navigator.clipboard.readText());

  // The content dialog's value, checked against the clipboard; closes the dialog.
  async function takeShownContent() {
    await contentDialog().waitFor({ state: 'visible' });
    await assertCopied();
    const content = await page.locator('#content-value').inputValue();
    assert.match(content, /^personal_token_[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.equal(await clipboard(), content);
    return content;
  }

  async function assertCopied() {
    await page.locator('#content-copy-status').filter({ hasText: 'Copied to the clipboard.' })
      .waitFor({ state: 'visible' });
  }

  before(async () => {
    fs.rmSync(SHOTS, { recursive: true, force: true });
    fs.mkdirSync(SHOTS, { recursive: true });
    stack = await startStack(path.join(SHOTS, 'logs'), { maxDurationDays: MAX_DURATION_DAYS });
    userDataDir = tempDir('tokengate-chromium-');
    // launchPersistentContext: a fresh --user-data-dir we own and remove.
    context = await launchChromium(userDataDir, { permissions: ['clipboard-read', 'clipboard-write'] });
    context.setDefaultTimeout(UI_TIMEOUT_MS);
    page = context.pages()[0] || await context.newPage();
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.startsWith('/v1/personal-tokens')) {
        tokenRequests.push(`${request.method()} ${new URL(request.url()).pathname}`);
      }
    });
  });

  after(async () => {
    try {
      if (context) await context.close();
    } finally {
      if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
      if (stack) await stack.stop();
    }
  });

  test('the page is served by the api and asks for a login', async () => {
    const response = await page.goto(stack.api.url + '/');
    assert.equal(response.status(), 200);
    await page.locator('#login-view').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#user-menu').isVisible(), false);
    await screenshot('login');
  });

  test('logging in with the keyboard shows the user menu with Personal tokens', async () => {
    await page.locator('#login-username').focus();
    await page.keyboard.type('alice');
    await page.keyboard.press('Tab');
    await page.keyboard.type('any-password');
    await page.keyboard.press('Enter');
    await page.locator('#user-menu-button').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#user-name').textContent(), 'alice');
    const cookies = await context.cookies(stack.api.url);
    const session = cookies.find((c) => c.name === 'tokengate_session');
    assert.ok(session && session.httpOnly, 'the login sets the HttpOnly session cookie');

    await page.keyboard.press('ArrowDown');
    const item = page.getByRole('menuitem', { name: 'Personal tokens' });
    await item.waitFor({ state: 'visible' });
    assert.equal(await item.evaluate((el) => el === document.activeElement), true);
    await screenshot('user-menu');
    await page.keyboard.press('Enter');
  });

  test('an empty list says so and offers Create', async () => {
    await page.locator('#tokens-view').waitFor({ state: 'visible' });
    await page.locator('#tokens-empty').waitFor({ state: 'visible' });
    assert.match(await page.locator('#tokens-empty').textContent(), /no personal tokens yet/);
    assert.equal(await page.locator('#tokens-table-wrap').isVisible(), false);
    await screenshot('empty-list');
  });

  test('"Found a token that leaked?" shows the curl line for this host', async () => {
    await page.locator('#leak-help summary').click();
    const line = await page.locator('#leak-help pre').textContent();
    assert.ok(line.includes(`curl -X POST ${new URL(stack.api.url).origin}/v1/personal-tokens/revoke`), line);
    await screenshot('leak-help');
    await page.locator('#leak-help summary').click();
  });

  test('the Create dialog limits Until to tomorrow .. today + max duration', async () => {
    await page.locator('#create-first-button').click();
    await createDialog().waitFor({ state: 'visible' });
    assert.equal(await page.locator('#create-name').evaluate((el) => el === document.activeElement), true);
    assert.equal(await page.locator('#create-until').getAttribute('min'), utcDayFromToday(1));
    assert.equal(await page.locator('#create-until').getAttribute('max'), utcDayFromToday(MAX_DURATION_DAYS));
    await screenshot('create-dialog');
  });

  test('Escape closes the dialog and returns focus to its button', async () => {
    await page.keyboard.press('Escape');
    await createDialog().waitFor({ state: 'hidden' });
    assert.equal(await page.locator('#create-first-button').evaluate((el) => el === document.activeElement), true);
  });

  test('create shows the value once, copies it, and the value works as a bearer token', async () => {
    await page.locator('#create-first-button').click();
    await page.locator('#create-name').fill('ci-pipeline');
    await page.locator('#create-until').fill(utcDayFromToday(30));
    await page.locator('#create-dialog button[type="submit"]').click();
    const content = await takeShownContent();
    assert.equal(await page.locator('#content-value').getAttribute('readonly'), '');
    assert.match(await page.locator('#content-warning').textContent(), /cannot be shown again/);
    await screenshot('created-content');
    assert.equal(await bearerStatus(stack.api.url, content), 200);
    state.first = content;
  });

  test('closing the value dialog forgets the value; the list shows the token', async () => {
    await contentDialog().getByRole('button', { name: 'Done' }).click();
    await contentDialog().waitFor({ state: 'hidden' });
    assert.equal(await page.locator('#content-value').inputValue(), '');
    const created = row('ci-pipeline');
    await created.waitFor({ state: 'visible' });
    const cells = await created.locator('td').allTextContents();
    assert.equal(cells[0], utcDayFromToday(0));          // since
    assert.equal(cells[1], utcDayFromToday(30));         // until
    assert.equal(cells[2], 'read & write');                // a default token: both scopes, no limits
    assert.match(cells[3], /^(Never|\d{4}-\d\d-\d\d \d\d:\d\d UTC)$/);  // last used
    assert.equal(cells[4], 'Active');
    await page.locator('#page-status').filter({ hasText: 'created' }).waitFor({ state: 'visible' });
    await screenshot('list');
  });

  test('refresh: Reset to max, a new value is shown and copied, the old value stops working', async () => {
    await row('ci-pipeline').getByRole('button', { name: 'Refresh ci-pipeline' }).click();
    const until = page.locator('#refresh-until');
    await until.fill(utcDayFromToday(10));
    await page.locator('#refresh-reset').click();
    assert.equal(await until.inputValue(), utcDayFromToday(MAX_DURATION_DAYS));
    await screenshot('refresh-dialog');
    await page.locator('#refresh-dialog button[type="submit"]').click();
    const content = await takeShownContent();
    assert.notEqual(content, state.first);
    assert.match(await page.locator('#content-warning').textContent(), /replace the old one/);
    await screenshot('refreshed-content');
    assert.equal(await bearerStatus(stack.api.url, state.first), 401);
    assert.equal(await bearerStatus(stack.api.url, content), 200);
    state.refreshed = content;
    await contentDialog().getByRole('button', { name: 'Done' }).click();
    const cells = await row('ci-pipeline').locator('td').allTextContents();
    assert.equal(cells[1], utcDayFromToday(MAX_DURATION_DAYS));
  });

  test('History shows the refresh: who, when, from where, with which browser', async () => {
    await row('ci-pipeline').getByRole('button', { name: 'History of ci-pipeline' }).click();
    const dialog = page.locator('#history-dialog');
    await dialog.waitFor({ state: 'visible' });
    const refreshed = page.locator('#history-body tr[data-event="token.refreshed"]');
    await refreshed.waitFor({ state: 'visible' });
    const [when, what, by, from, agent] = await refreshed.locator('td').allTextContents();
    assert.match(when, /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    assert.equal(what, 'Refreshed');
    assert.equal(by, 'alice');
    assert.equal(from, '127.0.0.1');
    assert.match(agent, /Chrome/);
    assert.match(await page.locator('#history-last-use').textContent(), /^(No use recorded yet .+|Last used .+ from \S+\.)$/);
    await screenshot('history');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'hidden' });
  });

  test('revoke asks to confirm, then the row disappears and the value stops working', async () => {
    await row('ci-pipeline').getByRole('button', { name: 'Revoke ci-pipeline' }).click();
    const confirm = page.locator('#revoke-dialog');
    await confirm.waitFor({ state: 'visible' });
    // Cancel keeps the token: the confirm step really guards the revoke.
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await bearerStatus(stack.api.url, state.refreshed), 200);
    await row('ci-pipeline').getByRole('button', { name: 'Revoke ci-pipeline' }).click();
    await screenshot('revoke-confirm');
    await confirm.getByRole('button', { name: 'Confirm revoke' }).click();
    await confirm.waitFor({ state: 'hidden' });
    await page.locator('#tokens-empty').waitFor({ state: 'visible' });
    await page.locator('#page-status').filter({ hasText: 'revoked' }).waitFor({ state: 'visible' });
    assert.equal(await row('ci-pipeline').count(), 0);
    await screenshot('revoked');
    assert.equal(await bearerStatus(stack.api.url, state.refreshed), 401);
  });

  test('a duplicate name shows the server\'s 409 message in the dialog', async () => {
    await page.locator('#create-first-button').click();
    await page.locator('#create-name').fill('nightly-etl');
    await page.locator('#create-dialog button[type="submit"]').click();
    await takeShownContent();
    await contentDialog().getByRole('button', { name: 'Done' }).click();
    await row('nightly-etl').waitFor({ state: 'visible' });

    await page.locator('#create-button').click();
    await page.locator('#create-name').fill('nightly-etl');
    await page.locator('#create-dialog button[type="submit"]').click();
    const error = page.locator('#create-error');
    await error.filter({ hasText: /\S/ }).waitFor({ state: 'visible' });
    assert.match(await error.textContent(), /\(409\)/);
    assert.equal(await createDialog().isVisible(), true);
    await screenshot('duplicate-409');
  });

  test('an until over the max is refused by the page, without a request', async () => {
    const posts = tokenRequests.filter((r) => r.startsWith('POST')).length;
    await page.locator('#create-name').fill('too-long');
    await page.locator('#create-until').fill(utcDayFromToday(MAX_DURATION_DAYS + 1));
    await page.locator('#create-dialog button[type="submit"]').click();
    const error = page.locator('#create-until-error');
    await error.filter({ hasText: /at most 366 days/ }).waitFor({ state: 'visible' });
    assert.equal(await page.locator('#create-until').getAttribute('aria-invalid'), 'true');
    assert.equal(tokenRequests.filter((r) => r.startsWith('POST')).length, posts);
    await screenshot('until-over-max-page');
  });

  test('an until over the max that reaches the server shows its 422 next to the field', async () => {
    // A page whose limit is stale (the server's maximum was lowered since):
    // the server's own check is the last word.
    await page.locator('#create-until').evaluate((el) => { el.max = '9999-12-31'; });
    await page.locator('#create-dialog button[type="submit"]').click();
    const error = page.locator('#create-until-error');
    await error.filter({ hasText: `less than or equal to ${utcDayFromToday(MAX_DURATION_DAYS)}` })
      .waitFor({ state: 'visible' });
    await screenshot('until-over-max-server');
    await page.keyboard.press('Escape');
    await createDialog().waitFor({ state: 'hidden' });
    assert.equal(await row('too-long').count(), 0);
  });

  test('a narrow token: bad limits are marked inline without a request, then a write-only one is listed with its badge', async () => {
    await page.locator('#create-button').click();
    await page.locator('#create-name').fill('spark-writer');
    await page.locator('#create-read').uncheck();
    await page.locator('#create-write').uncheck();
    await page.locator('#create-namespaces').fill('spark-*, spark-*');
    await page.locator('#create-networks').fill('10.0.0.0/33');
    const posts = tokenRequests.filter((r) => r.startsWith('POST')).length;
    await page.locator('#create-dialog button[type="submit"]').click();
    await page.locator('#create-scopes-error').filter({ hasText: /Read, Write or both/ }).waitFor({ state: 'visible' });
    assert.match(await page.locator('#create-namespaces-error').textContent(), /listed twice/);
    assert.match(await page.locator('#create-networks-error').textContent(), /not an address or CIDR/);
    assert.equal(tokenRequests.filter((r) => r.startsWith('POST')).length, posts);
    await screenshot('create-limits-invalid');

    await page.locator('#create-write').check();
    await page.locator('#create-namespaces').fill('spark-*');
    await page.locator('#create-networks').fill('127.0.0.0/8');
    await page.locator('#create-dialog button[type="submit"]').click();
    const content = await takeShownContent();
    await contentDialog().getByRole('button', { name: 'Done' }).click();
    const listed = row('spark-writer');
    await listed.waitFor({ state: 'visible' });
    assert.equal((await listed.locator('td').allTextContents())[2], 'write only · spark-* · from 127.0.0.0/8');
    assert.equal(await bearerStatus(stack.api.url, content), 200);  // /v1/users/me works with all:write
    await screenshot('create-limits-listed');
    await listed.getByRole('button', { name: 'History of spark-writer' }).click();
    const created = page.locator('#history-body tr[data-event="token.created"]');
    await created.waitFor({ state: 'visible' });
    assert.match(await created.textContent(), /scopes=all:write namespaces=spark-\* networks=127\.0\.0\.0\/8/);
    await screenshot('history-limits');
    await page.keyboard.press('Escape');
    await page.locator('#history-dialog').waitFor({ state: 'hidden' });
    // Gone again, so the paging test below counts the tokens it expects.
    const login = await fetch(`${stack.api.url}/v1/auth/token`, {
      method: 'POST', body: new URLSearchParams({ username: 'alice', password: 'any' }),
    });
    const { access_token: accessToken } = await login.json();
    const id = await listed.getAttribute('data-token-id');
    const revoked = await fetch(`${stack.api.url}/v1/personal-tokens/${id}`, {
      method: 'DELETE', headers: { Authorization: `Bearer ${accessToken}` },
    });
    assert.equal(revoked.status, 204);
  });

  test('more tokens than a page holds are paged', async () => {
    const login = await fetch(`${stack.api.url}/v1/auth/token`, {
      method: 'POST', body: new URLSearchParams({ username: 'alice', password: 'any' }),
    });
    assert.equal(login.status, 200);
    const { access_token: accessToken } = await login.json();
    for (let i = 1; i <= 10; i += 1) {
      const created = await fetch(`${stack.api.url}/v1/personal-tokens`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: `job-${String(i).padStart(2, '0')}`, until: utcDayFromToday(20 + i) }),
      });
      assert.equal(created.status, 200, await created.text());
    }
    await page.locator('#user-menu-button').click();
    await page.getByRole('menuitem', { name: 'Personal tokens' }).click();
    const label = page.locator('#pager-label');
    await label.filter({ hasText: 'Page 1 of 2 (11 tokens)' }).waitFor({ state: 'visible' });
    assert.equal(await page.locator('#tokens-body tr').count(), 10);
    assert.equal(await page.locator('#pager-previous').isDisabled(), true);
    await screenshot('paged-list');
    await page.locator('#pager-next').click();
    await label.filter({ hasText: 'Page 2 of 2 (11 tokens)' }).waitFor({ state: 'visible' });
    assert.equal(await page.locator('#tokens-body tr').count(), 1);
    assert.equal(await page.locator('#pager-next').isDisabled(), true);
    await page.locator('#pager-previous').click();
    await label.filter({ hasText: 'Page 1 of 2' }).waitFor({ state: 'visible' });
  });

  test('503 while the authority is down shows a retry message', async () => {
    await stack.authority.stop();
    await page.locator('#user-menu-button').click();
    await page.getByRole('menuitem', { name: 'Personal tokens' }).click();
    const error = page.locator('#page-error');
    await error.filter({ hasText: /temporarily unavailable.*retry in \d+ s/i }).waitFor({ state: 'visible' });
    await screenshot('unavailable-503');
  });

  test('401 after the session ends goes back to the login form', async () => {
    await context.clearCookies();
    await page.locator('#tokens-body tr').first().getByRole('button', { name: /^Refresh / }).click();
    await page.locator('#refresh-dialog button[type="submit"]').click();
    await page.locator('#login-view').waitFor({ state: 'visible' });
    assert.match(await page.locator('#page-error').textContent(), /session has ended/);
    assert.equal(await page.locator('#user-menu').isVisible(), false);
    await screenshot('session-ended');
  });
});
