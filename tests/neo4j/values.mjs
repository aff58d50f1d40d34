// values.mjs - the stand-in's value mapping (see standin.mjs): Neo4j 3.1
// transactional results (row + meta + graph) to Query API v2 values, plain
// or Typed JSON, and Typed JSON parameters to what 3.1 accepts.
//
// 3.1 gives a node or relationship in "row" as its bare property map;
// "meta" says which values were entities, flattened depth-first (a list or
// map adds one entry per scalar or entity inside it and none for itself; a
// path adds one entry, a list of its entities' metas); "graph" gives
// labels, types and end nodes by id. Walking row and meta together
// rebuilds the entities. One ambiguity is left: an empty map directly
// before a node with no properties reads as that node.
import { Float, isPlainObject, stringify } from './json64.mjs';

// A fixed database id: element ids stay the same across stand-ins.
export const DB_ID = '0b5e1c3a-3110-4c1d-9d0e-0075a0d5e7a1';

export const nodeElementId = (id) => `4:${DB_ID}:${id}`;
export const relElementId = (id) => `5:${DB_ID}:${id}`;

export class ParamError extends Error {}

const isEntityMeta = (m) => isPlainObject(m) &&
	(m.type === 'node' || m.type === 'relationship');

function sameValue(a, b) {
	return stringify(a) === stringify(b);
}

function hasNested(v) {
	return Object.values(v).some((x) => isPlainObject(x) ||
		(Array.isArray(x) && x.some((y) => isPlainObject(y) ||
					    Array.isArray(y))));
}

class Walker {
	constructor(meta, graph, typed) {
		this.meta = meta || [];
		this.i = 0;
		this.typed = typed;
		this.nodes = new Map();
		this.rels = new Map();
		for (const n of graph?.nodes || [])
			this.nodes.set(String(n.id), n);
		for (const r of graph?.relationships || [])
			this.rels.set(String(r.id), r);
	}
	t(type, value) {
		return this.typed ? { $type: type, _value: value } : value;
	}
	props(p) {
		const out = {};
		for (const k of Object.keys(p || {}))
			out[k] = this.plainOrTyped(p[k]);
		return out;
	}
	// a property value: no entities inside, no meta to consume
	plainOrTyped(v) {
		if (Array.isArray(v))
			return this.t('List', v.map((x) => this.plainOrTyped(x)));
		return this.scalar(v);
	}
	scalar(v) {
		if (v === null)
			return this.t('Null', null);
		if (typeof v === 'bigint')
			return this.typed ? this.t('Integer', v.toString()) : v;
		if (v instanceof Float)
			return this.typed ? this.t('Float', v.text) : v;
		if (typeof v === 'boolean')
			return this.t('Boolean', v);
		return this.t('String', v);
	}
	entity(m, v) {
		const id = String(m.id);
		if (m.type === 'node') {
			const g = this.nodes.get(id);
			const labels = g ? g.labels : [];
			const props = this.props(v);
			return this.typed
				? this.t('Node', { _element_id: nodeElementId(id),
					_labels: labels, _properties: props })
				: { elementId: nodeElementId(id), labels,
				    properties: props };
		}
		const g = this.rels.get(id);
		const s = nodeElementId(g ? g.startNode : '?');
		const e = nodeElementId(g ? g.endNode : '?');
		const type = g ? g.type : '';
		const props = this.props(v);
		return this.typed
			? this.t('Relationship', { _element_id: relElementId(id),
				_start_node_element_id: s,
				_end_node_element_id: e, _type: type,
				_properties: props })
			: { elementId: relElementId(id), startNodeElementId: s,
			    endNodeElementId: e, type, properties: props };
	}
	isEntity(m, v) {
		if (!isEntityMeta(m))
			return false;
		if (m.deleted)
			return !hasNested(v);
		const g = (m.type === 'node' ? this.nodes : this.rels)
			.get(String(m.id));
		return g ? sameValue(g.properties || {}, v) : !hasNested(v);
	}
	value(v) {
		const m = this.meta[this.i];
		if (Array.isArray(v)) {
			if (Array.isArray(m) && m.length === v.length &&
			    v.every(isPlainObject) && m.every(isEntityMeta)) {
				this.i++;
				return this.t('Path', v.map((x, k) =>
					this.entity(m[k], x)));
			}
			return this.t('List', v.map((x) => this.value(x)));
		}
		if (isPlainObject(v)) {
			if (this.isEntity(m, v)) {
				this.i++;
				return this.entity(m, v);
			}
			const out = {};
			for (const k of Object.keys(v))
				out[k] = this.value(v[k]);
			return this.t('Map', out);
		}
		this.i++;
		return this.scalar(v);
	}
}

// One 3.1 data entry ({row, meta, graph}) as a v2 values row.
export function translateRow(entry, typed) {
	const w = new Walker(entry.meta, entry.graph, typed);
	return (entry.row || []).map((v) => w.value(v));
}

const COUNTERS = [
	['containsUpdates', 'contains_updates'],
	['nodesCreated', 'nodes_created'],
	['nodesDeleted', 'nodes_deleted'],
	['propertiesSet', 'properties_set'],
	['relationshipsCreated', 'relationships_created'],
	['relationshipsDeleted', 'relationship_deleted'],
	['labelsAdded', 'labels_added'],
	['labelsRemoved', 'labels_removed'],
	['indexesAdded', 'indexes_added'],
	['indexesRemoved', 'indexes_removed'],
	['constraintsAdded', 'constraints_added'],
	['constraintsRemoved', 'constraints_removed'],
];

// 3.1 "stats" as v2 "counters" (3.1 spells one key relationship_deleted).
export function translateCounters(stats) {
	const out = {};
	for (const [v2, v3] of COUNTERS) {
		let v = stats ? stats[v3] : undefined;
		if (v === undefined && v3 === 'relationship_deleted')
			v = stats?.relationships_deleted;
		out[v2] = v2 === 'containsUpdates' ? Boolean(v)
			: BigInt(v === undefined ? 0 : v);
	}
	out.containsSystemUpdates = false;
	out.systemUpdates = 0n;
	return out;
}

const UNSUPPORTED = new Set(['Base64', 'Date', 'Time', 'LocalTime',
	'ZonedDateTime', 'OffsetDateTime', 'LocalDateTime', 'Duration',
	'Point', 'Vector', 'UUID']);

// A Typed JSON parameter value as a 3.1 parameter (exact integers).
export function decodeTyped(v, path) {
	if (!isPlainObject(v) || typeof v.$type !== 'string' ||
	    !('_value' in v))
		throw new ParamError(`${path}: not a Typed JSON value ` +
				     '({"$type": ..., "_value": ...})');
	const x = v._value;
	switch (v.$type) {
	case 'Null':
		return null;
	case 'Boolean':
		if (typeof x !== 'boolean')
			break;
		return x;
	case 'String':
		if (typeof x !== 'string')
			break;
		return x;
	case 'Integer':
		if (typeof x !== 'string' || !/^-?\d+$/.test(x))
			break;
		if (BigInt(x) > 9223372036854775807n ||
		    BigInt(x) < -9223372036854775808n)
			throw new ParamError(`${path}: integer out of range`);
		return BigInt(x);
	case 'Float':
		if (typeof x !== 'string' ||
		    !/^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(x))
			break; // NaN and Infinity: 3.1's JSON cannot carry them
		return new Float(x);
	case 'List':
		if (!Array.isArray(x))
			break;
		return x.map((y, k) => decodeTyped(y, `${path}[${k}]`));
	case 'Map': {
		if (!isPlainObject(x))
			break;
		const out = {};
		for (const k of Object.keys(x))
			out[k] = decodeTyped(x[k], `${path}.${k}`);
		return out;
	}
	default:
		if (UNSUPPORTED.has(v.$type))
			throw new ParamError(`${path}: $type ${v.$type} is ` +
				'valid Typed JSON but the Neo4j 3.1 behind ' +
				'this stand-in has no such type');
		throw new ParamError(`${path}: unknown $type ${v.$type}`);
	}
	throw new ParamError(`${path}: bad _value for $type ${v.$type}`);
}
