// A service account's tokens on the page, in Debian's Chromium against the
// real api, http2kafka, authority and PostgreSQL (issue 23): an admin creates
// etl-prod and makes alice a manager over REST; alice finds "Service
// accounts" in her user menu, creates a token of etl-prod with the owner
// named in every dialog, and the value verifies as the service account on
// both edges. Each step saves a screenshot.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BUILD, launchChromium, startStack, tempDir } from './stack.mjs';

// A folder of its own: the tokens page test empties e2e-browser-screenshots/ when it starts.
const SHOTS = path.join(BUILD, 'e2e-browser-screenshots-service-accounts');
const UI_TIMEOUT_MS = 10000;
const ADMIN = 'root-admin';

async function json(url, { method = 'GET', token, body } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

describe('service accounts on the page', { concurrency: false }, () => {
  let stack;
  let context;
  let page;
  let userDataDir;
  let shot = 0;
  const state = {};

  async function screenshot(name) {
    shot += 1;
    await page.screenshot({ path: path.join(SHOTS, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  }

  before(async () => {
    fs.rmSync(SHOTS, { recursive: true, force: true });
    fs.mkdirSync(SHOTS, { recursive: true });
    stack = await startStack(path.join(SHOTS, 'logs'), { apiSettings: { admin_users: ADMIN }, http2kafka: true });
    userDataDir = tempDir('tokengate-chromium-');
    context = await launchChromium(userDataDir, { permissions: ['clipboard-read', 'clipboard-write'] });
    context.setDefaultTimeout(UI_TIMEOUT_MS);
    page = context.pages()[0] || await context.newPage();

    const login = await fetch(`${stack.api.url}/v1/auth/token`, {
      method: 'POST', body: new URLSearchParams({ username: ADMIN, password: 'any' }) });
    const admin = (await login.json()).access_token;
    const created = await json(`${stack.api.url}/v1/admin/service-accounts`, {
      method: 'POST', token: admin, body: { name: 'etl-prod', description: 'the nightly Spark ETL' } });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const managed = await json(`${stack.api.url}/v1/admin/service-accounts/etl-prod/managers/alice`,
      { method: 'PUT', token: admin });
    assert.deepEqual(managed.body.data.managers, ['alice']);
  });

  after(async () => {
    try {
      if (context) await context.close();
    } finally {
      if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
      if (stack) await stack.stop();
    }
  });

  test('a manager finds Service accounts in the user menu', async () => {
    await page.goto(stack.api.url + '/');
    await page.locator('#login-username').fill('alice');
    await page.locator('#login-password').fill('any-password');
    await page.locator('#login-form button[type="submit"]').click();
    await page.locator('#user-menu-button').click();
    const item = page.getByRole('menuitem', { name: 'Service accounts' });
    await item.waitFor({ state: 'visible' });
    await screenshot('user-menu');
    await item.click();
    await page.locator('#accounts-view').waitFor({ state: 'visible' });
    assert.match(await page.locator('#accounts-list').textContent(), /etl-prod — the nightly Spark ETL/);
    await screenshot('accounts');
  });

  test('its tokens view and every dialog name the owner', async () => {
    await page.getByRole('link', { name: 'etl-prod' }).click();
    await page.locator('#tokens-view').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#tokens-title').textContent(), 'Tokens of service account etl-prod');
    assert.match(await page.locator('#tokens-owner').textContent(), /service account etl-prod \(sa:etl-prod\)/);
    await page.locator('#create-first-button').click();
    const dialog = page.locator('#create-dialog');
    await dialog.waitFor({ state: 'visible' });
    assert.match(await dialog.locator('[data-owner-line]').textContent(), /^Owner: service account etl-prod/);
    assert.equal(await page.locator('#create-read').isChecked(), false, 'write only unless asked');
    assert.equal(await page.locator('#create-write').isChecked(), true);
    await page.locator('#create-name').fill('spark-nightly');
    await screenshot('create-dialog');
    await dialog.locator('button[type="submit"]').click();
    const content = page.locator('#content-dialog');
    await content.waitFor({ state: 'visible' });
    assert.match(await content.locator('[data-owner-line]').textContent(), /service account etl-prod/);
    state.content = await page.locator('#content-value').inputValue();
    await screenshot('created');
    await content.getByRole('button', { name: 'Done' }).click();
    const cells = await page.locator('#tokens-body tr', { hasText: 'spark-nightly' }).locator('td').allTextContents();
    assert.equal(cells[2], 'write only');
  });

  test('the value verifies as the service account on both edges', async () => {
    const me = await json(`${stack.api.url}/v1/users/me`, { token: state.content });
    assert.equal(me.status, 200);
    assert.equal(me.body.name, 'sa:etl-prod');
    // The edge checks the token before the event: an empty event is a 422, not a 401.
    const edge = await fetch(`${stack.edge.url}/v1/openlineage`, {
      method: 'POST', body: '{}', headers: { Authorization: `Bearer ${state.content}`, 'Content-Type': 'application/json' } });
    assert.equal(edge.status, 422);
  });

  test('the revoke dialog names the owner too, and her own list is untouched', async () => {
    await page.getByRole('button', { name: 'Revoke spark-nightly' }).click();
    const dialog = page.locator('#revoke-dialog');
    await dialog.waitFor({ state: 'visible' });
    assert.match(await dialog.locator('[data-owner-line]').textContent(), /service account etl-prod/);
    await screenshot('revoke-dialog');
    await page.keyboard.press('Escape');
    await page.goto(stack.api.url + '/#personal-tokens');
    await page.locator('#tokens-empty').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#tokens-title').textContent(), 'Personal tokens');
    assert.equal(await page.locator('#tokens-owner').isVisible(), false);
  });
});
