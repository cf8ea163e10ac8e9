// Real tokengate processes for the browser tests, as tests/support/stack.py
// starts them for Python: a built binary with TOKENGATE_* settings on port 0,
// ready once its log says "<program> listening on port N", stopped with
// SIGTERM and exit code 0; plus a fresh PostgreSQL database and Debian's
// Chromium. Waits poll a condition with a deadline, never sleep as
// synchronisation.
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BUILD = process.env.TOKENGATE_BUILD_DIR || path.join(ROOT, 'build');
const BINARIES = {
  'token-authority': path.join(BUILD, 'services/token_authority/token-authority'),
  'tokengate-api': path.join(BUILD, 'services/api/tokengate-api'),
  http2kafka: path.join(BUILD, 'services/http2kafka/http2kafka'),
};
const CHROMIUM = process.env.TOKENGATE_CHROMIUM || '/usr/bin/chromium';
const WEB_DIR = path.join(ROOT, 'web');
// What ASan, LeakSanitizer and UBSan print when they find something.
const SANITIZER_REPORT = /ERROR: (?:Address|Leak)Sanitizer|: runtime error: /;
const AUTHORITY_SECRET = 'test-authority-secret-0123456789-abcdef';
const API_SECRET = 'test-api-access-token-secret-0123456789';

// Polls `condition` until it returns something truthy (returned) or the
// deadline passes (throws with `what`).
export async function eventually(condition, what, timeoutMs = 10000, intervalMs = 20) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

// {max_duration_days: 366} → {TOKENGATE_MAX_DURATION_DAYS: '366'}
function envOf(settings) {
  const out = {};
  for (const [key, value] of Object.entries(settings)) {
    out[key.startsWith('TOKENGATE_') ? key : `TOKENGATE_${key.toUpperCase()}`] = String(value);
  }
  return out;
}

export class Service {
  constructor(program, settings, logDir) {
    this.program = program;
    this.env = { PATH: process.env.PATH || '/usr/bin:/bin', ...envOf(settings) };
    this.logPath = path.join(logDir, `${program}-${randomBytes(4).toString('hex')}.log`);
    this.child = null;
    this.exit = null;
    this.port = null;
  }

  log() {
    return fs.existsSync(this.logPath) ? fs.readFileSync(this.logPath, 'utf8') : '';
  }

  async start(timeoutMs = 20000) {
    const fd = fs.openSync(this.logPath, 'a');
    this.child = spawn(BINARIES[this.program], [], { env: this.env, stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    this.exit = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
    this.exited = false;
    this.exit.then(() => { this.exited = true; });
    const pattern = new RegExp(`${this.program} listening on port (\\d+)`);
    try {
      this.port = await eventually(() => {
        if (this.exited) throw new Error(`${this.program} exited while starting:\n${this.log().slice(-4000)}`);
        const match = pattern.exec(this.log());
        return match && Number(match[1]);
      }, `${this.program} to listen`, timeoutMs);
    } catch (err) {
      this.kill();
      throw err;
    }
    return this;
  }

  get address() { return `127.0.0.1:${this.port}`; }
  get url() { return `http://127.0.0.1:${this.port}`; }

  // A sanitizer build's finding fails the test that started the program, even when it
  // kept serving or exited 0 (tests/support/stack.py checks the same).
  assertNoSanitizerReport() {
    const log = this.log();
    const match = SANITIZER_REPORT.exec(log);
    if (match) throw new Error(`${this.program} reported a sanitizer finding:\n${log.slice(match.index, match.index + 4000)}`);
  }

  // SIGTERM; the exit code must be 0 within the timeout, with no sanitizer report in the log.
  async stop(timeoutMs = 20000) {
    if (!this.child) return;
    if (this.exited) {
      this.assertNoSanitizerReport();
      return;
    }
    this.child.kill('SIGTERM');
    let timer;
    const result = await Promise.race([
      this.exit,
      new Promise((resolve) => { timer = setTimeout(() => resolve(null), timeoutMs); }),
    ]);
    clearTimeout(timer);
    if (result === null) {
      this.kill();
      throw new Error(`${this.program} ignored SIGTERM for ${timeoutMs} ms:\n${this.log().slice(-4000)}`);
    }
    if (result.code !== 0) {
      throw new Error(`${this.program} exited with ${result.code ?? result.signal}:\n${this.log().slice(-4000)}`);
    }
    this.assertNoSanitizerReport();
  }

  kill() {
    if (this.child && !this.exited) this.child.kill('SIGKILL');
  }
}

function psql(url, sql) {
  execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qtAc', sql], { stdio: ['ignore', 'pipe', 'pipe'] });
}

// A new database on the test server; returns its URL and a function that drops it.
export function freshDatabase(prefix) {
  const admin = process.env.TOKENGATE_TEST_DATABASE_URL;
  if (!admin) throw new Error('TOKENGATE_TEST_DATABASE_URL is not set (run through tests/run-tests.sh)');
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  psql(admin, `CREATE DATABASE ${name}`);
  const url = `${admin.slice(0, admin.lastIndexOf('/'))}/${name}`;
  return { url, drop: () => psql(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

// The authority and the api on a fresh database (and, with `http2kafka`, that
// edge on the test Kafka); `logDir` keeps their logs. `apiSettings` are
// extra TOKENGATE_* settings of the api.
export async function startStack(logDir, { maxDurationDays = 366, apiSettings = {}, http2kafka = false } = {}) {
  fs.mkdirSync(logDir, { recursive: true });
  const db = freshDatabase('tg_browser');
  const authority = new Service('token-authority', {
    database_url: db.url, secret_key: AUTHORITY_SECRET, grpc_listen: '127.0.0.1:0',
    max_duration_days: maxDurationDays,
  }, logDir);
  await authority.start();
  const api = new Service('tokengate-api', {
    authority_address: authority.address, http_listen: '127.0.0.1:0', auth_provider: 'dummy',
    access_token_secret: API_SECRET, http_threads: 8, authority_deadline_ms: 2000,
    web_dir: WEB_DIR, ...apiSettings,
  }, logDir);
  const edge = http2kafka ? new Service('http2kafka', {
    authority_address: authority.address, http_listen: '127.0.0.1:0',
    kafka_bootstrap_servers: process.env.TOKENGATE_TEST_KAFKA, kafka_topic: `browser-${randomBytes(4).toString('hex')}`,
  }, logDir) : null;
  try {
    await api.start();
    if (edge) await edge.start();
  } catch (err) {
    api.kill();
    authority.kill();
    db.drop();
    throw err;
  }
  return {
    authority, api, edge, db,
    async stop() {
      try {
        if (edge) await edge.stop();
        await api.stop();
        await authority.stop();
      } finally {
        if (edge) edge.kill();
        api.kill();
        authority.kill();
        db.drop();
      }
    },
  };
}

// Debian's Chromium, headless, with a fresh profile in `userDataDir` (the
// caller removes it); `options` go to playwright's launchPersistentContext.
export function launchChromium(userDataDir, options = {}) {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1200, height: 760 },
    timezoneId: 'UTC',
    ...options,
  });
}

export function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
