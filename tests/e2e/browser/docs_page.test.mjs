// Swagger UI at /docs on both edges, in a real browser (Debian's Chromium),
// under the pages' Content-Security-Policy: it renders, its Authorize button
// takes a bearer token and "Try it out" sends it, with not one policy
// violation on the console; a reload forgets the token (nothing persisted);
// and a page on another port cannot frame /docs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BUILD, eventually, launchChromium, startStack, tempDir } from './stack.mjs';

const LOGS = path.join(BUILD, 'e2e-browser-docs');
const SHOTS = path.join(BUILD, 'e2e-browser-screenshots');

describe('Swagger UI under the page policy', { concurrency: false }, () => {
  let stack;
  let framer;
  let framerUrl;
  let context;
  let userDataDir;
  let accessToken;

  before(async () => {
    fs.rmSync(LOGS, { recursive: true, force: true });
    fs.mkdirSync(SHOTS, { recursive: true });
    stack = await startStack(LOGS, { http2kafka: true });
    framer = http.createServer((request, response) => {
      const target = request.url === '/api' ? stack.api.url : stack.edge.url;
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      response.end(`<!DOCTYPE html><html><body><iframe id="docs" src="${target}/docs"></iframe></body></html>`);
    });
    await new Promise((resolve) => framer.listen(0, '127.0.0.1', resolve));
    framerUrl = `http://127.0.0.1:${framer.address().port}`;
    userDataDir = tempDir('tokengate-chromium-');
    context = await launchChromium(userDataDir);
    context.setDefaultTimeout(15000);
    const login = await fetch(`${stack.api.url}/v1/auth/token`, {
      method: 'POST', body: new URLSearchParams({ username: 'swagger-user', password: 'any' }),
    });
    assert.equal(login.status, 200);
    accessToken = (await login.json()).access_token;
  });

  after(async () => {
    try {
      if (context) await context.close();
      if (framer) framer.close();
    } finally {
      if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
      if (stack) await stack.stop();
    }
  });

  // A new page whose console errors and page errors are collected.
  async function watchedPage() {
    const page = await context.newPage();
    const problems = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || /Content.Security.Policy|Refused to/i.test(message.text())) {
        problems.push(`console ${message.type()}: ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    return { page, problems };
  }

  async function openDocs(page, url, title) {
    const response = await page.goto(`${url}/docs`);
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-security-policy'], /frame-ancestors 'none'/);
    await page.locator('.swagger-ui .info .title').filter({ hasText: title }).waitFor({ state: 'visible' });
    assert.ok(await page.locator('.opblock').count() > 0, 'the operations are listed');
  }

  async function authorize(page, token) {
    await page.locator('.auth-wrapper .authorize').click();
    const dialog = page.locator('.dialog-ux .modal-ux');
    await dialog.waitFor({ state: 'visible' });
    const bearerForm = dialog.locator('.auth-container').filter({ hasText: 'HTTPBearer' });
    await bearerForm.locator('input').fill(token);
    await bearerForm.getByRole('button', { name: 'Apply credentials' }).click();
    await bearerForm.getByRole('button', { name: 'Remove authorization' }).waitFor({ state: 'visible' });
    await dialog.locator('.btn-done').first().click();
    await dialog.waitFor({ state: 'hidden' });
  }

  test('the api docs render, and Authorize then "Try it out" sends the token', async () => {
    const { page, problems } = await watchedPage();
    await openDocs(page, stack.api.url, 'tokengate');
    await authorize(page, accessToken);
    const operation = page.locator('.opblock-get').filter({ hasText: '/v1/users/me' }).first();
    await operation.locator('.opblock-summary').click();
    await operation.getByRole('button', { name: 'Try it out' }).click();
    const sent = page.waitForRequest((r) => r.url() === `${stack.api.url}/v1/users/me`);
    await operation.getByRole('button', { name: 'Execute' }).click();
    assert.equal((await sent).headers().authorization, `Bearer ${accessToken}`);
    await operation.locator('.live-responses-table .response-col_status').filter({ hasText: '200' })
      .waitFor({ state: 'visible' });
    await page.screenshot({ path: path.join(SHOTS, 'docs-api-authorized.png'), fullPage: true });
    assert.deepEqual(problems, []);

    // Nothing kept: a reload starts without the token.
    await page.reload();
    await page.locator('.swagger-ui .info .title').waitFor({ state: 'visible' });
    assert.equal(await page.evaluate(() => window.localStorage.getItem('authorized')), null);
    assert.equal(await page.locator('.auth-wrapper .authorize.locked').count(), 0);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('the http2kafka docs render and take a token', async () => {
    const { page, problems } = await watchedPage();
    await openDocs(page, stack.edge.url, 'tokengate http2kafka');
    await authorize(page, 'personal_token_example.a.b');
    assert.equal(await page.locator('.auth-wrapper .authorize.locked').count(), 1);
    assert.deepEqual(problems, []);
    await page.close();
  });

  for (const edge of ['api', 'http2kafka']) {
    test(`a page on another port cannot frame the ${edge} docs`, async () => {
      const page = await context.newPage();
      const refused = [];
      page.on('console', (message) => refused.push(message.text()));
      const framed = page.waitForResponse((r) => r.url().endsWith('/docs'));
      await page.goto(`${framerUrl}/${edge === 'api' ? 'api' : 'edge'}`);
      assert.equal((await framed).status(), 200);
      const frame = page.frames().find((f) => f !== page.mainFrame());
      assert.ok(frame, 'the iframe exists');
      assert.equal(await frame.locator('#swagger-ui').count(), 0, 'the docs did not load in the frame');
      await eventually(() => refused.some((text) => /frame-ancestors|X-Frame-Options/.test(text)),
        'Chromium to say on the console why it refused the frame');
      await page.close();
    });
  }
});
