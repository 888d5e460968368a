// ra/console/pages.js: the console's pages, built as DOM nodes (text only, never HTML from data)
import { api, ApiError } from './api.js';
import { t } from './i18n.js';

// h(tag, attrs, ...children): an element; attrs are attributes, except
// on* (listeners) and hidden/checked/disabled (properties); children are
// nodes or text
export function h(tag, attrs, ...children) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === undefined || v === null || v === false)
			continue;
		if (k.startsWith('on') && typeof v === 'function')
			e.addEventListener(k.slice(2), v);
		else if (k === 'hidden' || k === 'checked' || k === 'disabled' || k === 'required')
			e[k] = Boolean(v);
		else
			e.setAttribute(k, v === true ? '' : String(v));
	}
	for (const c of children.flat(Infinity)) {
		if (c === undefined || c === null || c === false)
			continue;
		e.append(c instanceof Node ? c : document.createTextNode(String(c)));
	}
	return e;
}

let seq = 0;
function uid(p) {
	seq += 1;
	return p + '-' + seq;
}

// A labelled form control: a text input, or a select of [value, label]
function field(label, name, value, options, type) {
	const id = uid(name);
	let ctl;
	if (options) {
		ctl = h('select', { id, name }, options.map(([v, l]) => h('option', { value: v, selected: v === (value || '') }, l)));
	} else {
		ctl = h('input', { id, name, type: type || 'text', value: value || '', autocomplete: 'off' });
	}
	return h('div', { class: 'field' }, h('label', { for: id }, label), ctl);
}

function dl(rows) {
	return h('dl', { class: 'fields' }, rows.filter((r) => r).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? t('none'))]));
}

function table(caption, cols, rows, empty) {
	if (rows.length === 0)
		return h('p', { class: 'empty' }, empty);
	return h('div', { class: 'scroll' }, h('table', {},
		h('caption', {}, caption),
		h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
		h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c)))))));
}

function link(href, text) {
	return h('a', { href }, text);
}

// message(view, kind, text): a message at the top of the page shown (the
// view a page was built in is moved into #view once it is drawn)
export function message(view, kind, text) {
	view = document.getElementById('view') || view;
	const old = view.querySelector('.msg');
	if (old)
		old.remove();
	const m = h('p', { class: 'msg ' + kind, role: kind === 'error' ? 'alert' : 'status' }, text);
	view.prepend(m);
	return m;
}

export function errorText(e) {
	if (e instanceof ApiError)
		return t('error', e.status + (e.problem && e.problem.type ? ' ' + e.problem.type.replace('urn:govpki:problem:', '') : '') + ': ' + e.message);
	return t('error', String(e && e.message ? e.message : e));
}

// A filter form: on submit, navigates to base with its values as the query
function filterForm(base, fields, button) {
	const f = h('form', { class: 'filters', role: 'search' }, fields, h('button', { type: 'submit' }, button || t('filter')));
	f.addEventListener('submit', (ev) => {
		ev.preventDefault();
		const q = new URLSearchParams();
		for (const [k, v] of new FormData(f).entries())
			if (v !== '')
				q.set(k, v);
		location.hash = base + (q.toString() ? '?' + q : '');
	});
	return f;
}

// Pager: first page and the next one (the API's cursors go forward)
function pager(base, params, next) {
	const items = [];
	const q = (c) => {
		const p = new URLSearchParams(params);
		p.delete('cursor');
		if (c)
			p.set('cursor', c);
		return base + (p.toString() ? '?' + p : '');
	};
	if (params.cursor)
		items.push(link(q(null), t('first')));
	if (next)
		items.push(link(q(next), t('next')));
	return h('nav', { class: 'pager', 'aria-label': 'pages' }, items);
}

function statusBadge(prefix, s) {
	return h('span', { class: 'badge ' + s }, t(prefix + s));
}

const AGES = { '1h': 3600, '1d': 86400, '7d': 7 * 86400 };

// --------------------------------------------------------------- queue
export async function queue(view, ctx, params) {
	const status = params.status ?? 'pending';
	const sort = params.sort || 'id_asc';
	view.append(h('h2', { tabindex: '-1' }, t('queue.title')));
	view.append(filterForm('#/queue', [
		field(t('queue.status'), 'status', status, [['', t('status.any')],
			...['pending', 'approved', 'issued', 'rejected', 'failed', 'revoked'].map((s) => [s, t('status.' + s)])]),
		field(t('queue.profile'), 'profile', params.profile),
		field(t('queue.submitter'), 'submitter', params.submitter),
		field(t('queue.age'), 'age', params.age, [['', t('queue.age.any')], ...Object.keys(AGES).map((a) => [a, t('queue.age.' + a)])]),
		field(t('sort'), 'sort', sort, [['id_asc', t('sort.id_asc')], ['id_desc', t('sort.id_desc')],
			['subject', t('sort.subject')], ['profile', t('sort.profile')]]),
	]));
	const before = AGES[params.age] ? Math.floor(Date.now() / 1000) - AGES[params.age] : undefined;
	// by number the API sorts (order=desc: newest first) and its cursors
	// follow; by subject or profile the page it gave is sorted here
	const page = await api.requests({ status, profile: params.profile, submitter: params.submitter, before,
		order: sort === 'id_desc' ? 'desc' : undefined, cursor: params.cursor, limit: 20 });
	const items = page.items.slice();
	const subj = (r) => r.subject || (r.csr && r.csr.subject) || '';
	if (sort === 'subject')
		items.sort((a, b) => subj(a).localeCompare(subj(b)));
	else if (sort === 'profile')
		items.sort((a, b) => (a.profile || '').localeCompare(b.profile || ''));
	view.append(table(t('queue.title'),
		[t('col.id'), t('col.kind'), t('col.profile'), t('col.subject'), t('col.submitter'), t('col.submitted'), t('col.approvals'), t('col.status')],
		items.map((r) => [link('#/request/' + r.id, String(r.id)), t('kind.' + r.kind), r.profile || '', subj(r) || r.serial || '',
			r.submitter, r.submitted, t('approvals.count', (r.approvals || []).length, r.approvals_needed),
			statusBadge('status.', r.status)]),
		t('queue.empty')));
	view.append(pager('#/queue', params, page.next_cursor));
}

// ------------------------------------------------------ request detail
export async function request(view, ctx, params, id) {
	const r = await api.request(id);
	const approvals = r.approvals || [];
	view.append(h('h2', { tabindex: '-1' }, t('req.title', r.id)), h('p', {}, statusBadge('status.', r.status), ' ',
		h('span', { class: 'approvals', 'data-approvals': approvals.length + '/' + r.approvals_needed },
			t('approvals.count', approvals.length, r.approvals_needed))));
	view.append(dl([
		[t('col.kind'), t('kind.' + r.kind)],
		[t('col.profile'), r.profile],
		[t('col.submitter'), r.submitter],
		[t('col.submitted'), r.submitted],
		r.kind === 'issue' ? [t('req.issue.subject'), r.subject || (r.csr && r.csr.subject)] : null,
		r.kind === 'issue' ? [t('req.issue.san'), r.san || (r.csr && r.csr.san)] : null,
		r.contact ? [t('req.contact'), [r.contact.name, r.contact.email, r.contact.phone].filter((x) => x).join(', ')] : null,
		r.serial ? [t('req.serial'), link('#/cert/' + r.serial, r.serial)] : null,
		r.revocation_reason ? [t('req.revocation_reason'), r.revocation_reason] : null,
		r.reason ? [t('req.reason'), r.reason] : null,
	]));
	if (r.csr) {
		view.append(h('h3', {}, t('req.csr')), dl([
			[t('req.csr.subject'), r.csr.subject],
			[t('req.csr.san'), r.csr.san],
			[t('req.csr.key'), r.csr.key_type + ' (' + r.csr.key_bits + ')'],
			[t('req.csr.sigalg'), r.csr.signature_algorithm],
			[t('req.csr.sigok'), r.csr.signature_valid ? t('yes') : t('no')],
		]));
	}
	if (r.checks) {
		view.append(h('h3', {}, t('req.checks')), h('ul', { class: 'checks' }, r.checks.map((c) =>
			h('li', { class: c.result }, h('strong', {}, t('check.' + c.check)), ': ',
				h('span', { class: 'badge ' + c.result }, t('req.check.' + c.result)), ' ', c.detail))));
	}
	view.append(h('h3', {}, t('req.approvals')), h('p', {}, t('req.approvals.by', approvals.length ? approvals.join(', ') : t('none'))));
	if (r.status === 'pending' && r.approvals_needed > approvals.length)
		view.append(h('p', {}, t('req.approvals.remaining', r.approvals_needed - approvals.length)));
	if (r.status !== 'pending')
		return;
	const mayApprove = ctx.can('POST', '/api/v1/requests/{id}/approve');
	const mayReject = ctx.can('POST', '/api/v1/requests/{id}/reject');
	if ((mayApprove || mayReject) && r.submitter === ctx.me.principal) {
		view.append(h('p', { class: 'note' }, t('req.own')));
		return;
	}
	const again = () => ctx.render();
	if (mayApprove) {
		const cid = uid('comment');
		const f = h('form', { class: 'action', id: 'approve-form' },
			h('div', { class: 'field' }, h('label', { for: cid }, t('req.comment')), h('input', { id: cid, name: 'comment', maxlength: '1024' })),
			h('button', { type: 'submit', id: 'approve', class: 'primary' }, t('req.approve')));
		f.addEventListener('submit', async (ev) => {
			ev.preventDefault();
			try {
				await api.approve(r.id, f.elements.comment.value.trim());
				ctx.flash('ok', t('done'));
				again();
			} catch (e) {
				message(view, 'error', errorText(e));
			}
		});
		view.append(f);
	}
	if (mayReject) {
		const rid = uid('reason');
		const f = h('form', { class: 'action', id: 'reject-form' },
			h('div', { class: 'field' }, h('label', { for: rid }, t('req.reject.reason')), h('input', { id: rid, name: 'reason', maxlength: '1024' })),
			h('button', { type: 'submit', id: 'reject', class: 'danger' }, t('req.reject')));
		f.addEventListener('submit', async (ev) => {
			ev.preventDefault();
			const reason = f.elements.reason.value.trim();
			if (!reason) {
				message(view, 'error', t('req.reject.reason_needed'));
				return;
			}
			try {
				await api.reject(r.id, reason);
				ctx.flash('ok', t('done'));
				again();
			} catch (e) {
				message(view, 'error', errorText(e));
			}
		});
		view.append(f);
	}
}

// -------------------------------------------------- certificate search
export async function certs(view, ctx, params) {
	view.append(h('h2', { tabindex: '-1' }, t('certs.title')));
	const form = filterForm('#/certs', [
		field(t('certs.serial'), 'serial', params.serial),
		field(t('certs.subject'), 'subject', params.subject),
		field(t('certs.san'), 'san', params.san),
		field(t('certs.status'), 'status', params.status, [['', t('status.any')], ...['good', 'revoked', 'hold'].map((s) => [s, t('cstatus.' + s)])]),
		field(t('certs.profile'), 'profile', params.profile),
		field(t('certs.after'), 'expires_after', params.expires_after, null, 'date'),
		field(t('certs.before'), 'expires_before', params.expires_before, null, 'date'),
	], t('search'));
	view.append(form);
	if (params.serial) {
		location.hash = '#/cert/' + params.serial.replace(/[^0-9a-fA-F]/g, '').toLowerCase();
		return;
	}
	const page = await api.certificates({ subject: params.subject, san: params.san, status: params.status, profile: params.profile,
		expires_after: params.expires_after, expires_before: params.expires_before, cursor: params.cursor, limit: 20 });
	view.append(table(t('certs.title'),
		[t('col.serial'), t('col.subject'), t('col.profile'), t('col.not_after'), t('col.status')],
		page.items.map((c) => [link('#/cert/' + c.serial, c.serial), c.subject + (c.san ? ' [' + c.san + ']' : ''), c.profile,
			c.not_after, statusBadge('cstatus.', c.status)]),
		t('certs.empty')));
	view.append(pager('#/certs', params, page.next_cursor));
}

function download(blob, name) {
	const url = URL.createObjectURL(blob);
	const a = h('a', { href: url, download: name, hidden: true });
	document.body.append(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// -------------------------------------------------- certificate detail
const REASONS = ['unspecified', 'keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'privilegeWithdrawn'];

export async function cert(view, ctx, params, sn) {
	const c = await api.certificate(sn);
	view.append(h('h2', { tabindex: '-1' }, t('cert.title', c.serial)), h('p', {}, statusBadge('cstatus.', c.status)));
	view.append(dl([
		[t('col.subject'), c.subject],
		[t('req.csr.san'), c.san],
		[t('col.profile'), c.profile],
		[t('cert.not_before'), c.not_before],
		[t('cert.not_after'), c.not_after],
		[t('cert.sha256'), h('code', {}, c.sha256)],
		c.revoked_at ? [t('cert.revoked_at'), c.revoked_at] : null,
		c.reason ? [t('cert.revoke.reason'), c.reason] : null,
	]));
	if (c.pem)
		view.append(h('pre', { class: 'pem' }, c.pem));
	const dlbtn = (label, type, ext, id) => h('button', { type: 'button', id, onclick: async () => {
		try {
			download(await api.certificateFile(c.serial, type), c.serial + ext);
		} catch (e) {
			message(view, 'error', errorText(e));
		}
	} }, label);
	view.append(h('p', { class: 'buttons' }, dlbtn(t('cert.pem'), 'application/pem-certificate-chain', '.pem', 'dl-pem'), ' ',
		dlbtn(t('cert.der'), 'application/pkix-cert', '.der', 'dl-der')));
	if (c.status === 'revoked' || !ctx.can('POST', '/api/v1/certificates/{serial}/revoke'))
		return;
	const rid = uid('reason'), cid = uid('confirm');
	const confirm = h('div', { class: 'field confirm', hidden: true },
		h('input', { type: 'checkbox', id: cid, name: 'confirm' }), h('label', { for: cid }, t('cert.revoke.confirm')));
	const f = h('form', { class: 'action', id: 'revoke-form' },
		h('h3', {}, t('cert.revoke')),
		h('div', { class: 'field' }, h('label', { for: rid }, t('cert.revoke.reason')),
			h('select', { id: rid, name: 'reason' }, REASONS.map((r) => h('option', { value: r }, t('reason.' + r))))),
		confirm,
		h('button', { type: 'submit', id: 'revoke', class: 'danger' }, t('cert.revoke')));
	f.elements.reason.addEventListener('change', () => {
		confirm.hidden = f.elements.reason.value !== 'keyCompromise';
	});
	f.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		const reason = f.elements.reason.value;
		if (reason === 'keyCompromise' && !f.elements.confirm.checked) {
			message(view, 'error', t('cert.revoke.confirm_needed'));
			f.elements.confirm.focus();
			return;
		}
		try {
			const q = await api.revoke(c.serial, reason);
			const m = message(view, 'ok', t('cert.revoke.requested', q.id) + ' ');
			m.append(link('#/request/' + q.id, t('cert.revoke.request_link', q.id)));
		} catch (e) {
			message(view, 'error', errorText(e));
		}
	});
	view.append(f);
}

// ---------------------------------------------------------- CA overview
export async function cas(view) {
	const list = await api.cas();
	view.append(h('h2', { tabindex: '-1' }, t('ca.title')));
	if (list.ocsp) {
		view.append(h('p', { class: 'chain-status ' + (list.ocsp.status === 'ok' ? 'verified' : 'broken'), id: 'ocsp-health' },
			t('ca.ocsp', list.ocsp.url), ' ', h('span', { class: 'badge ' + (list.ocsp.status === 'ok' ? 'good' : 'fail') },
				t('ca.ocsp.' + list.ocsp.status)), list.ocsp.detail ? ' ' + list.ocsp.detail : ''));
	}
	const crl = (c) => c ? dl([[t('ca.crl.number'), String(c.number)], [t('ca.crl.this'), c.this_update], [t('ca.crl.next'), c.next_update]])
		: h('p', {}, t('ca.crl.none'));
	for (const ca of list.items) {
		view.append(h('section', { class: 'ca', 'aria-label': ca.name },
			h('h3', {}, ca.name, ca.issuing ? h('span', { class: 'badge good' }, t('ca.issuing')) : null),
			dl([[t('col.subject'), ca.subject], [t('cert.sha256'), h('code', {}, ca.sha256)],
				[t('cert.not_before'), ca.not_before], [t('cert.not_after'), ca.not_after]]),
			h('h4', {}, t('ca.chain')),
			h('ol', { class: 'chain' }, ca.chain.map((e) => h('li', {}, e.name + ': ' + (e.certificate ? e.certificate.subject : ''), h('br', {}),
				h('code', {}, e.certificate ? e.certificate.sha256 : '')))),
			h('h4', {}, t('ca.crl')), crl(ca.crl),
			ca.delta_crl ? [h('h4', {}, t('ca.delta')), crl(ca.delta_crl)] : null));
	}
}

// ---------------------------------------------------------- audit trail
export async function audit(view, ctx, params) {
	view.append(h('h2', { tabindex: '-1' }, t('audit.title')));
	const order = params.order || 'desc';
	const page = await api.audit({ action: params.action, actor: params.actor, object: params.object, since: params.since,
		until: params.until, order, cursor: params.cursor, limit: 50 });
	const ch = page.chain;
	const text = ch.status === 'verified' ? t('audit.chain.verified', ch.entries)
		: ch.status === 'broken' ? t('audit.chain.broken', ch.bad_seq, ch.detail || '') : t('audit.chain.error', ch.detail || '');
	view.append(h('p', { class: 'chain-status ' + ch.status, id: 'chain-status', role: 'status' }, text));
	view.append(filterForm('#/audit', [
		field(t('audit.action'), 'action', params.action),
		field(t('audit.actor'), 'actor', params.actor),
		field(t('audit.object'), 'object', params.object),
		field(t('audit.since'), 'since', params.since, null, 'date'),
		field(t('audit.until'), 'until', params.until, null, 'date'),
		field(t('sort'), 'order', order, [['desc', t('audit.order.desc')], ['asc', t('audit.order.asc')]]),
	]));
	view.append(table(t('audit.title'), [t('audit.seq'), t('audit.time'), 'actor', 'action', 'object', t('audit.detail')],
		page.items.map((e) => [String(e.seq), e.time, e.actor, e.action, e.object || '', e.detail || '']), t('audit.empty')));
	view.append(pager('#/audit', params, page.next_cursor));
}

// ---------------------------------------------------------- seal register
export async function seals(view, ctx, params) {
	view.append(h('h2', { tabindex: '-1' }, t('seals.title')));
	const page = await api.seals({ status: params.status, cursor: params.cursor, limit: 50 });
	view.append(filterForm('#/seals', [field(t('seals.status'), 'status', params.status,
		[['', t('status.any')], ['good', t('cstatus.good')], ['revoked', t('cstatus.revoked')]])]));
	view.append(table(t('seals.title'), [t('seals.id'), t('seals.name'), t('seals.valid'), t('seals.maker'), t('seals.status')],
		page.items.map((s) => [s.id, s.name || '', s.valid_from + ' – ' + s.valid_to, s.maker || '',
			h('span', {}, statusBadge('cstatus.', s.status), s.reason ? ' ' + s.reason : '')]), t('seals.empty')));
	view.append(pager('#/seals', params, page.next_cursor));
	const good = page.items.filter((x) => x.status === 'good');
	if (!ctx.can('POST', '/api/v1/seals/revoke')) {
		view.append(h('p', { class: 'note' }, t('seals.revoke_hint')));
		return;
	}
	if (good.length === 0)
		return;
	const sid = uid('seal'), rid = uid('reason');
	const f = h('form', { class: 'action', id: 'seal-revoke-form' },
		h('h3', {}, t('seals.revoke')),
		h('div', { class: 'field' }, h('label', { for: sid }, t('seals.id')),
			h('select', { id: sid, name: 'id' }, good.map((x) => h('option', { value: x.id }, x.id + ' (' + (x.name || '') + ')')))),
		h('div', { class: 'field' }, h('label', { for: rid }, t('seals.revoke.reason')), h('input', { id: rid, name: 'reason', maxlength: '1024' })),
		h('button', { type: 'submit', id: 'seal-revoke', class: 'danger' }, t('seals.revoke')));
	f.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		const reason = f.elements.reason.value.trim();
		if (!reason) {
			message(view, 'error', t('seals.revoke.reason_needed'));
			return;
		}
		try {
			const x = await api.sealRevoke(f.elements.id.value, reason);
			ctx.flash('ok', t('seals.revoke.done', x.id));
			ctx.render();
		} catch (e) {
			message(view, 'error', errorText(e));
		}
	});
	view.append(f);
}
