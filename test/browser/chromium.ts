// Real headless Chromium for the page tests: Debian's `chromium` driven by playwright-core.
// Under CI the tests never skip; elsewhere, without the browser, they skip with one reason.
import { existsSync } from 'node:fs'
import { chromium, type Browser, type Page } from 'playwright-core'
import type { Test } from 'tap'

export const CHROMIUM = '/usr/bin/chromium'

/** Launches the browser for the file, or returns null after skipping (failing under CI). */
export async function launchChromium (t: Test): Promise<Browser | null> {
  if (!existsSync(CHROMIUM)) {
    const reason = `no browser at ${CHROMIUM}: apt-get install -y chromium (.ci/run does)`
    if (process.env.CI === 'true' || process.env.CI === '1') t.fail(`CI needs Chromium: ${reason}`)
    else t.plan(0, reason)
    return null
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  t.teardown(() => browser.close())
  return browser
}

export interface WatchedPage {
  page: Page
  /** Console errors, uncaught exceptions and failed requests, but for the lines below. */
  errors: string[]
  /**
   * The browser's own console line for each HTTP error answer ("Failed to load resource"),
   * as `status path`: a 422 from /v1/preflight is an answer the page shows, not a fault.
   */
  httpErrors: string[]
  /** Content-Security-Policy violations the page reported. */
  violations(): Promise<string[]>
}

/** A page in a fresh context, recording every error and CSP violation it meets. */
export async function openPage (t: Test, browser: Browser, viewport = { width: 1280, height: 900 }): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport })
  t.teardown(() => context.close())
  // Init scripts run outside the page's CSP: the listener is in place before any page script.
  // (Browser-side code is given as text: the project's TypeScript has no DOM types.)
  await context.addInitScript(`{
    const seen = []
    Object.defineProperty(window, '__cspViolations', { value: seen })
    document.addEventListener('securitypolicyviolation', (e) => seen.push(e.violatedDirective + ' ' + e.blockedURI))
  }`)
  const page = await context.newPage()
  const errors: string[] = []
  const httpErrors: string[] = []
  page.on('console', (message) => {
    if (message.type() !== 'error') return
    const status = /^Failed to load resource: the server responded with a status of (\d{3})/.exec(message.text())?.[1]
    if (status) httpErrors.push(`${status} ${new URL(message.location().url).pathname}`)
    else errors.push(`console: ${message.text()}`)
  })
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`))
  page.on('requestfailed', (request) => errors.push(`requestfailed: ${request.url()} ${request.failure()?.errorText}`))
  return {
    page,
    errors,
    httpErrors,
    violations: () => page.evaluate<string[]>('[...window.__cspViolations]'),
  }
}
