#!/usr/bin/env node
// lint.mjs - lint Cypher statements with Neo4j's own parser and semantic
// analysis (npm @neo4j-cypher/language-support, lintCypherQuery), as
// Cypher 5. Prints every diagnostic; exits 1 if any has severity error,
// 2 if it cannot run. Used by t_cypher_lint() in tests/neo4j_harness.c.
//
//   node lint.mjs [--modules DIR] [--version 5|25] [--json] [FILE]
//
// Input (FILE or stdin): one statement per line, or with --json (or when
// the text starts with '[') a JSON array whose items are statements or
// {"statement": ..., "parameters": {...}}. Parameters ($name) are
// declared for the linter from the statement itself, so an undeclared
// parameter is no error; everything else the linter finds is reported.
// DIR is where the pinned packages are installed (default:
// $OUTPOST_NEO4J_DIR, else build/neo4j next to this file's tests/).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
let modules = process.env.OUTPOST_NEO4J_DIR ||
	path.join(here, '..', '..', 'build', 'neo4j');
let version = '5', json = false, file = null;
for (let i = 2; i < process.argv.length; i++) {
	const a = process.argv[i];
	if (a === '--modules') modules = process.argv[++i];
	else if (a === '--version') version = process.argv[++i];
	else if (a === '--json') json = true;
	else file = a;
}

let ls;
try {
	const require = createRequire(path.join(path.resolve(modules),
						 'package.json'));
	ls = require('@neo4j-cypher/language-support');
} catch (e) {
	console.error(`lint.mjs: @neo4j-cypher/language-support is not ` +
		      `installed in ${modules} (make build/neo4j/.installed ` +
		      `runs npm ci): ${e.message}`);
	process.exit(2);
}

const text = fs.readFileSync(file ?? 0, 'utf8');
const items = json || text.trimStart().startsWith('[')
	? JSON.parse(text)
	: text.split('\n').filter((l) => l.trim());

const PARAM = /\$(?:`((?:[^`]|``)+)`|([A-Za-z_][A-Za-z0-9_]*)|([0-9]+))/g;
const SEVERITY = { 1: 'error', 2: 'warning', 3: 'information', 4: 'hint' };
let errors = 0;

items.forEach((item, n) => {
	const stmt = typeof item === 'string' ? item : item?.statement;
	if (typeof stmt !== 'string') {
		console.log(`#${n + 1}: not a statement: ${JSON.stringify(item)}`);
		errors++;
		return;
	}
	const parameters = { ...(item.parameters || {}) };
	for (const m of stmt.matchAll(PARAM)) {
		const name = m[1] ? m[1].replace(/``/g, '`') : m[2] ?? m[3];
		if (!(name in parameters))
			parameters[name] = null;
	}
	const diags = ls.lintCypherQuery(stmt, {
		parameters, defaultLanguage: `CYPHER ${version}` });
	for (const d of diags) {
		const sev = SEVERITY[d.severity] ?? String(d.severity);
		const at = d.range ? ` (line ${d.range.start.line + 1}, ` +
			`column ${d.range.start.character + 1})` : '';
		console.log(`#${n + 1} ${sev}${at}: ${d.message}\n    ${stmt}`);
		if (d.severity === 1)
			errors++;
	}
});
console.log(`${items.length} statement(s), ${errors} error(s)`);
process.exit(errors ? 1 : 0);
