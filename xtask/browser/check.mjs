// The real-browser check of the built book: `cargo xtask browser-check`.
//
// Debian's Chromium (never a downloaded browser), driven by playwright-core,
// opens every page of target/book through file:// at 1280×900, 390×844 and
// 320×640, with every request that is not a file of the book blocked and
// counted.
// docs/tooling.md explains every assertion; xtask/src/browser.rs installs
// playwright-core with `npm ci` and runs this script with:
//
//   node check.mjs --book DIR --src DIR --out DIR --chromium PATH
//                  --site-url /path/ [--api-docs DIR] [--code-share-limit PERCENT]
//                  [--report-only]
//
// --api-docs: the crate's directory of `cargo doc` (target/doc/CRATE): every
// page is opened too, with every request outside target/doc blocked, and
// must show its doc comments' maths rendered by KaTeX.
//
// --report-only applies to the two bars that wait for the chapters' rewrite
// (issue 9): the code share of each chapter, and display equations wider
// than the text column at 1280 px. Both are always measured and printed.
//
// Exit code 0 when every assertion holds, 1 otherwise (the failures are
// listed at the end), 2 when the check itself cannot run.

import { chromium } from 'playwright-core';
import { createServer } from 'node:http';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'phone', width: 390, height: 844 },
  { name: 'small-phone', width: 320, height: 640 },
];
const [DESKTOP, PHONE, SMALL_PHONE] = VIEWPORTS;
// Figure text must be at least this high as rendered at the phone widths.
const MIN_FIGURE_TEXT_PX = 10;
// At 320 px at most this share of the display equations may be wider than
// the column (each with a scroll cue and its number on screen); at 390 px none.
const MAX_WIDE_SHARE_SMALL_PHONE = 0.1;
// Figures that another command draws and that still have smaller text, with
// the reason; reported, not failed. Keep it short.
const PENDING_FIGURES = {
  'benchmarks/kernels.svg': 'drawn by `cargo xtask bench` (issue 17), not by tests/suite/artifacts/figures.rs: its text is 14 nominal px',
};
const SEARCH_TERM = 'Jacobian';
// A term and the chapter that defines it: its first search result.
const DEFINED_IN = [
  ['cross-entropy', 'cross-entropy.html'],
  ['Jacobian', 'softmax-derivative.html'],
];

function parseArgs(argv) {
  const args = { codeShareLimit: 25, reportOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${flag} needs a value`);
      return argv[++i];
    };
    switch (flag) {
      case '--book': args.book = resolve(value()); break;
      case '--src': args.src = resolve(value()); break;
      case '--out': args.out = resolve(value()); break;
      case '--chromium': args.chromium = value(); break;
      case '--site-url': args.siteUrl = value(); break;
      case '--api-docs': args.apiDocs = resolve(value()); break;
      case '--code-share-limit': args.codeShareLimit = Number(value()); break;
      case '--report-only': args.reportOnly = true; break;
      default: usage(`unknown argument ${flag}`);
    }
  }
  for (const key of ['book', 'src', 'out', 'chromium', 'siteUrl']) {
    if (!args[key]) usage(`missing --${key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`);
  }
  if (!Number.isFinite(args.codeShareLimit)) usage('--code-share-limit must be a number');
  return args;
}

function usage(message) {
  console.error(`browser-check: ${message}`);
  process.exit(2);
}

const failures = [];
const fail = (where, what) => {
  const line = `${where}: ${what}`;
  if (!failures.includes(line)) failures.push(line);
};
// Console errors are failures, except while loading the 404 page on purpose.
let expectingErrors = false;

/** Every .html file of the built book, relative, sorted. */
function htmlPages(dir) {
  const pages = [];
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.html')) pages.push(relative(dir, path).split(sep).join('/'));
    }
  };
  walk(dir);
  return pages.sort();
}

/** The chapters of SUMMARY.md, in order, as built page names. */
function chapters(src) {
  const summary = readFileSync(join(src, 'SUMMARY.md'), 'utf8');
  return [...summary.matchAll(/\]\(([^)#]+\.md)\)/g)].map((m) => ({
    md: m[1],
    html: m[1].replace(/\.md$/, '.html'),
  }));
}

/** The `<a id="eq-...">` anchors that a chapter's Markdown declares. */
function declaredEquationAnchors(src, md) {
  const text = readFileSync(join(src, md), 'utf8');
  return [...text.matchAll(/<a\s+id="(eq-[^"]+)"/g)].map((m) => m[1]);
}

/** The smallest font size of an SVG's text, in its own units, and its width. */
function svgTextMetrics(file) {
  const svg = readFileSync(file, 'utf8');
  const header = svg.slice(0, svg.indexOf('>') + 1);
  const viewBox = header.match(/viewBox="\s*[-\d.]+[\s,]+[-\d.]+[\s,]+([\d.]+)[\s,]+([\d.]+)\s*"/);
  const width = viewBox ? Number(viewBox[1]) : Number((header.match(/width="([\d.]+)/) || [])[1]);
  const sizes = [];
  for (const text of svg.matchAll(/<text\b[^>]*>/g)) {
    const size = text[0].match(/font-size="([\d.]+)(?:px)?"/) || text[0].match(/font-size:\s*([\d.]+)px/);
    if (size && Number(size[1]) > 0) sizes.push(Number(size[1]));
  }
  return { width, minFontSize: sizes.length ? Math.min(...sizes) : null, texts: sizes.length };
}

/** Measurements taken inside the page (runs in the browser). */
function measurePage(siteRoot) {
  const result = {};
  const doc = document.documentElement;
  // Sideways scrolling. mdBook clips the page sideways (overflow-x: clip on
  // its body container), so a too-wide element is cut off rather than
  // scrollable: look for any element that reaches past the window's edges
  // without being inside a box that scrolls (or clips) it on purpose.
  window.scrollTo(10000, window.scrollY);
  result.scrollX = window.scrollX;
  window.scrollTo(0, window.scrollY);
  result.scrollWidth = Math.max(doc.scrollWidth, document.body.scrollWidth);
  result.clientWidth = doc.clientWidth;
  result.overflowing = [];
  result.overflowPx = Math.max(0, result.scrollWidth - result.clientWidth, result.scrollX);
  const mainEl = document.querySelector('main');
  const walk = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && (r.right > result.clientWidth + 0.5 || r.left < -0.5)) {
      const beyond = Math.max(r.right - result.clientWidth, -r.left);
      result.overflowPx = Math.max(result.overflowPx, Math.ceil(beyond));
      if (result.overflowing.length < 5) {
        const cls = typeof el.className === 'string' && el.className ? '.' + el.className.split(' ')[0] : '';
        result.overflowing.push(`<${el.tagName.toLowerCase()}${cls}> ${Math.round(r.left)}..${Math.round(r.right)}px`);
      }
      return; // its descendants are the same overflow
    }
    if (el !== mainEl && getComputedStyle(el).overflowX !== 'visible') return; // a box of its own
    for (const child of el.children) walk(child);
  };
  if (mainEl) walk(mainEl);

  // KaTeX.
  const main = document.querySelector('main') || document.body;
  result.katex = document.querySelectorAll('.katex').length;
  result.displays = document.querySelectorAll('.katex-display').length;
  result.katexErrors = [...document.querySelectorAll('.katex-error')].map((e) => e.textContent.slice(0, 80));
  result.mathml = document.querySelectorAll('.katex math').length;
  const prose = main.cloneNode(true);
  prose.querySelectorAll('pre, code, .katex').forEach((e) => e.remove());
  result.rawTex = (prose.textContent.match(/\$\$|\\(frac|tag|begin|sum)\b/g) || []).length;
  // Fold titles are rendered Markdown: no literal backtick.
  result.backtickSummaries = [...main.querySelectorAll('summary')].filter((s) => s.textContent.includes('`')).map((s) => s.textContent.trim().slice(0, 80));

  // Equation numbers against their formulas, and displays wider than their box.
  result.tagOverlaps = [];
  result.wideDisplays = [];
  const column = main.getBoundingClientRect().width;
  for (const display of document.querySelectorAll('.katex-display')) {
    const html = display.querySelector('.katex-html');
    if (!html) continue;
    const tag = html.querySelector(':scope > .tag');
    const label = tag ? tag.textContent.trim() : (display.textContent.slice(0, 30));
    const bases = [...html.querySelectorAll(':scope > .base')];
    const formulaRight = Math.max(...bases.map((b) => b.getBoundingClientRect().right));
    const formulaLeft = Math.min(...bases.map((b) => b.getBoundingClientRect().left));
    if (display.scrollWidth > display.clientWidth + 1) {
      result.wideDisplays.push(`${label} ${Math.round(formulaRight - formulaLeft)}px wide (${display.scrollWidth}px with its number) in ${Math.round(display.clientWidth)}px`);
    }
    if (!tag) continue;
    const t = tag.getBoundingClientRect();
    for (const base of bases) {
      for (const r of base.getClientRects()) {
        const dx = Math.min(r.right, t.right) - Math.max(r.left, t.left);
        const dy = Math.min(r.bottom, t.bottom) - Math.max(r.top, t.top);
        if (dx > 0.5 && dy > 0.5) {
          result.tagOverlaps.push(`${label} overlaps its formula by ${Math.round(dx)}px`);
        }
      }
    }
  }
  result.column = Math.round(column);

  // Fonts: every face the page declares is loaded (see the caller: all are
  // asked to load first), none failed.
  result.fonts = [...document.fonts].map((f) => ({ family: f.family.replace(/"/g, ''), status: f.status }));

  // Images.
  result.images = [...document.images].map((img) => ({
    src: img.getAttribute('src'),
    url: img.currentSrc || img.src,
    loaded: img.complete && img.naturalWidth > 0,
    width: img.getBoundingClientRect().width,
  }));

  // Every URL of the DOM, as the browser resolves it: it must stay in the book.
  const urls = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of ['href', 'src', 'poster', 'data', 'action', 'formaction', 'cite', 'background', 'xlink:href', 'manifest', 'longdesc']) {
      const value = el.getAttribute(attr);
      if (value !== null && value.trim() !== '') urls.push({ where: `<${el.tagName.toLowerCase()} ${attr}>`, value });
    }
    for (const attr of ['srcset', 'imagesrcset']) {
      const value = el.getAttribute(attr);
      if (value) for (const c of value.split(',')) urls.push({ where: `<${el.tagName.toLowerCase()} ${attr}>`, value: c.trim().split(/\s+/)[0] });
    }
  }
  // Every url() of every stylesheet, from the CSSOM (the browser's own parse).
  const walkRules = (rules, base, where) => {
    for (const rule of rules) {
      if (rule.styleSheet && rule.styleSheet.cssRules) walkRules(rule.styleSheet.cssRules, rule.styleSheet.href || base, where);
      if (rule.cssRules) walkRules(rule.cssRules, base, where);
      for (const m of rule.cssText.matchAll(/url\("((?:[^"\\]|\\.)*)"\)/g)) urls.push({ where, value: m[1], base });
      if (rule.href !== undefined && rule.href) urls.push({ where: `${where} @import`, value: rule.href, base });
    }
  };
  for (const sheet of document.styleSheets) {
    try {
      walkRules(sheet.cssRules, sheet.href || document.baseURI, sheet.href ? sheet.href.split('/').pop() : '<style>');
    } catch (e) {
      urls.push({ where: 'stylesheet', value: `(unreadable: ${sheet.href})` });
    }
  }
  result.externalUrls = [];
  for (const { where, value, base } of urls) {
    let url;
    try {
      url = new URL(value, base || document.baseURI);
    } catch (e) {
      continue;
    }
    if (!['file:', 'data:', 'about:', 'javascript:', 'mailto:', 'blob:'].includes(url.protocol) && !(siteRoot && url.href.startsWith(siteRoot))) {
      result.externalUrls.push(`${where} ${value}`);
    }
  }

  // Ids and the #eq- links, for the anchor check.
  result.ids = [...document.querySelectorAll('[id], a[name]')].map((e) => e.id || e.getAttribute('name'));
  result.eqLinks = [...document.querySelectorAll('a[href*="#eq-"]')].map((a) => a.href);

  // The share of the chapter's height that is code, <details> closed.
  result.mainHeight = main.getBoundingClientRect().height;
  let code = 0;
  let blocks = 0;
  for (const pre of main.querySelectorAll('pre')) {
    if (pre.closest('details:not([open])') || pre.getClientRects().length === 0) continue;
    if (pre.parentElement.closest('pre')) continue;
    code += pre.getBoundingClientRect().height;
    blocks++;
  }
  result.codeHeight = code;
  result.codeBlocks = blocks;
  result.details = main.querySelectorAll('details').length;
  result.pageHeight = doc.scrollHeight;
  return result;
}

/**
 * The boxes that scroll sideways (display equations, tables), each scrolled
 * to its start and to its end: the fade at the cut edge (`--cue-right`, the
 * scroll-driven width of theme/layout.css's mask, and a mask at all) and, for
 * an equation, whether its number is inside the visible part of the box at
 * both ends. With `openAll`, also the code blocks wider than their box and
 * the frame of an opened <details> (every <details> opened, then closed
 * again). Runs in the browser.
 */
async function measureScrollBoxes(openAll) {
  const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const main = document.querySelector('main') || document.body;
  const result = { boxes: [], tables: 0, wideTables: [], code: 0, wideCode: [], details: 0, unframed: 0 };
  const inside = (rect, box) => rect.width > 0 && rect.left >= box.left - 0.5 && rect.right <= box.right + 0.5;
  const textRect = (el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    return range.getBoundingClientRect();
  };
  const tables = [...main.querySelectorAll('.table-wrapper')].filter((t) => t.getClientRects().length);
  result.tables = tables.length;
  for (const t of tables) {
    if (t.scrollWidth > t.clientWidth + 1) {
      const head = (t.querySelector('tr')?.innerText || '').replace(/\s+/g, ' ').trim().slice(0, 50);
      result.wideTables.push(`[${head}] ${t.scrollWidth}px in ${t.clientWidth}px`);
    }
  }
  const boxes = [...main.querySelectorAll('.katex-display, .table-wrapper')]
    .filter((b) => b.getClientRects().length && b.scrollWidth > b.clientWidth + 1);
  for (const b of boxes) {
    const isDisplay = b.classList.contains('katex-display');
    const tag = isDisplay ? b.querySelector('.katex-html > .tag') : null;
    const label = isDisplay
      ? (tag ? tag.textContent.trim() : b.textContent.slice(0, 30))
      : `table [${(b.querySelector('tr')?.innerText || '').replace(/\s+/g, ' ').trim().slice(0, 40)}]`;
    b.scrollLeft = 0;
    await frame();
    const style = getComputedStyle(b);
    const cue = parseFloat(style.getPropertyValue('--cue-right')) || 0;
    const masked = (style.maskImage || style.webkitMaskImage || 'none') !== 'none';
    const tagAtStart = tag ? inside(textRect(tag), b.getBoundingClientRect()) : true;
    b.scrollLeft = b.scrollWidth;
    await frame();
    const cueLeftAtEnd = parseFloat(getComputedStyle(b).getPropertyValue('--cue-left')) || 0;
    const tagAtEnd = tag ? inside(textRect(tag), b.getBoundingClientRect()) : true;
    b.scrollLeft = 0;
    result.boxes.push({ isDisplay, label, cue, cueLeftAtEnd, masked, tagAtStart, tagAtEnd, hidden: b.scrollWidth - b.clientWidth });
  }
  if (openAll) {
    const closed = [...main.querySelectorAll('details:not([open])')];
    closed.forEach((d) => d.setAttribute('open', ''));
    await frame();
    result.details = main.querySelectorAll('details').length;
    for (const d of main.querySelectorAll('details')) {
      const s = getComputedStyle(d);
      const framed = ['Top', 'Right', 'Bottom', 'Left'].every((side) => parseFloat(s[`border${side}Width`]) > 0 && s[`border${side}Style`] !== 'none');
      if (!framed) result.unframed++;
    }
    const blocks = [...main.querySelectorAll('pre > code')].filter((c) => c.getClientRects().length);
    result.code = blocks.length;
    for (const c of blocks) {
      if (c.scrollWidth > c.clientWidth + 1) {
        const longest = Math.max(...c.innerText.split('\n').map((l) => l.length));
        result.wideCode.push(longest);
      }
    }
    closed.forEach((d) => d.removeAttribute('open'));
  }
  return result;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  if (!existsSync(join(args.book, 'index.html'))) usage(`${args.book} holds no built book: run \`cargo xtask book\` first`);
  rmSync(args.out, { recursive: true, force: true });
  mkdirSync(args.out, { recursive: true });
  const bookUrl = pathToFileURL(args.book + sep).href;
  const allPages = htmlPages(args.book);
  // toc.html is the sidebar's frame content; 404.html carries a <base> for
  // the site root and is checked over HTTP below.
  const pages = allPages.filter((p) => p !== 'toc.html' && p !== '404.html');
  const chapterList = chapters(args.src);
  const chapterPages = new Set(chapterList.map((c) => c.html));

  const userDataDir = join(args.out, 'profile');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: args.chromium,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--allow-file-access-from-files',
    ],
    viewport: VIEWPORTS[0],
  });
  // Generous: CI machines have 2 busy cores, and print.html is the whole book.
  context.setDefaultTimeout(120000);
  context.setDefaultNavigationTimeout(120000);
  let server = null;
  const blocked = [];
  const requested = new Set();
  const docsUrl = args.apiDocs ? pathToFileURL(resolve(args.apiDocs, '..') + sep).href : null;
  const outside = (url) => !url.startsWith(bookUrl) && !(docsUrl && url.startsWith(docsUrl)) && !url.startsWith('data:') && !url.startsWith('blob:') && url !== 'about:blank';
  await context.route('**/*', (route) => {
    const url = route.request().url();
    requested.add(url);
    if (outside(url) && !(server && url.startsWith(server.origin))) {
      blocked.push(url);
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });

  const rows = [];
  const ids = new Map();
  const eqLinks = [];
  const figureRows = [];
  const pendingNotes = new Set();
  const page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (error) => fail(page.url().slice(bookUrl.length), `script error: ${error.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !expectingErrors) fail(page.url().slice(bookUrl.length) || page.url(), `console error: ${msg.text()}`);
  });

  for (const viewport of VIEWPORTS) {
    await page.setViewportSize({ width: viewport.width, height: viewport.height });
    mkdirSync(join(args.out, viewport.name), { recursive: true });
    for (const name of pages) {
      const where = `${name} @${viewport.width}`;
      const url = bookUrl + name;
      const before = blocked.length;
      await page.goto(url, { waitUntil: 'load' });
      // Close every <details>, ask every declared font face to load (so that
      // every @font-face source is requested and seen by the route above),
      // and wait for the fonts and images.
      await page.evaluate(async () => {
        document.querySelectorAll('details[open]').forEach((d) => d.removeAttribute('open'));
        await Promise.allSettled([...document.fonts].map((f) => f.load()));
        await document.fonts.ready;
        await Promise.all([...document.images].map((img) => (img.complete ? null : new Promise((r) => { img.onload = img.onerror = r; }))));
      });
      const m = await page.evaluate(measurePage, null);
      const sb = await page.evaluate(measureScrollBoxes, viewport === DESKTOP);
      for (const s of m.backtickSummaries) fail(where, `a fold title shows a backtick (Markdown is not processed in <summary>): ${s}`);
      if (viewport === DESKTOP) {
        for (const t of sb.wideTables) fail(where, `table wider than the column: ${t}`);
        if (sb.unframed > 0) fail(where, `${sb.unframed} of ${sb.details} opened <details> have no frame`);
      } else {
        for (const b of sb.boxes) {
          if (!b.masked || b.cue < 1) fail(where, `${b.label} scrolls sideways (${b.hidden}px hidden) without a visible cue at its cut edge (fade ${b.cue}px)`);
          if (!b.tagAtStart || !b.tagAtEnd) fail(where, `${b.label}: its equation number leaves the screen when the box scrolls (at the start: ${b.tagAtStart ? 'visible' : 'hidden'}, at the end: ${b.tagAtEnd ? 'visible' : 'hidden'})`);
        }
      }
      const newlyBlocked = blocked.slice(before);
      for (const b of newlyBlocked) fail(where, `request outside the book: ${b}`);
      if (m.overflowPx > 0) {
        fail(where, `the page is ${m.overflowPx}px wider than the ${m.clientWidth}px window (it scrolls sideways or is cut off): ${m.overflowing.join(', ') || 'no single culprit'}`);
      }
      for (const e of m.katexErrors) fail(where, `KaTeX error: ${e}`);
      for (const t of m.tagOverlaps) fail(where, `equation number ${t}`);
      if (m.rawTex > 0) fail(where, `${m.rawTex} piece(s) of unrendered TeX ($$, \\frac, \\tag, ...) in the text`);
      const isChapter = chapterPages.has(name);
      if (isChapter) {
        const md = chapterList.find((c) => c.html === name).md;
        const source = readFileSync(join(args.src, md), 'utf8');
        const displays = (source.match(/^\$\$/gm) || []).length / 2;
        if (displays > 0 && m.displays < displays) fail(where, `${displays} display equations in ${md}, ${m.displays} rendered`);
      }
      if (m.katex > 0 && m.mathml < m.katex) fail(where, `${m.katex - m.mathml} of ${m.katex} formulas have no MathML`);
      const badFonts = m.fonts.filter((f) => f.status !== 'loaded');
      for (const f of badFonts) fail(where, `font ${f.family} ${f.status}`);
      if (m.katex > 0 && !m.fonts.some((f) => f.family === 'KaTeX_Main' && f.status === 'loaded')) fail(where, 'the KaTeX fonts are not loaded');
      for (const img of m.images) if (!img.loaded) fail(where, `image not loaded: ${img.src}`);
      for (const u of m.externalUrls) fail(where, `URL outside the book: ${u}`);
      if (viewport === VIEWPORTS[0]) {
        ids.set(name, new Set(m.ids));
        for (const link of m.eqLinks) eqLinks.push({ from: name, link });
      }
      // Figures: the smallest text of each SVG image as rendered here.
      for (const img of m.images) {
        // mdBook 0.5 adds a hidden zoomed copy of every image: skip it.
        if (!img.loaded || !img.src || !img.src.endsWith('.svg') || !img.url.startsWith('file:') || img.width === 0) continue;
        const file = decodeURIComponent(new URL(img.url).pathname);
        const svg = svgTextMetrics(file);
        if (svg.minFontSize === null || !svg.width) continue;
        const px = (svg.minFontSize * img.width) / svg.width;
        figureRows.push({ page: name, viewport: viewport.width, figure: img.src, px });
        if (viewport !== DESKTOP && px < MIN_FIGURE_TEXT_PX) {
          const pending = PENDING_FIGURES[img.src];
          const message = `figure ${img.src}: its smallest text is ${px.toFixed(1)} px high at ${Math.round(img.width)} px wide (at least ${MIN_FIGURE_TEXT_PX} px)`;
          if (pending) pendingNotes.add(`${message}, on ${name} @${viewport.width}: pending, ${pending}`);
          else fail(where, message);
        }
      }
      const shot = join(args.out, viewport.name, name.replace(/\//g, '_').replace(/\.html$/, '.png'));
      // print.html holds the whole book (about 100 screens): its first screen only.
      const t0 = Date.now();
      await page.screenshot({ path: shot, fullPage: name !== 'print.html', timeout: 120000 });
      process.stderr.write(`browser-check: ${where}: measured, screenshot in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
      rows.push({
        name, viewport: viewport.width, isChapter, ...m, sb,
        share: m.mainHeight > 0 ? (100 * m.codeHeight) / m.mainHeight : 0,
        blockedCount: newlyBlocked.length,
      });
    }
  }

  // Search, on the first page, at the desktop width.
  await page.setViewportSize({ width: VIEWPORTS[0].width, height: VIEWPORTS[0].height });
  await page.goto(bookUrl + 'index.html', { waitUntil: 'load' });
  await page.keyboard.press('s');
  // Typed key by key: the searcher runs on keyup.
  await page.locator('#mdbook-searchbar').pressSequentially(SEARCH_TERM);
  let searchResults = [];
  try {
    await page.waitForFunction(() => document.querySelectorAll('#mdbook-searchresults li').length > 0, null, { timeout: 10000 });
    searchResults = await page.$$eval('#mdbook-searchresults li', (lis) => lis.map((li) => li.innerText.replace(/\s+/g, ' ').trim()));
  } catch (e) {
    fail('search', `no result for "${SEARCH_TERM}"`);
  }
  await page.screenshot({ path: join(args.out, `search-${SEARCH_TERM}.png`) });
  const searchIndex = checkSearchIndex(args.book);
  const ranks = [];
  for (const [term, chapter] of DEFINED_IN) {
    await page.goto(bookUrl + 'index.html', { waitUntil: 'load' });
    await page.keyboard.press('s');
    await page.locator('#mdbook-searchbar').pressSequentially(term);
    let first = null;
    try {
      await page.waitForFunction(() => document.querySelectorAll('#mdbook-searchresults li a').length > 0, null, { timeout: 10000 });
      first = await page.$eval('#mdbook-searchresults li a', (a) => a.getAttribute('href'));
    } catch (e) {
      fail('search', `no result for "${term}"`);
    }
    const page1 = first ? first.split(/[?#]/)[0] : null;
    ranks.push(`"${term}" → ${first}`);
    if (first && page1 !== chapter) fail('search', `the first result for "${term}" is ${first}, not the chapter that defines it, ${chapter}`);
  }

  // Equation anchors: every #eq- link lands on an id, every declared anchor is built.
  for (const { from, link } of eqLinks) {
    const [target, fragment] = link.split('#');
    const targetPage = target.startsWith(bookUrl) ? target.slice(bookUrl.length) : target;
    const targetIds = ids.get(targetPage);
    if (!targetIds) fail(from, `#eq- link to a page that was not checked: ${link}`);
    else if (!targetIds.has(decodeURIComponent(fragment))) fail(from, `link to a missing equation anchor: ${targetPage}#${fragment}`);
  }
  let declared = 0;
  for (const { md, html } of chapterList) {
    for (const anchor of declaredEquationAnchors(args.src, md)) {
      declared++;
      if (!ids.get(html)?.has(anchor)) fail(html, `the anchor ${anchor} of ${md} is missing from the built page`);
    }
  }

  // The API docs (cargo doc), if given.
  const apiDocs = args.apiDocs ? await checkApiDocs(page, args, blocked, docsUrl) : null;

  // The 404 page, served below the site root as a host would serve it.
  expectingErrors = true;
  const notFound = await check404(context, page, args, (s) => { server = s; });
  await context.close();
  if (server) server.close();

  // Report.
  const pct = (x) => `${x.toFixed(1)}%`;
  console.log('\nbrowser-check: every page at 1280×900, 390×844 and 320×640 (file://, requests outside the book blocked)\n');
  console.log('page                              width  overflow  displays wide  tag-overlap  images  blocked   code share (blocks)');
  for (const r of rows) {
    const overflow = r.overflowPx > 0 ? `+${r.overflowPx}px` : '0';
    const share = r.isChapter ? `${pct(r.share)} (${r.codeBlocks})` : '-';
    console.log(
      `${r.name.padEnd(33)} ${String(r.viewport).padStart(5)}  ${overflow.padStart(8)}  ${String(r.displays).padStart(8)} ${String(r.wideDisplays.length).padStart(4)}  ${String(r.tagOverlaps.length).padStart(11)}  ${String(r.images.length).padStart(6)}  ${String(r.blockedCount).padStart(7)}   ${share}`,
    );
  }
  const wide = rows.filter((r) => r.wideDisplays.length > 0);
  if (wide.length) {
    console.log('\ndisplay equations wider than their column, number included (they scroll inside their own box):');
    for (const r of wide) console.log(`  ${r.name} @${r.viewport}: ${r.wideDisplays.join('; ')}`);
  }
  // At 1280 px every display equation, with its number, fits the column.
  for (const r of wide.filter((w) => w.viewport === DESKTOP.width)) {
    if (!args.reportOnly) fail(`${r.name} @${r.viewport}`, `display equations wider than the column: ${r.wideDisplays.join('; ')}`);
  }
  // At 390 px none is wider than the column; at 320 px at most 10% of the
  // chapters' display equations (print.html repeats them), each with its cue
  // and its number on screen (checked per box above).
  for (const r of wide.filter((w) => w.viewport === PHONE.width)) {
    fail(`${r.name} @${r.viewport}`, `display equations wider than the column: ${r.wideDisplays.join('; ')}`);
  }
  const counts = {};
  for (const v of VIEWPORTS) {
    const chaptersAt = rows.filter((r) => r.isChapter && r.viewport === v.width);
    counts[v.width] = {
      displays: chaptersAt.reduce((n, r) => n + r.displays, 0),
      wide: chaptersAt.reduce((n, r) => n + r.wideDisplays.length, 0),
      tables: chaptersAt.reduce((n, r) => n + r.sb.tables, 0),
      wideTables: chaptersAt.reduce((n, r) => n + r.sb.wideTables.length, 0),
      code: chaptersAt.reduce((n, r) => n + r.sb.code, 0),
      wideCode: chaptersAt.flatMap((r) => r.sb.wideCode),
    };
  }
  const small = counts[SMALL_PHONE.width];
  if (small.wide > MAX_WIDE_SHARE_SMALL_PHONE * small.displays) {
    fail(`@${SMALL_PHONE.width}`, `${small.wide} of ${small.displays} display equations are wider than the column (at most ${Math.floor(MAX_WIDE_SHARE_SMALL_PHONE * small.displays)})`);
  }
  console.log('\nthe chapters, per width (display equations and tables wider than the column; code blocks at 1280 px with every <details> open):');
  for (const v of VIEWPORTS) {
    const c = counts[v.width];
    const code = v === DESKTOP ? `; code blocks wider than their box: ${c.wideCode.length} of ${c.code} (longest line ${Math.max(0, ...c.wideCode)} characters)` : '';
    console.log(`  ${String(v.width).padStart(4)} px: displays ${c.wide} of ${c.displays} wider; tables ${c.wideTables} of ${c.tables} wider${code}`);
  }
  for (const n of pendingNotes) console.log(`  pending: ${n}`);
  console.log('\nfigures (smallest text as rendered):');
  for (const f of figureRows) console.log(`  ${f.figure.padEnd(40)} @${String(f.viewport).padStart(4)} on ${f.page}: ${f.px.toFixed(1)} px`);
  console.log(`\nsearch "${SEARCH_TERM}": ${searchResults.length} results; the first three:`);
  for (const r of searchResults.slice(0, 3)) console.log(`  ${r.slice(0, 200)}`);
  console.log(`search index: ${searchIndex}`);
  console.log(`first results: ${ranks.join('; ')}`);
  console.log(`404 page under ${notFound.url}: ${notFound.summary}`);
  if (apiDocs) console.log(`API docs (${args.apiDocs}): ${apiDocs}`);
  console.log(`equation anchors: ${declared} declared in the chapters, ${eqLinks.length} #eq- links followed`);
  console.log(`requests: ${requested.size} distinct URLs, ${blocked.length} blocked (outside the book)`);

  // The code share of each chapter, at the desktop width (the bar of issue 9).
  console.log(`\ncode share per chapter at 1280 px, <details> closed (limit ${args.codeShareLimit}%${args.reportOnly ? ', report only' : ''}):`);
  const shares = rows.filter((r) => r.isChapter && r.viewport === VIEWPORTS[0].width);
  for (const r of shares) {
    const phone = rows.find((p) => p.name === r.name && p.viewport === VIEWPORTS[1].width);
    const over = r.share > args.codeShareLimit;
    console.log(`  ${r.name.padEnd(33)} ${pct(r.share).padStart(6)}  (390 px: ${pct(phone.share).padStart(6)}; ${r.codeBlocks} visible code blocks, ${r.details} <details>)${over ? '  OVER' : ''}`);
    if (over && !args.reportOnly) fail(r.name, `code is ${pct(r.share)} of the page height with <details> closed (limit ${args.codeShareLimit}%)`);
  }
  console.log(`\nscreenshots: ${args.out}/{desktop,phone}/*.png (${((Date.now() - started) / 1000).toFixed(1)} s)`);

  if (failures.length) {
    console.log(`\nbrowser-check: ${failures.length} failure(s):`);
    for (const f of failures) console.log(`  ${f}`);
    process.exit(1);
  }
  console.log('\nbrowser-check: every assertion holds');
}

/** The search index (the text of every section, as the search's teasers
 *  show it): each formula once, as text (no TeX command, none of the
 *  zero-width spaces of KaTeX's HTML, whose MathML, TeX annotation and glyphs
 *  mdBook would index as three copies), and no hidden line of a test block. */
function checkSearchIndex(book) {
  const file = readdirSync(book).find((n) => n.startsWith('searchindex') && n.endsWith('.js'));
  if (!file) {
    fail('search', 'no searchindex*.js in the book');
    return 'missing';
  }
  let text = readFileSync(join(book, file), 'utf8');
  const prefix = "window.search = Object.assign(window.search, JSON.parse('";
  text = text.slice(text.indexOf(prefix) + prefix.length, text.lastIndexOf("'));"));
  const index = JSON.parse(text.replace(/\\(.)/g, (m, c) => (c === "'" || c === '\\' ? c : m)));
  const docs = Object.entries(index.index.documentStore.docs);
  const problems = { tex: 0, katex: 0, hidden: 0 };
  for (const [ref, doc] of docs) {
    const where = `search index: ${index.doc_urls[Number(ref)]}`;
    const all = `${doc.title} ${doc.body}`;
    // A `$` before TeX: a formula left as source (TeX quoted in code, as
    // the errata quote their source, is text).
    const tex = all.match(/\$[^$]{0,80}?\\(frac|mathbf|sum|varsigma|partial|begin|tag|operatorname|text)\b/);
    if (tex) { problems.tex++; fail(where, `TeX source of a formula in the indexed text: ${tex[0].slice(0, 60)}`); }
    if (all.includes('\u200b')) { problems.katex++; fail(where, 'KaTeX glyph text (zero-width spaces) in the indexed text: a formula indexed more than once'); }
    const hidden = all.match(/extern crate [a-z_]+;/);
    if (hidden) { problems.hidden++; fail(where, `a hidden line of a test block is indexed: ${hidden[0]}`); }
  }
  return `${docs.length} sections; ${problems.tex} with TeX source, ${problems.katex} with KaTeX glyph text, ${problems.hidden} with hidden test lines`;
}

/** Every page of the API docs: the maths of the doc comments rendered by the
 *  KaTeX of katex-header.html (no ```math block and no $…$ left, no KaTeX
 *  error), and no request outside target/doc. */
async function checkApiDocs(page, args, blocked, docsUrl) {
  const files = htmlPages(args.apiDocs).filter((p) => {
    // rustdoc's redirect stubs hold no docs.
    return !readFileSync(join(args.apiDocs, p), 'utf8').slice(0, 400).includes('http-equiv="refresh"');
  });
  let formulas = 0;
  let withMaths = 0;
  const before = blocked.length;
  for (const name of files) {
    const where = `API docs ${name}`;
    await page.setViewportSize({ width: DESKTOP.width, height: DESKTOP.height });
    await page.goto(pathToFileURL(join(args.apiDocs, name)).href, { waitUntil: 'load' });
    const m = await page.evaluate(async () => {
      await document.fonts.ready;
      const docs = [...document.querySelectorAll('.docblock, .docblock-short')];
      const text = docs.map((d) => {
        const c = d.cloneNode(true);
        c.querySelectorAll('pre, code, .katex').forEach((e) => e.remove());
        return c.textContent;
      }).join(' ');
      const fonts = [...document.fonts].filter((f) => f.family.replace(/"/g, '').startsWith('KaTeX'));
      return {
        katex: document.querySelectorAll('.katex').length,
        errors: document.querySelectorAll('.katex-error').length,
        mathBlocks: document.querySelectorAll('pre.language-math').length,
        rawTex: (text.match(/\$[^$\s][^$]*\$|\\(frac|sum|varsigma|mathbf|partial)\b/g) || []).slice(0, 3),
        fontsFailed: fonts.filter((f) => f.status === 'error').map((f) => f.family),
      };
    });
    formulas += m.katex;
    if (m.katex > 0) withMaths++;
    if (m.errors) fail(where, `${m.errors} KaTeX error(s)`);
    if (m.mathBlocks) fail(where, `${m.mathBlocks} \`\`\`math block(s) left unrendered (is katex-header.html passed to rustdoc?)`);
    for (const t of m.rawTex) fail(where, `LaTeX left in the text: ${t.slice(0, 60)}`);
    for (const f of m.fontsFailed) fail(where, `font ${f} failed`);
  }
  for (const b of blocked.slice(before)) fail('API docs', `request outside target/doc: ${b}`);
  if (files.length && formulas === 0) fail('API docs', 'no formula rendered on any page');
  if (files.length) await page.screenshot({ path: join(args.out, 'api-docs.png') });
  return `${files.length} pages, ${formulas} formulas rendered on ${withMaths} of them, ${blocked.length - before} requests outside ${docsUrl} blocked`;
}

/** Serve the book below `siteUrl` on 127.0.0.1 (unknown paths get 404.html
 *  with status 404, as GitHub Pages does) and check that the 404 page keeps
 *  its styles, fonts and scripts at an address deep below the site root. */
async function check404(context, page, args, setServer) {
  const prefix = args.siteUrl === '/' ? '/below-the-site-root/' : args.siteUrl;
  const types = { html: 'text/html', css: 'text/css', js: 'text/javascript', svg: 'image/svg+xml', png: 'image/png', woff2: 'font/woff2', json: 'application/json' };
  const srv = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let file = null;
    if (path.startsWith(prefix)) {
      const candidate = resolve(args.book, '.' + sep + path.slice(prefix.length));
      if (candidate.startsWith(args.book) && existsSync(candidate) && statSync(candidate).isFile()) file = candidate;
    }
    if (file) {
      res.writeHead(200, { 'content-type': types[file.split('.').pop()] || 'application/octet-stream' });
      res.end(readFileSync(file));
    } else {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end(readFileSync(join(args.book, '404.html')));
    }
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  srv.origin = `http://127.0.0.1:${srv.address().port}`;
  setServer(srv);
  const url = `${srv.origin}${prefix}no/such/page.html`;
  const bad = [];
  const onResponse = (response) => {
    if (response.url() !== url && response.status() >= 400) bad.push(`${response.status()} ${response.url()}`);
  };
  page.on('response', onResponse);
  const results = [];
  for (const viewport of VIEWPORTS) {
    await page.setViewportSize({ width: viewport.width, height: viewport.height });
    const response = await page.goto(url, { waitUntil: 'load' });
    await page.evaluate(async () => { await Promise.allSettled([...document.fonts].map((f) => f.load())); await document.fonts.ready; });
    const state = await page.evaluate(() => ({
      base: document.querySelector('base')?.getAttribute('href') ?? null,
      // The enabled stylesheets (mdBook's other colour themes are disabled).
      sheets: [...document.querySelectorAll('link[rel=stylesheet]')].filter((l) => !l.disabled).map((l) => ({ href: l.href, rules: l.sheet ? l.sheet.cssRules.length : 0 })),
      contentMax: getComputedStyle(document.documentElement).getPropertyValue('--content-max-width').trim(),
      fontsLoaded: [...document.fonts].filter((f) => f.status === 'loaded').length,
      fontsFailed: [...document.fonts].filter((f) => f.status === 'error').map((f) => f.family),
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
    }));
    const where = `404.html @${viewport.width} (${url})`;
    if (response.status() !== 404) fail(where, `the server answered ${response.status()}, not 404`);
    const unstyled = state.sheets.filter((s) => s.rules === 0);
    if (unstyled.length || !state.contentMax) fail(where, `the page lost its styles (base href ${state.base}): ${unstyled.map((s) => s.href).join(', ') || 'the theme variables are not set'}`);
    for (const f of state.fontsFailed) fail(where, `font ${f} failed`);
    if (state.scrollWidth > state.clientWidth) fail(where, `the page scrolls sideways (${state.scrollWidth}px in ${state.clientWidth}px)`);
    await page.screenshot({ path: join(args.out, viewport.name, '404-below-site-root.png'), fullPage: true });
    results.push(`${viewport.width}px: ${state.sheets.length} stylesheets, ${state.fontsLoaded} fonts`);
  }
  page.off('response', onResponse);
  for (const b of [...new Set(bad)]) fail('404.html', `failed request ${b}`);
  return { url, summary: `${results.join('; ')}; base href ${await page.evaluate(() => document.querySelector('base')?.getAttribute('href'))}; ${bad.length} failed requests` };
}

main().catch((error) => {
  console.error(`browser-check: ${error.stack || error}`);
  process.exit(2);
});
