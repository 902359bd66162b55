// Turns the manifest's JSON Schemas (2020-12) into what the form renders: a few rewrites that
// keep the same meaning but render better, and a uiSchema derived from the schema's own hints
// (`x-options`, `format: password`, free-form JSON, upload sources).

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isNullSchema = (s) => isObj(s) && s.type === 'null' && Object.keys(s).every((k) => ['type', 'title', 'description'].includes(k));

/** Resolves a local `#/$defs/NAME` (or `#/definitions/NAME`) reference against `root`. */
export function resolveRef(schema, root) {
  let s = schema;
  for (let i = 0; i < 16 && isObj(s) && typeof s.$ref === 'string' && s.$ref.startsWith('#/'); i++) {
    const target = s.$ref
      .slice(2)
      .split('/')
      .map((p) => decodeURIComponent(p).replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((node, key) => (isObj(node) ? node[key] : undefined), root);
    if (!isObj(target)) return s;
    const { $ref, ...siblings } = s;
    s = { ...target, ...siblings };
  }
  return s;
}

const isConstOption = (s) => isObj(s) && 'const' in s;
const isEnumLike = (s) => isObj(s) && (Array.isArray(s.enum) || (Array.isArray(s.oneOf) && s.oneOf.every(isConstOption)) || (Array.isArray(s.anyOf) && s.anyOf.every(isConstOption)));
const isPlainObject = (s) => isObj(s) && s.type === 'object' && isObj(s.properties) && !s.oneOf && !s.anyOf;
const typeIncludes = (s, t) => s.type === t || (Array.isArray(s.type) && s.type.includes(t));

const humanize = (name) => {
  const words = String(name).replace(/[_-]+/g, ' ').trim();
  return words ? words[0].toUpperCase() + words.slice(1) : String(name);
};

/**
 * The schema the form renders, equivalent for the data it accepts:
 * - `anyOf: [X, {type: null}]` (an optional enum or object) becomes X: an empty field is left out
 *   of the input, which means the same as null. When X is itself a choice of objects, a "None"
 *   choice is added in front instead.
 * - `default: null` is dropped (null is what an absent optional field means).
 * - A property without a title gets one from its name.
 * - The root title is dropped (the page shows the module's label).
 */
export function prepareSchema(schema) {
  const root = schema;
  const walk = (s) => {
    if (Array.isArray(s)) return s.map(walk);
    if (!isObj(s)) return s;
    let out = {};
    for (const [k, v] of Object.entries(s)) {
      out[k] = ['x-options', 'default', 'const', 'enum', 'examples', 'required'].includes(k) ? v : walk(v);
    }
    // A property without a title is labelled with its name, made readable (`browser_uploads`).
    if (isObj(out.properties)) {
      out.properties = Object.fromEntries(
        Object.entries(out.properties).map(([name, p]) =>
          isObj(p) && !resolveRef(p, root).title ? [name, { ...p, title: humanize(name) }] : [name, p],
        ),
      );
    }
    for (const key of ['anyOf', 'oneOf']) {
      const alts = out[key];
      if (!Array.isArray(alts) || alts.length !== 2 || !alts.some(isNullSchema)) continue;
      const other = alts.find((a) => !isNullSchema(a));
      const target = resolveRef(other, root);
      const { [key]: _drop, ...rest } = out;
      if (isEnumLike(target) || isPlainObject(target) || typeof target.type === 'string') {
        out = { ...other, ...rest };
      } else if (Array.isArray(target.oneOf) || Array.isArray(target.anyOf)) {
        const { description: _d, title: _t, ...restNoDoc } = rest;
        out = {
          ...restNoDoc,
          title: rest.title,
          description: rest.description || target.description,
          oneOf: [{ type: 'null', title: 'None' }, ...(target.oneOf || target.anyOf)],
        };
      }
      break;
    }
    // A choice of constants (a Rust enum) renders as a dropdown once it says its type.
    const consts = out.oneOf || out.anyOf;
    if (!('type' in out) && Array.isArray(consts) && consts.length && consts.every(isConstOption)) {
      const types = new Set(consts.map((c) => c.type || typeof c.const));
      if (types.size === 1) out.type = [...types][0];
    }
    if (out.default === null) delete out.default;
    return out;
  };
  const prepared = walk(schema);
  delete prepared.title;
  return prepared;
}

/** Whether a (resolved) schema is free-form JSON the form cannot break down into fields. */
function isFreeJson(s) {
  if (!isObj(s)) return false;
  const structural = ['type', '$ref', 'oneOf', 'anyOf', 'allOf', 'enum', 'const', 'properties', 'items'];
  if (!structural.some((k) => k in s)) return true;
  return typeIncludes(s, 'object') && !isObj(s.properties) && s.additionalProperties === true;
}

/** Whether a (resolved) schema is an upload source: a choice with a base64 option. */
export function isUploadSource(s) {
  const alts = isObj(s) && (s.oneOf || s.anyOf);
  return Array.isArray(alts) && alts.some((a) => isObj(a) && isObj(a.properties) && 'base64' in a.properties);
}

const TEXTAREA_NAMES = new Set(['body', 'text', 'base64', 'policy']);

/** The uiSchema for `schema` (a prepared schema), derived from its hints. */
export function buildUiSchema(schema, root = schema, depth = 0) {
  const ui = {};
  if (depth > 12) return ui;
  const s = resolveRef(schema, root);
  if (isObj(s.properties)) {
    for (const [name, prop] of Object.entries(s.properties)) {
      const p = resolveRef(prop, root);
      const entry = buildUiSchema(prop, root, depth + 1);
      if (isObj(p['x-options'])) {
        entry['ui:widget'] = 'options';
      } else if ((p.format === 'password' || p.writeOnly === true) && typeIncludes(p, 'string')) {
        entry['ui:widget'] = 'password';
        entry['ui:autocomplete'] = 'off';
      } else if (isFreeJson(p)) {
        entry['ui:field'] = 'json';
      } else if (isUploadSource(p)) {
        entry['ui:field'] = 'uploadSource';
      } else if (TEXTAREA_NAMES.has(name) && typeIncludes(p, 'string')) {
        entry['ui:widget'] = 'textarea';
      }
      if (Object.keys(entry).length) ui[name] = entry;
    }
  }
  if (isObj(s.items)) {
    const items = buildUiSchema(s.items, root, depth + 1);
    if (Object.keys(items).length) ui.items = items;
  }
  for (const key of ['oneOf', 'anyOf']) {
    if (!Array.isArray(s[key])) continue;
    const options = s[key].map((opt) => {
      const o = resolveRef(opt, root);
      const entry = buildUiSchema(opt, root, depth + 1);
      if (isObj(o.properties)) {
        for (const name of Object.keys(o.properties)) {
          if (TEXTAREA_NAMES.has(name) && typeIncludes(resolveRef(o.properties[name], root), 'string')) {
            entry[name] = { ...(entry[name] || {}), 'ui:widget': 'textarea' };
          }
        }
      }
      if (isUploadSource(s) && isObj(o.properties)) {
        const titles = { path: 'Path on the machine running the connector', text: 'Text', base64: 'Base64 content' };
        for (const name of Object.keys(o.properties)) {
          if (titles[name]) entry[name] = { ...(entry[name] || {}), 'ui:title': titles[name] };
        }
        // The chooser above names the choice; its field's label says it again.
        entry['ui:options'] = { ...(entry['ui:options'] || {}), label: false };
      }
      // A constant choice (e.g. a template with no settings) needs no input of its own.
      if ('const' in o) entry['ui:widget'] = 'hidden';
      return entry;
    });
    if (options.some((o) => Object.keys(o).length)) ui[key] = options;
  }
  return ui;
}

/** Splits a dotted error path (`headers.Cache-Control`, `rules[0].id`, `source.base64`). */
function pathSegments(path) {
  return String(path)
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((p) => p !== '');
}

/**
 * The rjsf error schema that puts `message` on the field named by the dotted `path`, and the
 * path as a list of keys. Keys that themselves contain dots (a header such as `x-amz-meta-a.b`)
 * are matched against the form data.
 */
export function errorSchemaFor(path, message, formData) {
  const segs = pathSegments(path);
  const keys = [];
  let data = formData;
  for (let i = 0; i < segs.length; ) {
    let used = 1;
    if (isObj(data)) {
      for (let n = segs.length - i; n > 1; n--) {
        if (segs.slice(i, i + n).join('.') in data) {
          used = n;
          break;
        }
      }
    }
    const key = segs.slice(i, i + used).join('.');
    keys.push(Array.isArray(data) && /^\d+$/.test(key) ? Number(key) : key);
    data = data !== null && typeof data === 'object' ? data[key] : undefined;
    i += used;
  }
  const errorSchema = {};
  let node = errorSchema;
  for (const key of keys) {
    node[key] = node[key] || {};
    node = node[key];
  }
  node.__errors = [message];
  return { errorSchema, keys };
}

/** A copy of `obj` with the value at `path` (a list of keys) set. */
export function setIn(obj, path, value) {
  if (!path.length) return value;
  const [head, ...rest] = path;
  const base = Array.isArray(obj) ? [...obj] : isObj(obj) ? { ...obj } : typeof head === 'number' ? [] : {};
  base[head] = setIn(base[head], rest, value);
  return base;
}

export function getIn(obj, path) {
  return path.reduce((node, key) => (node !== null && typeof node === 'object' ? node[key] : undefined), obj);
}

/** Whether a module's input has a top-level property `name`. */
export function hasProperty(schema, name) {
  return isObj(schema) && isObj(schema.properties) && name in schema.properties;
}
