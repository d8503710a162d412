import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import puppeteer from 'puppeteer-core';
import { renderReport, sampleCluster, sampleTimeline, sampleTrials } from '../src/index.js';

/** Debian's chromium package; scripts/setup installs it. */
const CHROMIUM = '/usr/bin/chromium';

describe('HTML report in a real browser (headless Chromium)', function () {
  this.timeout(120_000);
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'virtmig-report-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads without console errors or network requests and draws every figure at a visible size', async () => {
    const records = sampleTrials();
    const html = await renderReport({
      title: 'virtmig sample report (synthetic data)',
      records,
      timelines: [sampleTimeline()],
      model: { maxDowntimeMs: 30_000 },
      cluster: sampleCluster(records),
    });
    const file = join(dir, 'report.html');
    await writeFile(file, html);

    // Root cannot use Chromium's sandbox; the page is our own static file with no scripts.
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu'],
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warn') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${String(e)}`));
      page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()}`));
      page.on('request', (r) => requests.push(r.url()));
      await page.setViewport({ width: 1200, height: 900 });
      const url = pathToFileURL(file).href;
      await page.goto(url, { waitUntil: 'load' });

      expect(problems).to.deep.equal([]);
      expect(requests).to.deep.equal([url]);
      const boxes = await page.$$eval('svg', (svgs) =>
        svgs.map((s) => {
          const r = s.getBoundingClientRect();
          return { w: r.width, h: r.height, marks: s.querySelectorAll('path, line, rect').length };
        }),
      );
      expect(boxes).to.have.length(3);
      for (const b of boxes) {
        expect(b.w).to.be.greaterThan(300);
        expect(b.h).to.be.greaterThan(150);
        expect(b.marks).to.be.greaterThan(10);
      }
      const heading = await page.$eval('.decision strong', (e) => e.textContent);
      expect(heading).to.equal('Migrate vm-dhrystone from host-a to host-b');

      const shot = join(tmpdir(), 'virtmig-report-screenshot.png');
      await page.screenshot({ path: shot, fullPage: true });
      const png = await readFile(shot);
      expect(png.subarray(1, 4).toString('latin1')).to.equal('PNG');
      expect(png.length).to.be.greaterThan(50_000);
    } finally {
      await browser.close();
    }
  });
});
