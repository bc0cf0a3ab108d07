// Helpers for the browser tests: nodes started through the real `samenloop` binary in fresh homes,
// one-time links asked for through the CLI, and Chromium from Debian driven by playwright-core.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, "..", "..");
export const binary = process.env.SAMENLOOP_BIN || join(root, "target", "debug", "samenloop");
export const shots = join(root, "target", "screenshots");
export const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";

/** Whether the suite can run here; the caller skips loudly when not. */
export function missing() {
  if (!existsSync(chromiumPath)) return `no Chromium at ${chromiumPath} (apt-get install chromium)`;
  if (!existsSync(binary)) return `no samenloop binary at ${binary} (cargo build -p samenloop-cli)`;
  return null;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A node in a fresh home, started as `samenloop open` would start it: waiting for first run or unlock. */
export class Node {
  constructor(name) {
    this.name = name;
    this.home = mkdtempSync(join(tmpdir(), `samenloop-browser-${name}-`));
    this.proc = null;
  }

  /** Runs a CLI command against this node's home; `passphrase` for `init`. */
  cli(...args) {
    return execFileSync(binary, ["--home", this.home, ...args], {
      encoding: "utf8",
      env: { ...process.env, SAMENLOOP_PASSPHRASE: this.passphrase || "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
  }

  /**
   * Starts the node: waiting for the browser (as `samenloop open` does), or, when the node was given a
   * passphrase (a requester run from the command line), unlocked at once. `bootstrap` joins another node.
   */
  async start({ bootstrap = [] } = {}) {
    const args = ["--home", this.home, "node", "run", "--api", "127.0.0.1:0", "--no-mdns",
      "--listen", "/ip4/127.0.0.1/tcp/0"];
    if (!this.passphrase) args.push("--wait-for-unlock");
    for (const b of bootstrap) args.push("--bootstrap", b);
    this.proc = spawn(binary, args, {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, SAMENLOOP_PASSPHRASE: this.passphrase || "" },
    });
    this.stderr = "";
    this.proc.stderr.on("data", (d) => (this.stderr += d));
    const addrFile = join(this.home, "api.addr");
    for (let i = 0; i < 300; i++) {
      if (existsSync(addrFile)) {
        this.addr = readFileSync(addrFile, "utf8").trim();
        this.origin = `http://${this.addr}`;
        return this;
      }
      if (this.proc.exitCode !== null) throw new Error(`node ${this.name} exited: ${this.stderr}`);
      await sleep(50);
    }
    throw new Error(`node ${this.name} did not start: ${this.stderr}`);
  }

  /** The node's peer addresses (with /p2p/), once it runs. */
  addrs() {
    return JSON.parse(this.cli("node", "status", "--json")).listen_addrs;
  }

  /** Polls `check` until it returns true, for at most `ms`. */
  async until(what, check, ms = 20000) {
    const start = Date.now();
    for (;;) {
      try {
        if (await check()) return;
      } catch {
        // not yet
      }
      if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
      await sleep(200);
    }
  }

  /** A one-time sign-in link, as `samenloop open --print-link` prints it. */
  link() {
    return this.cli("open", "--print-link").trim();
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const done = new Promise((r) => this.proc.once("exit", r));
    this.proc.kill("SIGTERM");
    await Promise.race([done, sleep(15000)]);
    if (this.proc.exitCode === null) this.proc.kill("SIGKILL");
  }

  remove() {
    rmSync(this.home, { recursive: true, force: true });
  }
}

export async function browser() {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ["--headless", "--no-sandbox", "--disable-gpu"],
  });
}

/** A screenshot of the whole page under target/screenshots/NAME.png. */
export async function shot(page, name) {
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

/** Runs axe-core on the page; returns the serious and critical violations. */
export async function axe(page) {
  const source = readFileSync(join(here, "node_modules", "axe-core", "axe.min.js"), "utf8");
  // The app's CSP forbids inline script, so axe is evaluated through the DevTools protocol.
  await page.evaluate(source);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    return await axe.run(document, { resultTypes: ["violations"] });
  });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}
