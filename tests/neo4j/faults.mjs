// faults.mjs - the stand-in's fault switches (see standin.mjs, README.md).
//
// A list of rules, set from NEO4J_STANDIN_FAULTS at start or by
// POST /_standin/faults (which replaces the list). Each query request
// takes the first rule that still has count left and whose "match" (if
// any) is a substring of its statement, and uses up one count:
//
//   {"fault": "status", "status": 503, "code": "...", "message": "..."}
//       answer with that status and {"errors": [...]}; nothing runs
//   {"fault": "reset"}      close the connection (RST) before answering
//   {"fault": "cut", "after_bytes": N}
//       chunked answer, connection destroyed after N bytes of the body
//   {"fault": "truncate"}   Content-Length of the whole body, half sent,
//                           then the connection is closed cleanly
//   {"fault": "error202", "code": "...", "message": "...",
//    "partial": true}       202 with errors (and the first half of the
//                           real rows when partial); the statement runs
//                           and is rolled back
//   {"fault": "delay", "ms": N}  answer normally after N ms
//
// "execute" (reset/cut/truncate; default true) runs and commits the
// statement first, so the client sees an ambiguous failure of a write
// that did happen. "count" defaults to 1.

const KINDS = new Set(['status', 'reset', 'cut', 'truncate', 'error202',
	'delay']);

export class Faults {
	constructor() {
		this.rules = [];
	}
	set(spec) {
		const list = Array.isArray(spec) ? spec
			: Array.isArray(spec?.rules) ? spec.rules
			: spec && typeof spec === 'object' ? [spec] : null;
		if (!list)
			throw new Error('faults: expected {"rules": [...]}');
		const rules = list.map((r) => {
			if (!r || !KINDS.has(r.fault))
				throw new Error(`faults: unknown fault ` +
					`${JSON.stringify(r?.fault)} (one of ` +
					`${[...KINDS].join(', ')})`);
			return { count: 1, execute: true, ...r,
				 count_left: Number(r.count ?? 1) };
		});
		this.rules = rules;
	}
	// The rule for one request, its count used up; or null.
	take(statement) {
		for (const r of this.rules) {
			if (r.count_left <= 0)
				continue;
			if (r.match && !String(statement).includes(r.match))
				continue;
			r.count_left--;
			return r;
		}
		return null;
	}
	state() {
		return this.rules.map((r) => ({ ...r }));
	}
}
