#!/usr/bin/env python3
# tests/bench/ra_loadgen.py: parallel RA clients over HTTPS with keep-alive:
# each submits CSRs with an API token, approves them with an officer's
# client certificate and (optionally) fetches the certificate.  Prints JSON:
# counts, statuses, serials, wall time and per-endpoint latencies.
# Used by tests/integration/ra_load.sh and tests/bench/bench_ra.sh.
import argparse, http.client, json, multiprocessing as mp, os, ssl, sys, time


def conn(host, port, ctx):
    c = http.client.HTTPSConnection(host, port, context=ctx, timeout=60)
    c.connect()
    return c


def call(c, method, path, body=None, headers=None):
    h = dict(headers or {})
    if body is not None:
        h['Content-Type'] = 'application/json'
    t0 = time.perf_counter()
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    return r.status, data, time.perf_counter() - t0


def worker(args, files, q):
    base = ssl.create_default_context(cafile=args.cacert)
    app = conn(args.host, args.port, base)
    octx = ssl.create_default_context(cafile=args.cacert)
    octx.load_cert_chain(args.cert, args.key)
    off = conn(args.host, args.port, octx)
    tok = {'Authorization': 'Bearer ' + args.token}
    lat = {'submit': [], 'approve': [], 'fetch': []}
    out = {'statuses': {}, 'serials': [], 'errors': [], 'ids': []}
    try:
        cycle(args, files, app, off, tok, lat, out)
    except (OSError, http.client.HTTPException) as e:
        # the server went away (a test stops it under load): report, stop
        out['errors'].append('connection: %s' % e)
    q.put((lat, out))


def cycle(args, files, app, off, tok, lat, out):
    for f in files:
        csr = open(f).read()
        s, d, dt = call(app, 'POST', '/api/v1/requests',
                        json.dumps({'csr': csr, 'profile': args.profile}), tok)
        lat['submit'].append(dt)
        if s != 201:
            out['errors'].append('submit %d %s' % (s, d[:200]))
            continue
        rid = json.loads(d)['id']
        out['ids'].append(rid)
        out.setdefault('answered', []).append(rid)
        s, d, dt = call(off, 'POST', '/api/v1/requests/%d/approve' % rid)
        lat['approve'].append(dt)
        if s != 200:
            out['errors'].append('approve %d %s' % (s, d[:200]))
            continue
        j = json.loads(d)
        out['statuses'][j['status']] = out['statuses'].get(j['status'], 0) + 1
        if j['status'] != 'issued':
            continue
        out['serials'].append(j['serial'])
        out.setdefault('issued_ids', []).append(rid)
        if args.fetch:
            s, d, dt = call(app, 'GET', '/api/v1/certificates/' + j['serial'],
                            headers=dict(tok, Accept='application/pem-certificate-chain'))
            lat['fetch'].append(dt)
            if s != 200 or not d.startswith(b'-----BEGIN CERTIFICATE'):
                out['errors'].append('fetch %d' % s)


def pct(v, p):
    if not v:
        return 0.0
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--cacert', required=True)
    ap.add_argument('--token', required=True)
    ap.add_argument('--cert', required=True)
    ap.add_argument('--key', required=True)
    ap.add_argument('--csr-dir', required=True)
    ap.add_argument('--n', type=int, default=1000)
    ap.add_argument('--clients', type=int, default=8)
    ap.add_argument('--profile', default='tls-client')
    ap.add_argument('--fetch', action='store_true')
    args = ap.parse_args()
    files = sorted(os.path.join(args.csr_dir, f) for f in os.listdir(args.csr_dir))[:args.n]
    q = mp.Queue()
    procs = [mp.Process(target=worker, args=(args, files[i::args.clients], q))
             for i in range(args.clients)]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    res = [q.get() for _ in procs]
    wall = time.perf_counter() - t0
    for p in procs:
        p.join()
    lat = {'submit': [], 'approve': [], 'fetch': []}
    tot = {'statuses': {}, 'serials': [], 'errors': [], 'ids': []}
    for l, o in res:
        for k in lat:
            lat[k] += l[k]
        for k, v in o['statuses'].items():
            tot['statuses'][k] = tot['statuses'].get(k, 0) + v
        tot['serials'] += o['serials']
        tot['errors'] += o['errors']
        tot['ids'] += o['ids']
        tot.setdefault('issued_ids', []).extend(o.get('issued_ids', []))
    print(json.dumps({
        'n': len(files), 'wall': wall, 'issued_per_s': len(tot['serials']) / wall if wall else 0,
        'statuses': tot['statuses'], 'serials': tot['serials'], 'ids': tot['ids'],
        'issued_ids': tot.get('issued_ids', []),
        'errors': tot['errors'][:20], 'nerrors': len(tot['errors']),
        'latency_ms': {k: {'p50': pct(v, 50) * 1000, 'p99': pct(v, 99) * 1000, 'n': len(v)}
                       for k, v in lat.items()},
    }))


if __name__ == '__main__':
    main()
