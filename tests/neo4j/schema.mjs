// schema.mjs - the stand-in's Cypher 5 constraint commands (see
// cypher3.mjs for which) carried out on Neo4j 3.1, whose constraints have
// no names: the stand-in keeps the names it was given (names, a Map) and
// gives the others a fixed one from label and property. Each function
// answers like 3.1 does ({results, errors}), so standin.mjs translates it
// as any other answer.
import crypto from 'node:crypto';

import { SHOW_FIELDS, constraint31, parseDescription, quote }
	from './cypher3.mjs';

const fail = (code, message) => ({ results: [], errors: [{ code, message }] });

function defaultName(label, prop) {
	return 'constraint_' + crypto.createHash('sha256')
		.update(`${label}\u0000${prop}`).digest('hex').slice(0, 8);
}

// The constraints 3.1 has, each with its name.
async function list(names, run31) {
	const r = await run31([{ statement: 'CALL db.constraints()' }]);
	if (r.errors?.length)
		return { errors: r.errors };
	const out = [];
	for (const d of r.results[0].data) {
		const c = parseDescription(d.row[0]);
		if (!c)
			continue;
		let name = defaultName(c.label, c.prop);
		for (const [n, v] of names)
			if (v.label === c.label && v.prop === c.prop)
				name = n;
		out.push({ ...c, name });
	}
	return { list: out };
}

function column(c, i, f) {
	switch (f) {
	case 'id': return BigInt(i + 1);
	case 'name': case 'ownedIndex': return c.name;
	case 'type': return 'UNIQUENESS';
	case 'entityType': return 'NODE';
	case 'labelsOrTypes': return [c.label];
	case 'properties': return [c.prop];
	case 'propertyType': return null;
	case 'options': return { indexProvider: 'range-1.0', indexConfig: {} };
	case 'createStatement':
		return `CREATE CONSTRAINT ${quote(c.name)} FOR (n:` +
			`${quote(c.label)}) REQUIRE (n.${quote(c.prop)}) IS UNIQUE`;
	}
	return undefined;
}

async function show(p, names, run31) {
	const bad = p.fields.find((f) => !SHOW_FIELDS.includes(f));
	if (bad)
		return fail('Neo.ClientError.Statement.SyntaxError',
			    `Variable \`${bad}\` not defined`);
	const l = await list(names, run31);
	if (l.errors)
		return l;
	return { results: [{ columns: p.fields, data: l.list.map((c, i) => ({
		row: p.fields.map((f) => column(c, i, f)),
		meta: [] })) }], errors: [] };
}

async function create(p, names, run31) {
	const l = await list(names, run31);
	if (l.errors)
		return l;
	const same = l.list.find((c) => c.label === p.label &&
				 c.prop === p.prop);
	const named = p.name && l.list.find((c) => c.name === p.name);
	if (same || named) {
		if (p.ifNotExists)
			return { results: [{ columns: [], data: [],
				stats: {} }], errors: [] };
		return same
			? fail('Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists',
			       `An equivalent constraint already exists, ` +
			       `'Constraint( name='${same.name}', type=` +
			       `'UNIQUENESS', schema=(:${p.label} {${p.prop}}) )'.`)
			: fail('Neo.ClientError.Schema.ConstraintWithNameAlreadyExists',
			       `There already exists a constraint called ` +
			       `'${p.name}'.`);
	}
	const r = await run31([{ statement: constraint31(p.label, p.prop) }]);
	if (!r.errors?.length)
		names.set(p.name || defaultName(p.label, p.prop),
			  { label: p.label, prop: p.prop });
	return r;
}

async function drop(p, names, run31) {
	const l = await list(names, run31);
	if (l.errors)
		return l;
	const c = l.list.find((x) => x.name === p.name);
	if (!c) {
		if (p.ifExists)
			return { results: [{ columns: [], data: [],
				stats: {} }], errors: [] };
		return fail('Neo.DatabaseError.Schema.ConstraintDropFailed',
			    `Unable to drop constraint \`${p.name}\`: ` +
			    `No such constraint ${p.name}.`);
	}
	const r = await run31([{ statement: 'DROP ' +
		constraint31(c.label, c.prop).slice('CREATE '.length) }]);
	if (!r.errors?.length)
		names.delete(p.name);
	return r;
}

export function runSchema(p, names, run31) {
	if (p.kind === 'showConstraints')
		return show(p, names, run31);
	if (p.kind === 'createConstraint')
		return create(p, names, run31);
	return drop(p, names, run31);
}
