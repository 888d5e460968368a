// ra/console/app.js: the console's entry: who is logged in (GET /api/v1/me), the menu for the role, the router
import { api, ApiError } from './api.js';
import { current, setLanguage, t, translate } from './i18n.js';
import * as pages from './pages.js';

// route name: [page, the API call it makes first (for the role check)]
const routes = {
	queue: [pages.queue, 'GET /api/v1/requests'],
	request: [pages.request, 'GET /api/v1/requests/{id}'],
	certs: [pages.certs, 'GET /api/v1/certificates'],
	cert: [pages.cert, 'GET /api/v1/certificates/{serial}'],
	ca: [pages.cas, 'GET /api/v1/ca'],
	audit: [pages.audit, 'GET /api/v1/audit'],
	seals: [pages.seals, 'GET /api/v1/seals'],
};

const ctx = {
	me: null,
	pending: null,          // a message for the next render (after an action)
	// may the role call it: the table's rows that GET /api/v1/me listed;
	// only what the page offers: the API decides at every call
	can(method, path) {
		return Boolean(this.me && this.me.actions.some((a) => a.method === method && a.path === path));
	},
	flash(kind, text) {
		this.pending = [kind, text];
	},
	render: () => render(true),
};

function parseHash() {
	const hash = location.hash.replace(/^#\/?/, '');
	const [path, q] = hash.split('?');
	const parts = path.split('/').filter((p) => p).map(decodeURIComponent);
	return { name: parts[0] || '', arg: parts[1], params: Object.fromEntries(new URLSearchParams(q || '')) };
}

function header() {
	translate(document);
	document.title = t('title');
	const lang = document.getElementById('lang');
	lang.textContent = t('lang.switch');
	lang.setAttribute('aria-label', t('lang.label'));
	const who = document.getElementById('who');
	who.textContent = ctx.me ? t('who', ctx.me.name, t('role.' + ctx.me.role)) : '';
	for (const a of document.querySelectorAll('#nav a')) {
		const [m, p] = a.dataset.needs.split(' ');
		a.parentElement.hidden = !ctx.can(m, p);
		a.toggleAttribute('aria-current', location.hash.startsWith(a.getAttribute('href')));
	}
}

let generation = 0;

// render(moved): draws the page of the hash; after a move within the
// console (moved) the focus goes to its heading, for keyboard and screen
// reader users; at load it stays where the browser puts it
async function render(moved) {
	const gen = ++generation;
	const view = document.getElementById('view');
	const status = document.getElementById('status');
	header();
	view.replaceChildren();
	if (!ctx.me) {
		view.append(pages.h('p', { class: 'msg error', role: 'alert' }, t('login.needed')));
		return;
	}
	let { name, arg, params } = parseHash();
	if (!routes[name]) {
		const first = Object.keys(routes).find((r) => !['request', 'cert'].includes(r) && ctx.can(...routes[r][1].split(' ')));
		if (!first)
			return;
		location.replace('#/' + first);
		return;
	}
	const [page, needs] = routes[name];
	if (!ctx.can(...needs.split(' '))) {
		// not called at all: the role may not (the API would refuse it)
		view.append(pages.h('p', { class: 'msg error', role: 'alert' }, t('error', '403')));
		return;
	}
	status.textContent = t('loading');
	try {
		const part = document.createElement('div');
		await page(part, ctx, params, arg);
		if (gen !== generation)
			return;
		view.replaceChildren(...part.childNodes);
		if (ctx.pending) {
			pages.message(view, ctx.pending[0], ctx.pending[1]);
			ctx.pending = null;
		}
		const h2 = view.querySelector('h2');
		if (h2 && moved)
			h2.focus({ preventScroll: true });
	} catch (e) {
		if (gen !== generation)
			return;
		view.replaceChildren();
		pages.message(view, 'error', pages.errorText(e));
	} finally {
		if (gen === generation)
			status.textContent = '';
	}
}

async function start() {
	document.documentElement.lang = current();
	document.getElementById('lang').addEventListener('click', () => {
		setLanguage(current() === 'en' ? 'zh-CN' : 'en');
		render(false);
	});
	try {
		ctx.me = await api.me();
	} catch (e) {
		ctx.me = null;
		if (!(e instanceof ApiError))
			throw e;
	}
	window.addEventListener('hashchange', () => render(true));
	await render(false);
	document.body.dataset.ready = 'yes';
}

start();
