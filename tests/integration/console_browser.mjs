// tests/integration/console_browser.mjs: drives the officers' console in headless Chromium
// (playwright-core from NPM_DIR, /usr/bin/chromium), each officer logged in with her TLS
// client certificate (browser.newContext clientCertificates).  Run by console_browser.sh,
// which prepared the requests (env below) and checks what follows with curl and openssl.
// Prints "ok\tWHAT" or "not ok\tWHAT" per check, "file\tNAME\tPATH" for what it saved.
//
// env: URL, D (the officers' certificates), OUT (screenshots, downloads), NPM_DIR,
//      AUTHZ (ra-server --print-authz-table=tsv), R1 (a tls-server request of the token),
//      R2 (a seal-signer request: two approvals), R3 (a request no one approves: CSRF)
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.NPM_DIR + '/node_modules/playwright-core');
const { URL: BASE, D, OUT, AUTHZ, R1, R2, R3 } = process.env;
const origin = new URL(BASE).origin;

function check(ok, what) {
	console.log((ok ? 'ok' : 'not ok') + '\t' + what);
}

// The authorisation table: per role, the [method, RegExp] it may call
const allowed = {};
for (const line of readFileSync(AUTHZ, 'utf8').split('\n')) {
	const [m, path, role, res] = line.split('\t');
	if (res !== 'ok')
		continue;
	const re = new RegExp('^' + path.replace('{id}', '[0-9]+').replace('{serial}', '[0-9a-fA-F]+').replace('{name}', '[^/]+') + '$');
	(allowed[role] ||= []).push([m, re, path]);
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const calls = [];        // [role, method, path] of every API call a console page made
const problems = [];     // console errors, page errors, CSP violations
const docs = [];         // [url, CSP header] of every console document

async function login(who, role, locale) {
	const ctx = await browser.newContext({
		ignoreHTTPSErrors: true,  // the test's own root; the officer's certificate is what is checked
		locale,
		viewport: { width: 1280, height: 800 },
		acceptDownloads: true,
		clientCertificates: [{ origin, certPath: `${D}/${who}.crt`, keyPath: `${D}/${who}.key` }],
	});
	const page = await ctx.newPage();
	page.setDefaultTimeout(8000);
	page.forced = false;
	page.on('request', (r) => {
		const u = new URL(r.url());
		if (u.origin === origin && u.pathname.startsWith('/api/') && !page.forced)
			calls.push([role, r.method(), u.pathname, who]);
	});
	page.on('response', (r) => {
		if (r.request().resourceType() === 'document' && new URL(r.url()).pathname.startsWith('/console'))
			docs.push([r.url(), r.headers()['content-security-policy'] || '']);
	});
	page.on('console', (m) => {
		if (m.type() === 'error' && !page.forced)
			problems.push(`${who}: console: ${m.text()} (${m.location().url})`);
	});
	page.on('pageerror', (e) => problems.push(`${who}: page error: ${e.message}`));
	await page.addInitScript(() => {
		document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));
	});
	return { ctx, page, who, role };
}

async function go(p, hash) {
	await p.page.goto(`${BASE}/console/${hash}`);
	await p.page.waitForSelector('body[data-ready="yes"]');
	await settle(p);
}

// the page has drawn what it fetched: its h2 is there and nothing loads
async function settle(p) {
	await p.page.waitForFunction(() => document.querySelector('#view h2, #view .msg') && !document.getElementById('status').textContent);
}

async function shot(p, name) {
	const path = `${OUT}/${name}.png`;
	await p.page.screenshot({ path, fullPage: true });
	console.log(`file\t${name}\t${path}`);
}

async function text(p, sel) {
	return (await p.page.locator(sel).first().textContent()) || '';
}

async function visible(p, sel) {
	return (await p.page.locator(sel).count()) > 0 && p.page.locator(sel).first().isVisible();
}

async function hashTo(p, hash) {
	await p.page.evaluate((h) => { location.hash = h; }, hash);
	await p.page.waitForFunction((h) => location.hash === h, hash);
	await settle(p);
}

try {
	// ---------------------------------------- alice (officer), Chinese by default
	const alice = await login('alice', 'officer', 'zh-CN');
	await go(alice, '');
	check((await text(alice, '#who')).includes('alice') && (await text(alice, '#who')).includes('审核员'),
		'alice: the header names her and her role, in Chinese (zh-CN by Accept-Language)');
	check(await alice.page.evaluate(() => document.documentElement.lang) === 'zh-CN', 'alice: <html lang> is zh-CN');
	check(!(await visible(alice, 'nav a[href="#/audit"]')), 'alice: no audit link (officers may not read the audit)');
	const row = alice.page.locator(`#view a[href="#/request/${R1}"]`);
	check(await row.count() === 1, `alice: the queue lists request ${R1} that curl submitted`);
	await shot(alice, 'zh-queue');
	await row.click();
	await settle(alice);
	const detail = await text(alice, '#view');
	check(detail.includes('www1.example.gov.cn') && detail.includes('ec-p256') && detail.includes('ecdsa-with-SHA256'),
		'alice: the request shows the decoded CSR (subject, key, signature algorithm)');
	check(await alice.page.locator('#view .checks li.pass').count() === 3 && await alice.page.locator('#view .checks li.fail').count() === 0,
		'alice: three profile checks, all pass');
	check(await text(alice, '.approvals') === '0 / 1 项审批', 'alice: 0 of 1 approvals (Chinese)');
	await shot(alice, 'zh-request');
	await alice.page.click('#approve');
	await alice.page.waitForSelector('.msg.ok');
	await settle(alice);
	check((await text(alice, '#view')).includes('已签发'), 'alice: approved from the page, the request is issued');
	const sn = (await alice.page.locator('#view a[href^="#/cert/"]').first().textContent()).trim();
	check(/^[0-9a-f]+$/.test(sn), `alice: the request links its certificate ${sn}`);
	console.log(`serial\t${sn}`);

	// the certificate search finds it, good
	await hashTo(alice, `#/certs?san=www1.example.gov.cn`);
	const crow = alice.page.locator(`#view tr:has(a[href="#/cert/${sn}"])`);
	check(await crow.count() === 1 && (await crow.textContent()).includes('有效'), 'alice: the search by SAN finds it with status good');
	await shot(alice, 'zh-certs');
	await hashTo(alice, `#/cert/${sn}`);
	// PEM and DER downloads
	for (const [btn, file] of [['#dl-pem', 'cert.pem'], ['#dl-der', 'cert.der']]) {
		const [dl] = await Promise.all([alice.page.waitForEvent('download'), alice.page.click(btn)]);
		await dl.saveAs(`${OUT}/${file}`);
		console.log(`file\t${file}\t${OUT}/${file}`);
	}
	// revoke with keyCompromise: refused without the confirmation, asked for with it
	await alice.page.selectOption('#revoke-form select', 'keyCompromise');
	check(await alice.page.locator('#revoke-form .confirm').isVisible(), 'alice: keyCompromise shows a confirmation box');
	const before = calls.length;
	await alice.page.click('#revoke');
	await alice.page.waitForSelector('.msg.error');
	check(calls.length === before, 'alice: keyCompromise without the confirmation sends nothing');
	await shot(alice, 'zh-cert');
	await alice.page.check('#revoke-form input[name=confirm]');
	await alice.page.click('#revoke');
	await alice.page.waitForSelector('.msg.ok a[href^="#/request/"]');
	const rv = (await alice.page.locator('.msg.ok a').getAttribute('href')).split('/').pop();
	check(/^[0-9]+$/.test(rv), `alice: the revocation request ${rv} is submitted`);
	console.log(`revocation\t${rv}`);

	// the seal-signer request: alice's approval leaves 1 of 2
	await hashTo(alice, `#/request/${R2}`);
	await alice.page.fill('#approve-form input[name=comment]', 'checked the seal maker');
	await alice.page.click('#approve');
	await alice.page.waitForSelector('.msg.ok');
	await settle(alice);
	check(await text(alice, '.approvals') === '1 / 2 项审批' && (await text(alice, '#view')).includes('待审批'),
		'alice: the seal-signer request stays pending with 1 of 2 approvals');
	check((await text(alice, '#view')).includes('alice'), 'alice: ... and names her as approver');
	check(!(await visible(alice, '#approve')) || (await text(alice, '#view')).includes('alice'), 'alice: ...');

	// the other pages, then the same in English by the switch
	await hashTo(alice, '#/ca');
	check((await text(alice, '#view')).includes('issuing') && (await text(alice, '#view')).includes('CRL'), 'alice: the CA overview lists the CAs and CRLs');
	check((await text(alice, '#ocsp-health')).includes('正常'), "alice: ... and the OCSP responder's health: healthy");
	await shot(alice, 'zh-ca');
	await hashTo(alice, '#/seals');
	await shot(alice, 'zh-seals');
	await alice.page.click('#lang');
	await settle(alice);
	check((await text(alice, 'nav')).includes('Queue') && await alice.page.evaluate(() => document.documentElement.lang) === 'en',
		'alice: the switch turns the console to English');
	await shot(alice, 'en-seals');
	await hashTo(alice, '#/ca');
	await shot(alice, 'en-ca');
	await hashTo(alice, '#/queue?status=&sort=id_desc');
	const qids = (await alice.page.locator('#view tbody tr td:first-child').allTextContents()).map(Number);
	check(qids.length >= 3 && qids.every((x, i) => i === 0 || x < qids[i - 1]), `alice: the queue sorted newest first (${qids})`);
	await shot(alice, 'en-queue');
	await hashTo(alice, `#/request/${R2}`);
	check(await text(alice, '.approvals') === '1 of 2 approvals', 'alice: in English, "1 of 2 approvals"');
	await shot(alice, 'en-request');
	await hashTo(alice, '#/certs');
	await shot(alice, 'en-certs');
	await hashTo(alice, `#/cert/${sn}`);
	await shot(alice, 'en-cert');
	// tablet width
	await alice.page.setViewportSize({ width: 768, height: 1024 });
	await hashTo(alice, '#/queue');
	check(await alice.page.evaluate(() => document.documentElement.scrollWidth <= 768 + 1), 'alice: at tablet width (768) the queue has no horizontal scroll');
	await shot(alice, 'en-queue-tablet');
	// keyboard: a page takes the focus to its heading; Tab goes on to the
	// first filter, whose focus is drawn (an outline)
	check(await alice.page.evaluate(() => document.activeElement.tagName === 'H2'), 'alice: the page moves the focus to its heading');
	await alice.page.keyboard.press('Tab');
	check(await alice.page.evaluate(() => document.activeElement.name === 'status' &&
		getComputedStyle(document.activeElement).outlineStyle === 'solid'), 'alice: Tab reaches the first filter, with a visible focus outline');
	// the skip link: the first stop of the page, to the content
	await alice.page.reload();
	await alice.page.waitForSelector('body[data-ready="yes"]');
	await settle(alice);
	await alice.page.keyboard.press('Tab');
	check(await alice.page.evaluate(() => document.activeElement.classList.contains('skip')), 'alice: from the top, Tab reaches the skip link first');

	// ---------------------------------------- bob (officer, English by Accept-Language)
	const bob = await login('bob', 'officer', 'en-US');
	await go(bob, `#/request/${R2}`);
	check((await text(bob, 'nav')).includes('Queue'), 'bob: English by Accept-Language');
	await bob.page.click('#approve');
	await bob.page.waitForSelector('.msg.ok');
	await settle(bob);
	check((await text(bob, '#view')).includes('issued') && await text(bob, '.approvals') === '2 of 2 approvals',
		'bob: the second approval completes the seal-signer request: issued, 2 of 2');
	// bob approves alice's revocation request
	await hashTo(bob, `#/request/${rv}`);
	await bob.page.click('#approve');
	await bob.page.waitForSelector('.msg.ok');
	await settle(bob);
	check((await text(bob, '#view')).includes('revoked'), `bob: approves revocation request ${rv}: revoked`);
	await hashTo(bob, `#/cert/${sn}`);
	check((await text(bob, '#view')).includes('keyCompromise') && !(await visible(bob, '#revoke')),
		'bob: the certificate page says revoked, keyCompromise, and offers no revoke');

	// ---------------------------------------- carol (admin): the seal register
	const carol = await login('carol', 'admin', 'zh-CN');
	await go(carol, '#/seals');
	check(await carol.page.locator('#view tbody tr').count() === 2, 'carol: the seal register lists the two seals');
	await carol.page.selectOption('#seal-revoke-form select', 'DEPT/7 A');
	await carol.page.click('#seal-revoke');
	await carol.page.waitForSelector('.msg.error');
	check(!calls.some(([, m, p]) => m === 'POST' && p === '/api/v1/seals/revoke'), 'carol: no reason, nothing sent');
	await carol.page.fill('#seal-revoke-form input[name=reason]', '部门撤销');
	await carol.page.click('#seal-revoke');
	await carol.page.waitForSelector('.msg.ok');
	await settle(carol);
	const srow = await carol.page.locator('#view tbody tr:has-text("DEPT/7 A")').textContent();
	check(srow.includes('已吊销') && srow.includes('部门撤销'), 'carol: the register shows DEPT/7 A revoked, with her reason');
	await shot(carol, 'zh-seals-admin');
	check(!(await visible(alice, '#seal-revoke')), 'alice (officer): no seal revoke');

	// ---------------------------------------- dave (auditor)
	const dave = await login('dave', 'auditor', 'en-US');
	await go(dave, '#/audit');
	check((await text(dave, '#chain-status')).includes('verifies'), 'dave: the audit trail shows the chain verified');
	const seqs = (await dave.page.locator('#view tbody tr td:first-child').allTextContents()).map(Number);
	check(seqs.length > 10 && seqs.every((x, i) => i === 0 || x < seqs[i - 1]), `dave: the audit trail lists entries, newest first (${seqs[0]}...)`);
	await shot(dave, 'en-audit');
	await dave.page.fill('.filters input[name=action]', 'ra.approve');
	await dave.page.click('.filters button[type=submit]');
	await dave.page.waitForFunction(() => location.hash.includes('action=ra.approve'));
	await settle(dave);
	const acts = await dave.page.locator('#view tbody tr td:nth-child(4)').allTextContents();
	check(acts.length >= 4 && acts.every((a) => a === 'ra.approve'), `dave: the action filter shows only ra.approve (${acts.length})`);
	await hashTo(dave, `#/request/${R3}`);
	check(!(await visible(dave, '#approve')) && !(await visible(dave, '#reject')), 'dave: a pending request shows no approve or reject');
	await hashTo(dave, `#/cert/${sn}`);
	check(!(await visible(dave, '#revoke')), 'dave: a certificate shows no revoke');
	// a forced call from the page: the API refuses it
	dave.page.forced = true;
	const forced = await dave.page.evaluate(async (id) => {
		const r = await fetch(`/api/v1/requests/${id}/approve`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
		return [r.status, (await r.json()).type];
	}, R3);
	dave.page.forced = false;
	check(forced[0] === 403 && forced[1] === 'urn:govpki:problem:forbidden', `dave: a forced approve from the page is refused (${forced})`);
	await dave.page.click('#lang');
	await settle(dave);
	await hashTo(dave, '#/audit');
	await shot(dave, 'zh-audit');

	// ---------------------------------------- a cross-site page (CSRF)
	// another origin's page, as the browser sees it, while alice's
	// certificate is still offered to the RA's origin
	const evil = 'https://evil.example';
	await alice.page.route(evil + '/**', (r) => r.fulfill({ contentType: 'text/html', body:
		`<!doctype html><form id=f method=POST enctype=text/plain action="${BASE}/api/v1/requests/${R3}/approve">` +
		`<input name='{"comment":"' value='x"}'></form>` +
		`<form id=g method=POST action="${BASE}/api/v1/requests/${R3}/approve"></form>` }));
	alice.page.forced = true;
	await alice.page.goto(evil + '/');
	const nc = await alice.page.evaluate(async (u) => {
		try {
			const r = await fetch(u, { method: 'POST', mode: 'no-cors', credentials: 'include' });
			return r.type;
		} catch (e) {
			return 'error ' + e.message;
		}
	}, `${BASE}/api/v1/requests/${R3}/approve`);
	const seen = [];
	const onResp = (r) => { if (r.url().includes('/approve')) seen.push([r.request().headers()['content-type'] || '', r.status()]); };
	alice.page.on('response', onResp);
	for (const f of ['f', 'g']) {
		await alice.page.goto(evil + '/');
		await Promise.all([alice.page.waitForURL(`${BASE}/**`), alice.page.evaluate((id) => document.getElementById(id).submit(), f)]);
		await alice.page.waitForLoadState();
	}
	alice.page.off('response', onResp);
	alice.page.forced = false;
	check(seen.length === 2 && seen.every(([, s]) => s === 403 || s === 415),
		`a cross-site form post carrying alice's certificate is refused (${JSON.stringify(seen)}; no-cors fetch: ${nc})`);
	writeFileSync(`${OUT}/csrf.txt`, JSON.stringify({ forms: seen, nocors: nc }) + '\n');

	// no secret in the browser's storage: the language, nothing else; no cookie
	for (const p of [alice, bob, carol, dave]) {
		const st = await p.page.evaluate(() => [Object.keys(localStorage), Object.keys(sessionStorage)]).catch(() => null);
		const cookies = await p.ctx.cookies();
		check(st !== null && st[0].length === 0 && st[1].every((k) => k === 'govpki.lang') && cookies.length === 0,
			`${p.who}: no cookie, nothing in localStorage, only the language in sessionStorage (${JSON.stringify(st)})`);
	}

	// ---------------------------------------- what every page did
	for (const [role, m, path, who] of calls) {
		const ok = (allowed[role] || []).some(([am, re]) => am === m && re.test(path));
		if (!ok)
			check(false, `${who} (${role}) called ${m} ${path}, which the table denies`);
	}
	check(calls.length > 20, `every API call of the pages is one the table allows the role (${calls.length} calls)`);
	writeFileSync(`${OUT}/calls.tsv`, calls.map((c) => c.join('\t')).join('\n') + '\n');
	const noCsp = docs.filter(([, csp]) => !csp.includes("default-src 'self'") || !csp.includes("frame-ancestors 'none'") || /unsafe-(inline|eval)/.test(csp));
	check(docs.length >= 4 && noCsp.length === 0, `every console page came with the CSP (${docs.length} loads)`);
	for (const p of problems)
		check(false, p);
	check(problems.length === 0, 'no console error, page error or CSP violation on any page');
} catch (e) {
	check(false, 'the browser run: ' + (e && e.stack ? e.stack.split('\n').slice(0, 4).join(' | ') : e));
} finally {
	await browser.close();
}
