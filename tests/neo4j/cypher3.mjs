// cypher3.mjs - the few Cypher 5 forms the stand-in (standin.mjs) carries
// over to the Neo4j 3.1 behind it. Everything else goes to 3.1 as it is,
// and 3.1's own error comes back if it cannot run it.
//
//   CREATE CONSTRAINT [name] [IF NOT EXISTS] FOR (v:L) REQUIRE v.p IS UNIQUE
//       -> CREATE CONSTRAINT ON (v:L) ASSERT v.p IS UNIQUE (the name is
//          kept by the stand-in; 3.1 constraints have none)
//   DROP CONSTRAINT name [IF EXISTS]
//   SHOW [UNIQUE|ALL] CONSTRAINTS [YIELD f, ... | YIELD *]
//       -> from CALL db.constraints(), in Cypher 5's columns
//   elementId(x) -> '4:<db id>:' + toString(id(x))  (always the node form)

import { DB_ID } from './values.mjs';

const ID = '(?:`(?:[^`]|``)+`|[A-Za-z_][A-Za-z0-9_]*)';

export const unquote = (s) => s.startsWith('`')
	? s.slice(1, -1).replace(/``/g, '`') : s;
export const quote = (s) => '`' + s.replace(/`/g, '``') + '`';

const CREATE = new RegExp(`^CREATE\\s+CONSTRAINT(?:\\s+(?!IF\\b|FOR\\b)(${ID}))?` +
	`(\\s+IF\\s+NOT\\s+EXISTS)?\\s+FOR\\s*\\(\\s*(${ID})\\s*:\\s*(${ID})\\s*\\)` +
	`\\s*REQUIRE\\s*(\\()?\\s*(${ID})\\s*\\.\\s*(${ID})\\s*(\\))?` +
	'\\s+IS\\s+UNIQUE\\s*;?$', 'i');
const DROP = new RegExp(`^DROP\\s+CONSTRAINT\\s+(?!ON\\b)(${ID})` +
	'(\\s+IF\\s+EXISTS)?\\s*;?$', 'i');
const SHOW = new RegExp('^SHOW\\s+(?:(?:UNIQUE|UNIQUENESS|ALL|NODE\\s+UNIQUE' +
	'|NODE\\s+UNIQUENESS)\\s+)?CONSTRAINTS?' +
	`(?:\\s+YIELD\\s+(\\*|${ID}(?:\\s*,\\s*${ID})*))?(\\s+\\S.*)?\\s*;?$`,
	'is');

// Cypher 5's SHOW CONSTRAINTS columns; the first eight without YIELD.
export const SHOW_FIELDS = ['id', 'name', 'type', 'entityType',
	'labelsOrTypes', 'properties', 'ownedIndex', 'propertyType',
	'options', 'createStatement'];

// Replace elementId(var) outside strings, comments and quoted names;
// each [original, replacement] goes to done (column names are restored).
function rewriteElementId(s, done) {
	const re = new RegExp(`\\belementId\\s*\\(\\s*(${ID})\\s*\\)`, 'iy');
	let out = '', i = 0;
	while (i < s.length) {
		const c = s[i];
		if (c === "'" || c === '"' || c === '`') {
			let j = i + 1;
			while (j < s.length && s[j] !== c)
				j += s[j] === '\\' && c !== '`' ? 2 : 1;
			out += s.slice(i, j + 1);
			i = j + 1;
			continue;
		}
		if (s.startsWith('//', i)) {
			const j = s.indexOf('\n', i);
			out += s.slice(i, j < 0 ? s.length : j);
			i = j < 0 ? s.length : j;
			continue;
		}
		re.lastIndex = i;
		const m = /[A-Za-z_]/.test(c) && (i === 0 ||
			!/[A-Za-z0-9_$]/.test(s[i - 1])) ? re.exec(s) : null;
		if (m) {
			const r = `('4:${DB_ID}:' + toString(id(${m[1]})))`;
			done.push([m[0], r]);
			out += r;
			i = re.lastIndex;
			continue;
		}
		out += c;
		i++;
	}
	return out;
}

// What to do with one statement: {kind: 'pass', statement} or one of the
// schema commands the stand-in answers itself.
export function plan(statement) {
	const s = statement.trim();
	let m = CREATE.exec(s);
	if (m && unquote(m[3]) === unquote(m[6]) && !m[5] === !m[8])
		return { kind: 'createConstraint',
			 name: m[1] ? unquote(m[1]) : null,
			 ifNotExists: Boolean(m[2]), label: unquote(m[4]),
			 prop: unquote(m[7]) };
	m = DROP.exec(s);
	if (m)
		return { kind: 'dropConstraint', name: unquote(m[1]),
			 ifExists: Boolean(m[2]) };
	m = SHOW.exec(s);
	if (m) {
		if (m[2])
			return { kind: 'unsupported', message: 'SHOW ' +
				'CONSTRAINTS with WHERE or RETURN is not ' +
				'carried over to the Neo4j 3.1 behind this ' +
				'stand-in (YIELD a list of columns)' };
		const y = m[1] ? m[1].split(',').map((f) => unquote(f.trim()))
			: null;
		return { kind: 'showConstraints', fields: y === null
			? SHOW_FIELDS.slice(0, 8)
			: y[0] === '*' ? SHOW_FIELDS : y };
	}
	const rewrites = [];
	return { kind: 'pass', statement: rewriteElementId(statement, rewrites),
		 rewrites };
}

// 3.1 writes "CONSTRAINT ON ( person:Person ) ASSERT person.uuid IS
// UNIQUE", names unquoted and the variable the label in lower case.
export function parseDescription(d) {
	const s = String(d).trim();
	const head = 'CONSTRAINT ON ( ', tail = ' IS UNIQUE';
	const mid = s.indexOf(' ) ASSERT ');
	if (!s.startsWith(head) || !s.endsWith(tail) || mid < 0)
		return null;
	const left = s.slice(head.length, mid);
	const right = s.slice(mid + ' ) ASSERT '.length, -tail.length);
	const n = (left.length - 1) / 2; // "v:L", v and L the same length
	if (!Number.isInteger(n) || left[n] !== ':' ||
	    right.slice(0, n + 1) !== left.slice(0, n) + '.')
		return null;
	return { label: left.slice(n + 1), prop: right.slice(n + 1) };
}

export function constraint31(label, prop) {
	return `CREATE CONSTRAINT ON (n:${quote(label)}) ASSERT ` +
		`n.${quote(prop)} IS UNIQUE`;
}
