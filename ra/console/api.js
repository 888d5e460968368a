// ra/console/api.js: the console's only way to the RA: its public JSON API on this origin
//
// The browser presents the officer's TLS client certificate; the page
// holds no secret and stores none.  Every state change is a POST with
// Content-Type application/json, which the server demands (a form on
// another site cannot send it; docs/ra-api.md).

export class ApiError extends Error {
	constructor(status, problem) {
		super(problem && problem.detail ? problem.detail : 'HTTP ' + status);
		this.status = status;
		this.problem = problem || null;
	}
}

async function call(method, path, body, accept) {
	const opts = {
		method,
		credentials: 'same-origin',
		cache: 'no-store',
		headers: { Accept: accept || 'application/json' },
	};
	if (body !== undefined) {
		opts.headers['Content-Type'] = 'application/json';
		opts.body = JSON.stringify(body);
	}
	const r = await fetch(path, opts);
	const ct = r.headers.get('Content-Type') || '';
	if (!r.ok) {
		let p = null;
		if (ct.includes('json'))
			p = await r.json().catch(() => null);
		throw new ApiError(r.status, p);
	}
	if (accept && accept !== 'application/json')
		return r.blob();
	return ct.includes('json') ? r.json() : r.text();
}

// query(params): "?a=1&b=2" of the set values
export function query(params) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(params))
		if (v !== undefined && v !== null && v !== '')
			q.set(k, v);
	const s = q.toString();
	return s ? '?' + s : '';
}

export const api = {
	me: () => call('GET', '/api/v1/me'),
	requests: (p) => call('GET', '/api/v1/requests' + query(p)),
	request: (id) => call('GET', '/api/v1/requests/' + encodeURIComponent(id)),
	approve: (id, comment) => call('POST', '/api/v1/requests/' + encodeURIComponent(id) + '/approve',
		comment ? { comment } : {}),
	reject: (id, reason) => call('POST', '/api/v1/requests/' + encodeURIComponent(id) + '/reject', { reason }),
	certificates: (p) => call('GET', '/api/v1/certificates' + query(p)),
	certificate: (sn) => call('GET', '/api/v1/certificates/' + encodeURIComponent(sn)),
	certificateFile: (sn, type) => call('GET', '/api/v1/certificates/' + encodeURIComponent(sn), undefined, type),
	revoke: (sn, reason) => call('POST', '/api/v1/certificates/' + encodeURIComponent(sn) + '/revoke', { reason }),
	cas: () => call('GET', '/api/v1/ca'),
	audit: (p) => call('GET', '/api/v1/audit' + query(p)),
	seals: (p) => call('GET', '/api/v1/seals' + query(p)),
	sealRevoke: (id, reason) => call('POST', '/api/v1/seals/revoke', { id, reason }),
};
