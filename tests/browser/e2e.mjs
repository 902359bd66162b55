#!/usr/bin/env node
// End-to-end test of the scenario-builder page in a real browser, against a running
// `s3-connector serve --local`:
//
//   node tests/browser/e2e.mjs http://127.0.0.1:PORT tests/artifacts
//
// It drives Debian's chromium (/usr/bin/chromium, or $CHROMIUM) with playwright-core (which never
// downloads a browser): picks the `local` connection, creates a bucket, uploads a generated
// text file with the file chooser, lists it (bucket and folder picked from the dropdowns),
// presigns a link to it and downloads the link from Node, and checks that an invalid bucket
// name is reported with its field highlighted. A screenshot is saved after every step. Exits 1
// with the failing step on any failure, and gives up after 60 s (E2E_TIMEOUT_MS).
import { chromium } from 'playwright-core';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

const [baseArg, artifactsArg] = process.argv.slice(2);
if (!baseArg || !artifactsArg) {
  console.error('usage: node tests/browser/e2e.mjs BASE_URL ARTIFACTS_DIR   (e.g. http://127.0.0.1:8080 tests/artifacts)');
  process.exit(2);
}
const base = baseArg.replace(/\/+$/, '');
const artifacts = resolve(artifactsArg);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  console.error(`E2E FAILED: no browser at ${executablePath}: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM`);
  process.exit(1);
}
const totalMs = Number(process.env.E2E_TIMEOUT_MS || 60000);
const stepMs = 15000;

const BUCKET = 'e2e-bucket';
const FOLDER = 'docs';
const FILE_NAME = `hello-e2e-${randomBytes(3).toString('hex')}.txt`;
const FILE_TEXT = `Hello from the s3-connector browser test.\nUnicode too: ✓ café 日本\n${new Date().toISOString()}\n`;
const KEY = `${FOLDER}/${FILE_NAME}`;

mkdirSync(artifacts, { recursive: true });
const profile = mkdtempSync(join(tmpdir(), 's3c-e2e-profile-'));
let context;
let page;
let currentStep = 'start';
const pageErrors = [];
const consoleErrors = [];
const started = Date.now();

function log(message) {
  console.log(`[e2e ${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
}

class StepError extends Error {}
function check(condition, message) {
  if (!condition) throw new StepError(message);
}

async function cleanup() {
  try {
    if (context) await context.close();
  } catch {
    /* already gone */
  }
  try {
    rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    /* chromium is still writing its profile: leave the temporary directory */
  }
}

let failing = false;
async function fail(message) {
  // Report the first failure only (the deadline may fire while a step is failing too).
  if (failing) return new Promise(() => {});
  failing = true;
  console.error(`\nE2E FAILED at step "${currentStep}": ${message}`);
  if (page) {
    try {
      const output = await page.locator('[data-testid=output]').innerText({ timeout: 2000 });
      console.error(`The page's output area says:\n${output.trim().replace(/^/gm, '  | ')}`);
    } catch {
      /* no output area */
    }
    try {
      await page.screenshot({ path: join(artifacts, 'failure.png'), fullPage: true, timeout: 5000 });
      console.error(`Screenshot: ${join(artifacts, 'failure.png')}`);
    } catch {
      /* the browser is gone */
    }
  }
  if (pageErrors.length) console.error(`Uncaught errors in the page:\n  ${pageErrors.join('\n  ')}`);
  await cleanup();
  process.exit(1);
}

const deadline = setTimeout(() => {
  fail(`the test did not finish within ${totalMs / 1000} s`);
}, totalMs);

async function step(name, fn) {
  currentStep = name;
  log(`${name}…`);
  await fn();
  check(pageErrors.length === 0, `the page threw: ${pageErrors.join('; ')}`);
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
  log(`${name}: ok`);
}

/** Clicks Run and waits for the run to end; returns 'ok' or 'error'. */
async function run() {
  const output = page.locator('[data-testid=output]');
  const before = Number(await output.getAttribute('data-seq'));
  await page.getByTestId('run').click();
  await page.locator(`[data-testid=output][data-seq="${before + 1}"]`).waitFor({ timeout: stepMs });
  return output.getAttribute('data-status');
}

async function resultJson() {
  const text = await page.getByTestId('result').innerText();
  try {
    return JSON.parse(text);
  } catch {
    throw new StepError(`the result is not JSON: ${text.slice(0, 200)}`);
  }
}

async function errorText() {
  const box = page.getByTestId('error');
  return (await box.count()) ? box.innerText() : '(no error shown)';
}

async function openModule(name) {
  await page.getByTestId(`module-${name}`).click();
  await page.locator(`[data-testid=module-${name}][aria-current=true]`).waitFor({ timeout: stepMs });
  await page.locator('#module-title').filter({ hasText: name }).waitFor({ timeout: stepMs });
}

/** Picks `value` from the dropdown of the options-provider field `id` (waiting for it to load). */
async function pickOption(id, value) {
  const input = page.locator(`#${id}`);
  await input.fill('');
  const option = page.locator(`[data-testid="options-${id}"] li[data-value="${value}"]`);
  const status = page.locator(`#${id}__options_status`);
  const until = Date.now() + stepMs;
  // The list loads in the background; open it until the choice shows.
  while (!(await option.isVisible())) {
    check(Date.now() < until, `"${value}" never showed in the dropdown of ${id} (status: ${await status.innerText()})`);
    if ((await input.getAttribute('aria-expanded')) !== 'true') {
      await page.locator(`[data-testid="options-toggle-${id}"]`).click();
    }
    await page.waitForTimeout(150);
  }
  await option.click();
  const picked = await input.inputValue();
  check(picked === value, `the dropdown of ${id} set "${picked}" instead of "${value}"`);
}

try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
    timeout: stepMs,
  });
  context.setDefaultTimeout(stepMs);
  page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });

  await step('00-open', async () => {
    const response = await page.goto(`${base}/`, { waitUntil: 'load' });
    check(response && response.ok(), `GET / answered ${response && response.status()}`);
    check(/text\/html/.test(response.headers()['content-type'] || ''), `GET / is not HTML (${response.headers()['content-type']})`);
    await page.getByTestId('module-create_bucket').waitFor();
    const select = page.getByTestId('connection');
    await page.locator('[data-testid=connection] option', { hasText: /^local$/ }).waitFor({ state: 'attached' });
    await select.selectOption({ label: 'local' });
    const chosen = await select.evaluate((el) => el.options[el.selectedIndex].text);
    check(chosen === 'local', `the connection select shows "${chosen}", not "local"`);
  });

  await step('01-create-bucket', async () => {
    await openModule('create_bucket');
    await page.locator('#input_bucket').fill(BUCKET);
    const status = await run();
    if (status === 'error') {
      const text = await errorText();
      // A server reused from an earlier run already has the bucket.
      check(/conflict/i.test(text) && /already/i.test(text), `create_bucket failed: ${text}`);
      log(`create_bucket: ${BUCKET} already exists (a reused server); going on`);
    } else {
      const result = await resultJson();
      check(result.bucket === BUCKET, `create_bucket answered ${JSON.stringify(result)}`);
    }
  });

  await step('02-upload-file', async () => {
    const file = join(artifacts, FILE_NAME);
    writeFileSync(file, FILE_TEXT);
    await openModule('upload_file');
    await pickOption('input_bucket', BUCKET);
    await page.locator('#input_folder').fill(FOLDER);
    await page.getByTestId('file-chooser').setInputFiles(file);
    // The chooser fills the file name and the base64 choice of the source.
    await page.waitForFunction((name) => document.querySelector('#input_file_name')?.value === name, FILE_NAME, { timeout: stepMs });
    const base64 = await page.locator('#input_source_base64').inputValue();
    check(Buffer.from(base64, 'base64').toString('utf8') === FILE_TEXT, 'the chosen file was not read into the base64 content');
    const status = await run();
    check(status === 'ok', `upload_file failed: ${await errorText()}`);
    const result = await resultJson();
    check(result.key === KEY, `upload_file stored ${JSON.stringify(result.key)}, not ${KEY}`);
    check(result.size === Buffer.byteLength(FILE_TEXT), `upload_file stored ${result.size} bytes, not ${Buffer.byteLength(FILE_TEXT)}`);
  });

  await step('03-list-files', async () => {
    await openModule('list_files');
    await pickOption('input_bucket', BUCKET);
    // The folders list depends on the bucket: it loads once the bucket is chosen.
    await pickOption('input_prefix', FOLDER);
    const status = await run();
    check(status === 'ok', `list_files failed: ${await errorText()}`);
    const result = await resultJson();
    const keys = (result.files || []).map((f) => f.key);
    check(keys.includes(KEY), `list_files did not list ${KEY}: ${JSON.stringify(keys)}`);
  });

  await step('04-presign-url', async () => {
    await openModule('presign_url');
    await pickOption('input_bucket', BUCKET);
    await page.locator('#input_key').fill(KEY);
    const status = await run();
    check(status === 'ok', `presign_url failed: ${await errorText()}`);
    const link = page.locator('[data-testid=result] a[data-testid=result-link]').first();
    check((await link.count()) === 1, 'the presigned URL is not shown as a link');
    const href = await link.getAttribute('href');
    const result = await resultJson();
    check(href === result.url, `the link goes to ${href}, not the result's url ${result.url}`);
    check((await link.getAttribute('target')) === '_blank', 'the link does not open in a new tab');
    const response = await fetch(href, { signal: AbortSignal.timeout(stepMs) });
    const body = await response.text();
    check(response.ok, `GET of the presigned link answered ${response.status}: ${body.slice(0, 300)}`);
    check(body === FILE_TEXT, `the presigned link gave ${JSON.stringify(body.slice(0, 100))}, not the uploaded text`);
  });

  await step('05-validation-error', async () => {
    // The input schema carries the bucket naming rules: the form refuses the name itself,
    // under the field, and sends nothing.
    await openModule('create_bucket');
    const output = page.locator('[data-testid=output]');
    const before = await output.getAttribute('data-seq');
    await page.locator('#input_bucket').fill('Bad_Name');
    await page.getByTestId('run').click();
    const field = page.locator('[data-field="bucket"][data-invalid]');
    await field.waitFor({ timeout: stepMs });
    check((await page.locator('#input_bucket').getAttribute('aria-invalid')) === 'true', 'the bucket input is not marked aria-invalid');
    const message = await field.innerText();
    check(/pattern|bucket/i.test(message), `the bucket field does not show the error under it: ${message}`);
    const color = await page.locator('#input_bucket').evaluate((el) => getComputedStyle(el).borderTopColor);
    check(color !== 'rgb(184, 194, 204)', `the bucket input is not highlighted (border ${color})`);
    check((await output.getAttribute('data-seq')) === before, 'the form sent a request the schema refuses');
  });

  await step('06-error-cleared', async () => {
    // Editing the offending field clears its highlight.
    await page.locator('#input_bucket').fill('good-name');
    await page.locator('[data-field="bucket"][data-invalid]').waitFor({ state: 'detached', timeout: stepMs });
    check((await page.locator('#input_bucket').getAttribute('aria-invalid')) !== 'true', 'the bucket input is still aria-invalid');
  });

  clearTimeout(deadline);
  if (consoleErrors.length) log(`console errors (expected for the failed run): ${consoleErrors.length}`);
  log(`all steps passed; screenshots in ${artifacts}`);
  await cleanup();
  process.exit(0);
} catch (err) {
  await fail(err instanceof StepError || !process.env.E2E_DEBUG ? String(err && err.message ? err.message : err) : err.stack);
}
