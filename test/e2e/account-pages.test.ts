// The desk's account pages in a real Chromium (ADR 025): "Forgot password?"
// says the one answer, the mailed link opens a new-password form that works,
// and the logged-in Account section lists this browser's session, changes the
// password and deletes the account once its address is typed.
import type { Browser, Page } from 'playwright-core';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORGOT_PASSWORD_MESSAGE } from '../../protocol/account-security.js';
import { launchChromium, loggedInContext } from '../support/chromium.js';
import { freePort } from '../support/free-port.js';
import { startMailSink, type MailSink } from '../support/mail-sink.js';
import { signUp, type Sender } from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';

const NEW_PASSWORD = 'violet tractor umbrella 42';

let sink: MailSink;
let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  sink = await startMailSink();
  server = await startServer({
    RATE_LIMIT_MULTIPLIER: '100',
    MAIL_SMARTHOST: sink.url,
    SMTP_RELAY_PORT: String(await freePort()),
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser.close();
  await server.stop();
  await sink.close();
});

async function open(path: string, as?: Sender): Promise<{ page: Page; problems: string[] }> {
  const viewport = { viewport: { width: 390, height: 844 } };
  const context = as
    ? await loggedInContext(browser, server.url, as.cookie, viewport)
    : await browser.newContext(viewport);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`${server.url}${path}`);
  return { page, problems };
}

const logIn = async (email: string, password: string) =>
  (
    await fetch(`${server.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    })
  ).status;

async function resetLink(to: string): Promise<string> {
  let link = '';
  await expect
    .poll(
      async () => {
        for (const mail of sink.received.filter((received) => received.to.includes(to))) {
          const text = (await simpleParser(mail.raw)).text ?? '';
          link = /https?:\/\/\S+\/app#reset=[A-Za-z0-9_-]{43}/.exec(text)?.[0] ?? link;
        }
        return link;
      },
      { timeout: 15_000 },
    )
    .not.toBe('');
  return link;
}

describe('a forgotten password in the desk', () => {
  it('asks for a link, and the link sets a new password', async () => {
    const ada = await signUp(server.url, 'Ada Lovelace');
    const { page, problems } = await open('/app');
    await page.getByText('Forgot password?').click();
    await page.locator('#forgot-form').getByLabel('Email').fill(ada.email);
    await page.getByRole('button', { name: 'Send a reset link' }).click();
    await expect
      .poll(() => page.locator('#forgot-status').textContent())
      .toBe(FORGOT_PASSWORD_MESSAGE);
    await page.context().close();

    const link = new URL(await resetLink(ada.email));
    const reset = await open(link.pathname + link.hash);
    const form = reset.page.getByRole('region', { name: 'Choose a new password' });
    await form.getByLabel('New password').fill(NEW_PASSWORD);
    await reset.page.getByRole('button', { name: 'Set the new password' }).click();
    await expect
      .poll(() => reset.page.locator('#reset-status').textContent())
      .toMatch(/password is changed/);
    // The token left the address bar.
    expect(reset.page.url()).not.toContain('reset=');
    expect(await logIn(ada.email, NEW_PASSWORD)).toBe(200);
    expect([...problems, ...reset.problems]).toEqual([]);
    await reset.page.context().close();
  });
});

describe("the desk's Account section", () => {
  it('lists this session, changes the password and deletes the account', async () => {
    const ada = await signUp(server.url, 'Ada Lovelace');
    const { page, problems } = await open('/app', ada);
    const section = page.getByRole('region', { name: 'Account', exact: true });
    await expect.poll(() => section.locator('#sessions').textContent()).toContain('(this browser)');

    await section.getByLabel('Current password').fill('correct horse battery');
    await section.locator('#password-form').getByLabel('New password').fill(NEW_PASSWORD);
    await section.getByRole('button', { name: 'Change password' }).click();
    await expect
      .poll(() => section.locator('#password-status').textContent())
      .toMatch(/^Password changed/);
    expect(await logIn(ada.email, NEW_PASSWORD)).toBe(200);

    await section.getByLabel(/to confirm/).fill(ada.email);
    await section.getByRole('button', { name: 'Delete my account' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Log in' }).isVisible()).toBe(true);
    await expect
      .poll(() => page.locator('#auth-error').textContent())
      .toBe('Your account was deleted.');
    expect(await logIn(ada.email, NEW_PASSWORD)).toBe(401);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
