// json64.mjs - JSON that keeps numbers exact, for the Query API stand-in
// (standin.mjs). JSON.parse turns every number into a double, so an
// INTEGER above 2^53 would change on its way through the stand-in; here
// an integer token becomes a BigInt and any other number a Float that
// keeps its text, and stringify writes both back unchanged.

// A JSON number with a fraction or an exponent, kept as written.
export class Float {
	constructor(text) {
		this.text = text;
	}
	valueOf() {
		return Number(this.text);
	}
}

const NUM = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const WS = /[ \t\n\r]*/y;

class Parser {
	constructor(text) {
		this.s = text;
		this.i = 0;
	}
	fail(what) {
		throw new SyntaxError(`${what} at offset ${this.i}`);
	}
	ws() {
		WS.lastIndex = this.i;
		WS.exec(this.s);
		this.i = WS.lastIndex;
	}
	value(depth) {
		if (depth > 512)
			this.fail('nesting too deep');
		this.ws();
		const c = this.s[this.i];
		if (c === '{')
			return this.object(depth);
		if (c === '[')
			return this.array(depth);
		if (c === '"')
			return this.string();
		for (const [word, v] of [['true', true], ['false', false],
					 ['null', null]]) {
			if (this.s.startsWith(word, this.i)) {
				this.i += word.length;
				return v;
			}
		}
		NUM.lastIndex = this.i;
		const m = NUM.exec(this.s);
		if (!m)
			this.fail('unexpected character');
		this.i = NUM.lastIndex;
		return m[1] || m[2] ? new Float(m[0]) : BigInt(m[0]);
	}
	string() {
		let j = this.i + 1;
		for (;;) {
			const c = this.s.charCodeAt(j);
			if (Number.isNaN(c))
				this.fail('unterminated string');
			if (c === 0x22)
				break;
			j += c === 0x5c ? 2 : 1;
		}
		const text = this.s.slice(this.i, j + 1);
		this.i = j + 1;
		return JSON.parse(text); // escapes and control characters
	}
	array(depth) {
		const out = [];
		this.i++;
		this.ws();
		if (this.s[this.i] === ']') {
			this.i++;
			return out;
		}
		for (;;) {
			out.push(this.value(depth + 1));
			this.ws();
			const c = this.s[this.i++];
			if (c === ']')
				return out;
			if (c !== ',')
				this.fail("expected ',' or ']'");
		}
	}
	object(depth) {
		const out = {};
		this.i++;
		this.ws();
		if (this.s[this.i] === '}') {
			this.i++;
			return out;
		}
		for (;;) {
			this.ws();
			if (this.s[this.i] !== '"')
				this.fail('expected a key');
			const k = this.string();
			this.ws();
			if (this.s[this.i++] !== ':')
				this.fail("expected ':'");
			// defineProperty: a key "__proto__" stays a plain key
			Object.defineProperty(out, k, {
				value: this.value(depth + 1), enumerable: true,
				writable: true, configurable: true,
			});
			this.ws();
			const c = this.s[this.i++];
			if (c === '}')
				return out;
			if (c !== ',')
				this.fail("expected ',' or '}'");
		}
	}
}

export function parse(text) {
	const p = new Parser(String(text));
	const v = p.value(0);
	p.ws();
	if (p.i !== p.s.length)
		p.fail('trailing characters');
	return v;
}

export function stringify(v) {
	if (v === null || v === undefined)
		return 'null';
	if (typeof v === 'bigint')
		return v.toString();
	if (v instanceof Float)
		return v.text;
	if (typeof v === 'number')
		return Number.isFinite(v) ? JSON.stringify(v) : 'null';
	if (typeof v === 'string' || typeof v === 'boolean')
		return JSON.stringify(v);
	if (Array.isArray(v))
		return '[' + v.map(stringify).join(',') + ']';
	return '{' + Object.keys(v).filter((k) => v[k] !== undefined)
		.map((k) => JSON.stringify(k) + ':' + stringify(v[k]))
		.join(',') + '}';
}

export function isPlainObject(v) {
	return v !== null && typeof v === 'object' && !Array.isArray(v) &&
	       !(v instanceof Float);
}
