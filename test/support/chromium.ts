/**
 * Headless Chromium for tests, driven over the DevTools protocol on a pipe
 * (--remote-debugging-pipe: the browser reads commands on fd 3 and writes replies and events on
 * fd 4, each message JSON terminated by a NUL byte), with no npm package and no TCP port.
 *
 * The network is cut twice: every host name resolves to nothing (--host-resolver-rules) and every
 * request that would still go out is sent to a proxy on a closed port; background services that
 * call home are switched off. What the page asks for is recorded anyway, from Network events, so
 * a test can assert it asked for nothing.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** CHROMIUM_PATH, else Debian's `chromium` (or `chromium-browser`) on PATH; undefined when none. */
export function findChromium(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, 'chromium', 'chromium-browser'].filter((c): c is string => !!c);
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8', timeout: 30_000 });
    if (probe.status === 0 && /chrom/i.test(probe.stdout)) return candidate;
  }
  return undefined;
}

export interface PageLoad {
  /** Every URL the page requested (Network.requestWillBeSent), in order, the page itself included. */
  readonly requests: string[];
  /** Results of the expressions passed to load(), by name, evaluated after the load event. */
  readonly values: Record<string, unknown>;
  /** PNG of the full page, when asked for. */
  readonly screenshot?: Buffer;
}

interface CdpMessage {
  id?: number;
  method?: string;
  params?: any;
  result?: any;
  error?: { message: string };
  sessionId?: string;
}

export class HeadlessChromium {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private readonly listeners: ((m: CdpMessage) => void)[] = [];
  private buffer = '';
  private stderr = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly profile: string,
  ) {
    const out = child.stdio[4] as Readable;
    out.setEncoding('utf8');
    out.on('data', (chunk: string) => {
      this.buffer += chunk;
      let end: number;
      while ((end = this.buffer.indexOf('\0')) >= 0) {
        const message = JSON.parse(this.buffer.slice(0, end)) as CdpMessage;
        this.buffer = this.buffer.slice(end + 1);
        this.dispatch(message);
      }
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    child.on('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`chromium exited (${code}) before answering; stderr: ${this.stderr}`));
      this.pending.clear();
    });
  }

  static async launch(executable: string): Promise<HeadlessChromium> {
    const profile = mkdtempSync(join(tmpdir(), 'ddb-audit-chromium-'));
    const child = spawn(
      executable,
      [
        '--headless=new',
        '--no-sandbox', // CI runs as root, where Chromium's sandbox cannot start
        '--disable-gpu',
        '--remote-debugging-pipe',
        `--user-data-dir=${profile}`,
        '--no-first-run',
        '--no-default-browser-check',
        '--host-resolver-rules=MAP * ~NOTFOUND',
        '--proxy-server=http://127.0.0.1:9',
        '--proxy-bypass-list=<-loopback>',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-extensions',
        '--disable-default-apps',
        '--metrics-recording-only',
        '--hide-scrollbars',
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
    );
    const browser = new HeadlessChromium(child, profile);
    await browser.send('Browser.getVersion');
    return browser;
  }

  private dispatch(message: CdpMessage): void {
    if (message.id !== undefined) {
      const p = this.pending.get(message.id);
      if (!p) return;
      this.pending.delete(message.id);
      if (message.error) p.reject(new Error(`CDP: ${message.error.message}`));
      else p.resolve(message.result);
      return;
    }
    for (const listener of this.listeners) listener(message);
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<any> {
    const id = this.nextId++;
    const stdin = this.child.stdio[3] as Writable;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      stdin.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  }

  /**
   * Opens `url` in a new tab of `width` x `height` CSS pixels, records every request it makes,
   * waits for the load event and a quiet period, evaluates `expressions` in the page, and
   * optionally takes a full-page screenshot.
   */
  async load(url: string, expressions: Record<string, string>, options: { screenshot?: boolean; width?: number; height?: number } = {}): Promise<PageLoad> {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
    const requests: string[] = [];
    let loaded!: () => void;
    const loadEvent = new Promise<void>((resolve) => (loaded = resolve));
    const listener = (m: CdpMessage): void => {
      if (m.sessionId !== sessionId) return;
      if (m.method === 'Network.requestWillBeSent') requests.push(String(m.params.request.url));
      if (m.method === 'Page.loadEventFired') loaded();
    };
    this.listeners.push(listener);
    await this.send('Network.enable', {}, sessionId);
    await this.send('Page.enable', {}, sessionId);
    await this.send('Emulation.setDeviceMetricsOverride', { width: options.width ?? 1100, height: options.height ?? 900, deviceScaleFactor: 1, mobile: false }, sessionId);
    await this.send('Page.navigate', { url }, sessionId);
    await withTimeout(loadEvent, 30_000, `the load event of ${url}`);
    await new Promise((resolve) => setTimeout(resolve, 500)); // anything the page starts after load
    const values: Record<string, unknown> = {};
    for (const [name, expression] of Object.entries(expressions)) {
      const { result, exceptionDetails } = await this.send('Runtime.evaluate', { expression, returnByValue: true }, sessionId);
      if (exceptionDetails) throw new Error(`evaluating ${name}: ${JSON.stringify(exceptionDetails)}`);
      values[name] = result.value;
    }
    let screenshot: Buffer | undefined;
    if (options.screenshot) {
      const { data } = await this.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }, sessionId);
      screenshot = Buffer.from(data, 'base64');
    }
    await this.send('Target.closeTarget', { targetId });
    this.listeners.splice(this.listeners.indexOf(listener), 1);
    return { requests, values, screenshot };
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null) resolve();
      else this.child.once('exit', () => resolve());
    });
    try {
      await withTimeout(this.send('Browser.close'), 10_000, 'Browser.close');
    } catch {
      this.child.kill('SIGKILL');
    }
    await withTimeout(exited, 10_000, 'chromium to exit').catch(() => this.child.kill('SIGKILL'));
    rmSync(this.profile, { recursive: true, force: true });
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
