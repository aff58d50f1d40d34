#!/usr/bin/env node
// standin.mjs - a loopback stand-in for Neo4j's Query API v2 (Neo4j 5.19+,
// Aura) in front of the test run's real Neo4j 3.1.1, which has only the
// transactional endpoint. Each POST /db/{db}/query/v2 runs its statement
// on 3.1 through /db/data/transaction/commit and answers in the documented
// v2 formats (plain or Typed JSON), so the client's v2 path runs real
// Cypher. Fault switches (faults.mjs) let the client tests see 503s, cut
// and truncated bodies and 202 answers with errors. Node's stdlib only.
// Started per test by tests/neo4j_harness.c; by hand, see README.md.
//
//   node standin.mjs --upstream http://127.0.0.1:7474 [--port 0]
//        [--port-file F] [--user neo4j] [--database neo4j]...
//        [--version 5.26.0] [--deadline SECONDS]
//   env: NEO4J_STANDIN_PASSWORD (what clients must give; default: the
//        upstream one), NEO4J_STANDIN_UPSTREAM_PASSWORD,
//        NEO4J_STANDIN_TOKEN (a Bearer token), NEO4J_STANDIN_FAULTS (JSON)
import fs from 'node:fs';
import http from 'node:http';

import { Faults } from './faults.mjs';
import { parse, stringify, isPlainObject } from './json64.mjs';
import { ParamError, decodeTyped, translateCounters, translateRow }
	from './values.mjs';
import { runSchema } from './schema.mjs';
import { plan } from './cypher3.mjs';

const opt = { port: 0, user: 'neo4j', databases: [], version: '5.26.0',
	      deadline: 3600, upstream: null, portFile: null };
for (let i = 2; i < process.argv.length; i += 2) {
	const [k, v] = [process.argv[i], process.argv[i + 1]];
	if (v === undefined)
		throw new Error(`${k}: missing value`);
	if (k === '--port') opt.port = Number(v);
	else if (k === '--port-file') opt.portFile = v;
	else if (k === '--upstream') opt.upstream = new URL(v);
	else if (k === '--user') opt.user = v;
	else if (k === '--database') opt.databases.push(v);
	else if (k === '--version') opt.version = v;
	else if (k === '--deadline') opt.deadline = Number(v);
	else throw new Error(`unknown option ${k}`);
}
if (!opt.upstream)
	throw new Error('--upstream URL of the Neo4j 3.1 server is required');
if (!opt.databases.length)
	opt.databases.push('neo4j');
const upPassword = process.env.NEO4J_STANDIN_UPSTREAM_PASSWORD || '';
const password = process.env.NEO4J_STANDIN_PASSWORD || upPassword;
const token = process.env.NEO4J_STANDIN_TOKEN || '';
const upAuth = 'Basic ' +
	Buffer.from(`${opt.user}:${upPassword}`).toString('base64');

const faults = new Faults();
if (process.env.NEO4J_STANDIN_FAULTS)
	faults.set(JSON.parse(process.env.NEO4J_STANDIN_FAULTS));
const stats = { requests: 0, queries: 0, executed: 0 };
const log = [];
const names = new Map(); // constraint name -> {label, prop}
let txCount = 0;

class ApiError extends Error {
	constructor(status, code, message) {
		super(message);
		this.status = status;
		this.code = code;
	}
}

// The HTTP status of a Neo4j error code when no result has started.
function statusOf(code) {
	if (code === 'Neo.ClientError.Security.Unauthorized')
		return 401;
	if (code.startsWith('Neo.ClientError.Security.'))
		return 403;
	if (code === 'Neo.ClientError.Database.DatabaseNotFound')
		return 404;
	if (code.startsWith('Neo.ClientError.'))
		return 400;
	if (code.startsWith('Neo.TransientError.'))
		return 503;
	return 500;
}

// One request to the 3.1 server; resolves {status, headers, body}.
function upstream(method, path, body) {
	return new Promise((resolve, reject) => {
		const data = body === undefined ? null : stringify(body);
		const req = http.request({
			host: opt.upstream.hostname, port: opt.upstream.port,
			method, path, headers: {
				authorization: upAuth,
				accept: 'application/json; charset=UTF-8',
				'content-type': 'application/json',
				...(data ? { 'content-length':
					Buffer.byteLength(data) } : {}),
			} }, (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => {
				const text = Buffer.concat(chunks).toString();
				try {
					resolve({ status: res.statusCode,
						  headers: res.headers,
						  body: text ? parse(text) : {} });
				} catch (e) {
					reject(e);
				}
			});
			res.on('error', reject);
		});
		req.on('error', reject);
		req.setTimeout(600000, () => req.destroy(new Error('timeout')));
		req.end(data);
	});
}

// Run statements on 3.1 (one auto-commit transaction, or an explicit one
// that is rolled back); throws ApiError if 3.1 cannot be reached.
async function run31(statements, rollback) {
	const body = { statements: statements.map((s) => ({
		statement: s.statement, parameters: s.parameters || {},
		resultDataContents: ['row', 'graph'], includeStats: true })) };
	try {
		stats.executed += statements.length;
		if (!rollback)
			return (await upstream('POST',
				'/db/data/transaction/commit', body)).body;
		const r = await upstream('POST', '/db/data/transaction', body);
		const loc = r.headers.location;
		if (loc)
			await upstream('DELETE', new URL(loc).pathname);
		return r.body;
	} catch (e) {
		throw new ApiError(503,
			'Neo.TransientError.General.DatabaseUnavailable',
			`the Neo4j behind the stand-in is unavailable: ${e.message}`);
	}
}

function authorize(req) {
	const h = req.headers.authorization;
	if (!h)
		throw new ApiError(401, 'Neo.ClientError.Security.Unauthorized',
				   'No authentication header supplied.');
	const [scheme, cred = ''] = h.trim().split(/\s+/, 2);
	if (/^basic$/i.test(scheme)) {
		const raw = Buffer.from(cred, 'base64');
		if (!/^[A-Za-z0-9+/]+=*$/.test(cred) ||
		    raw.toString('base64').replace(/=+$/, '') !==
		    cred.replace(/=+$/, '') || !raw.includes(0x3a))
			throw new ApiError(401,
				'Neo.ClientError.Request.InvalidFormat',
				'Invalid authentication header.');
		const s = raw.toString('utf8');
		const k = s.indexOf(':');
		if (s.slice(0, k) === opt.user && s.slice(k + 1) === password)
			return 'basic';
	} else if (/^bearer$/i.test(scheme)) {
		// Neo4j documents base64(token); an SSO token is sent as is
		if (token && (cred === token || cred ===
			      Buffer.from(token).toString('base64')))
			return 'bearer';
	} else {
		throw new ApiError(401, 'Neo.ClientError.Request.InvalidFormat',
				   'Invalid authentication header.');
	}
	throw new ApiError(401, 'Neo.ClientError.Security.Unauthorized',
			   'Invalid username or password.');
}

const TYPED = /^application\/vnd\.neo4j\.query(\.v1\.[0-9]+)?$/;

function mediaType(h) {
	return String(h || '').split(';')[0].trim().toLowerCase();
}

// Which format the answer takes, from Accept.
function answerType(req) {
	const acc = String(req.headers.accept || '').split(',')
		.map(mediaType).filter(Boolean);
	if (!acc.length)
		return 'application/json';
	for (const a of acc) {
		if (a === 'application/json' || TYPED.test(a))
			return a;
		if (a === '*/*' || a === 'application/*')
			return 'application/json';
	}
	throw new ApiError(406, 'Neo.ClientError.Request.Invalid',
			   `Unsupported Accept: ${req.headers.accept}`);
}

const FIELDS = new Set(['statement', 'parameters', 'includeCounters',
	'bookmarks', 'accessMode', 'impersonatedUser', 'txMetadata',
	'maxExecutionTime', 'txType', 'notificationsFilter']);

function readRequest(text, typedIn) {
	let body;
	try {
		body = parse(text);
	} catch (e) {
		throw new ApiError(400, 'Neo.ClientError.Request.InvalidFormat',
				   `Request body is not valid JSON: ${e.message}`);
	}
	if (!isPlainObject(body))
		throw new ApiError(400, 'Neo.ClientError.Request.Invalid',
				   'Request body must be a JSON object.');
	for (const k of Object.keys(body))
		if (!FIELDS.has(k))
			throw new ApiError(400,
				'Neo.ClientError.Request.Invalid',
				`Unrecognized field "${k}".`);
	if (typeof body.statement !== 'string' || !body.statement.trim())
		throw new ApiError(400, 'Neo.ClientError.Request.Invalid',
				   'The field "statement" is required.');
	const p = body.parameters ?? {};
	if (!isPlainObject(p))
		throw new ApiError(400, 'Neo.ClientError.Request.Invalid',
				   '"parameters" must be an object.');
	if (typedIn) {
		try {
			for (const k of Object.keys(p))
				p[k] = decodeTyped(p[k], k);
		} catch (e) {
			if (!(e instanceof ParamError))
				throw e;
			throw new ApiError(400,
				'Neo.ClientError.Request.InvalidFormat',
				e.message);
		}
	}
	return { statement: body.statement, parameters: p,
		 counters: body.includeCounters === true };
}

// A 3.1 answer to one statement as a v2 status and body.
function translate(r31, want, typed) {
	const errors = (r31.errors || []).map((e) => ({ code: e.code,
		message: e.message }));
	const res = r31.results?.[0];
	const out = {};
	if (res) // the result had started: rows so far, then any errors
		out.data = { fields: res.columns,
			     values: res.data.map((d) => translateRow(d, typed)) };
	if (errors.length) {
		out.errors = errors;
		return { status: res ? 202 : statusOf(errors[0].code), body: out };
	}
	if (want.counters)
		out.counters = translateCounters(res?.stats);
	out.bookmarks = ['FB:' + Buffer.from(`standin:${++txCount}`)
		.toString('base64')];
	return { status: 202, body: out };
}

async function query(req, db, text) {
	const ctype = mediaType(req.headers['content-type']) ||
		'application/json';
	if (ctype !== 'application/json' && !TYPED.test(ctype))
		throw new ApiError(415, 'Neo.ClientError.Request.Invalid',
			`Unsupported Content-Type: ${req.headers['content-type']}`);
	const accept = answerType(req);
	const typed = accept !== 'application/json';
	if (!opt.databases.includes(db))
		throw new ApiError(404, 'Neo.ClientError.Database.DatabaseNotFound',
			`Database does not exist. Database name: '${db}'.`);
	const want = readRequest(text, TYPED.test(ctype));
	stats.queries++;
	const fault = faults.take(want.statement);
	if (fault?.fault === 'status')
		throw new ApiError(fault.status ?? 503, fault.code ??
			'Neo.TransientError.General.DatabaseUnavailable',
			fault.message ?? 'injected by the stand-in');
	if (fault?.fault === 'delay')
		await new Promise((r) => setTimeout(r, Number(fault.ms) || 0));
	const runs = fault ? fault.execute !== false : true;
	const p = plan(want.statement);
	let r31 = { results: [], errors: [] };
	if (p.kind === 'unsupported')
		throw new ApiError(400, 'Neo.ClientError.Statement.SyntaxError',
				   p.message);
	if (runs && p.kind === 'pass')
		r31 = await run31([{ statement: p.statement,
			parameters: want.parameters }],
			fault?.fault === 'error202');
	else if (runs)
		r31 = await runSchema(p, names, run31);
	for (const res of r31.results || []) // "elementId(n)", not its rewrite
		res.columns = res.columns.map((c) => (p.rewrites || []).reduce(
			(col, [orig, repl]) => col.split(repl).join(orig), c));
	const out = translate(r31, want, typed);
	if (fault?.fault === 'error202') {
		const rows = out.body.data?.values || [];
		out.status = 202;
		out.body = { errors: [{ code: fault.code ??
			'Neo.TransientError.Transaction.Outdated',
			message: fault.message ?? 'injected by the stand-in' }] };
		if (fault.partial !== false && r31.results?.[0])
			out.body.data = { fields: r31.results[0].columns,
				values: rows.slice(0, Math.ceil(rows.length / 2)) };
	}
	return { ...out, type: accept, fault };
}

function send(res, status, body, type, fault) {
	const data = Buffer.from(stringify(body));
	const headers = { 'content-type': type };
	if (status === 401)
		headers['www-authenticate'] = 'Basic realm="Neo4j"';
	if (fault?.fault === 'reset')
		return res.socket.resetAndDestroy();
	if (fault?.fault === 'cut') {
		res.writeHead(status, { ...headers,
					'transfer-encoding': 'chunked' });
		res.write(data.subarray(0, Number(fault.after_bytes ??
			data.length >> 1)));
		return setTimeout(() => res.socket.resetAndDestroy(), 50);
	}
	if (fault?.fault === 'truncate') {
		res.writeHead(status, { ...headers,
					'content-length': data.length });
		res.write(data.subarray(0, data.length >> 1));
		return setTimeout(() => res.socket.end(), 50);
	}
	res.writeHead(status, { ...headers, 'content-length': data.length });
	res.end(data);
}

function discovery(req) {
	const base = `http://${req.headers.host || `127.0.0.1:${opt.port}`}`;
	return { query: `${base}/db/{databaseName}/query/v2`,
		 transaction: `${base}/db/{databaseName}/tx`,
		 neo4j_version: opt.version, neo4j_edition: 'community',
		 auth_config: { oidc_providers: [] } };
}

async function control(req, path, text) {
	if (path === '/_standin/faults' && req.method === 'POST')
		faults.set(JSON.parse(text || '{}'));
	else if (path === '/_standin/reset' && req.method === 'POST') {
		faults.set([]);
		log.length = 0;
		Object.assign(stats, { requests: 0, queries: 0, executed: 0 });
	} else if (path === '/_standin/log')
		return { log };
	else if (path !== '/_standin/state')
		throw new ApiError(404, 'Neo.ClientError.Request.Invalid',
				   `no control endpoint ${path}`);
	return { faults: faults.state(), ...stats };
}

// Transactional commit, Neo4j 4.x/5.x path, passed through to 3.1.
async function txCommit(req, db, text) {
	if (!opt.databases.includes(db))
		throw new ApiError(404, 'Neo.ClientError.Database.DatabaseNotFound',
			`Database does not exist. Database name: '${db}'.`);
	try {
		return { status: 200, body: (await upstream('POST',
			'/db/data/transaction/commit', parse(text || '{}'))).body };
	} catch (e) {
		throw new ApiError(503,
			'Neo.TransientError.General.DatabaseUnavailable', e.message);
	}
}

async function handle(req, res, text) {
	const path = new URL(req.url, 'http://x').pathname;
	const entry = { method: req.method, path, time: Date.now(),
		auth: (req.headers.authorization || '').split(' ')[0],
		contentType: req.headers['content-type'] || null,
		accept: req.headers.accept || null,
		body: text.slice(0, 65536) };
	let type = 'application/json', out;
	try {
		if (path.startsWith('/_standin/'))
			out = { status: 200, body: await control(req, path, text) };
		else if (path === '/' && req.method === 'GET')
			out = { status: 200, body: discovery(req) };
		else {
			const m = /^\/db\/([^/]+)\/(query\/v2|tx\/commit)$/
				.exec(path);
			if (!m)
				throw new ApiError(404,
					'Neo.ClientError.Request.Invalid',
					`No endpoint ${req.method} ${path}`);
			if (req.method !== 'POST')
				throw new ApiError(405,
					'Neo.ClientError.Request.Invalid',
					`${req.method} not allowed on ${path}`);
			entry.authorized = authorize(req);
			const db = decodeURIComponent(m[1]);
			out = m[2] === 'tx/commit' ? await txCommit(req, db, text)
				: await query(req, db, text);
			type = out.type || type;
		}
	} catch (e) {
		if (!(e instanceof ApiError) && !(e instanceof SyntaxError))
			console.error(e);
		out = e instanceof ApiError
			? { status: e.status, body: { errors: [{ code: e.code,
				message: e.message }] } }
			: { status: 400, body: { errors: [{
				code: 'Neo.ClientError.Request.Invalid',
				message: String(e.message) }] } };
	}
	entry.status = out.status;
	if (!path.startsWith('/_standin/')) {
		log.push(entry);
		if (log.length > 1000)
			log.shift();
	}
	send(res, out.status, out.body, type, out.fault);
}

const server = http.createServer((req, res) => {
	stats.requests++;
	const chunks = [];
	let size = 0;
	req.on('data', (c) => {
		size += c.length;
		if (size > 256 << 20)
			req.destroy();
		else
			chunks.push(c);
	});
	req.on('end', () => handle(req, res,
		Buffer.concat(chunks).toString('utf8')));
});

server.listen(opt.port, '127.0.0.1', () => {
	opt.port = server.address().port;
	if (opt.portFile) {
		fs.writeFileSync(opt.portFile + '.tmp', `${opt.port}\n`);
		fs.renameSync(opt.portFile + '.tmp', opt.portFile);
	}
	console.log(`stand-in on http://127.0.0.1:${opt.port}/ -> ` +
		    `${opt.upstream.origin}`);
});

// Never outlive the test that started it.
const parent = process.ppid;
const started = Date.now();
setInterval(() => {
	if (process.ppid !== parent || Date.now() - started >
	    opt.deadline * 1000)
		process.exit(0);
}, 500).unref();
for (const sig of ['SIGTERM', 'SIGINT'])
	process.on(sig, () => process.exit(0));
