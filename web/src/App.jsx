// The scenario builder: pick a connection and a module, fill in the module's form (rendered by
// rjsf from its JSON Schema), run it, and read the result.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import Form from '@rjsf/core';
import { api, ApiError, getToken, setToken } from './api.js';
import validator from './validator.js';
import JsonView from './JsonView.jsx';
import { buildUiSchema, errorSchemaFor, getIn, hasProperty, prepareSchema, setIn } from './schema.js';
import { ButtonTemplates, ErrorList, FieldTemplate, focusField, JsonField, OptionsWidget, UploadSourceField } from './widgets.jsx';

const widgets = { options: OptionsWidget };
const fields = { json: JsonField, uploadSource: UploadSourceField };
const templates = { FieldTemplate, ButtonTemplates, ErrorListTemplate: ErrorList };
const defaultFormState = { emptyObjectFields: 'skipEmptyDefaults', arrayMinItems: { populate: 'never' }, constAsDefaults: 'skipOneOf' };
const KIND_TITLES = { action: 'Actions', search: 'Searches' };

const errorDetail = (err) =>
  err instanceof ApiError ? err.detail : { kind: 'client', message: err && err.message ? err.message : String(err) };

function withLabelOff(ui) {
  // Custom fields that render their own label.
  for (const [k, v] of Object.entries(ui)) {
    if (k.startsWith('ui:') || !v || typeof v !== 'object' || Array.isArray(v)) continue;
    if (v['ui:field'] === 'json') v['ui:options'] = { ...(v['ui:options'] || {}), label: false };
    withLabelOff(v);
  }
  return ui;
}

/** Schema + uiSchema of a form, from a manifest schema. */
function useFormSchemas(schema) {
  return useMemo(() => {
    if (!schema) return { schema: null, uiSchema: null };
    const prepared = prepareSchema(schema);
    const uiSchema = withLabelOff(buildUiSchema(prepared));
    uiSchema['ui:globalOptions'] = { enableMarkdownInDescription: true };
    uiSchema['ui:submitButtonOptions'] = { norender: true };
    return { schema: prepared, uiSchema };
  }, [schema]);
}

function ErrorBox({ detail, onShowField, testId = 'error', title }) {
  const rows = [
    ['Code', detail.code],
    ['HTTP status', detail.status],
    ['Request ID', detail.request_id],
    ['Field', detail.field],
    ['Retry may help', detail.retryable === undefined || detail.retryable === null ? null : detail.retryable ? 'yes' : 'no'],
  ].filter(([, v]) => v !== undefined && v !== null && v !== '');
  return (
    <div className="error-box" role="alert" data-testid={testId} data-kind={detail.kind || ''}>
      <p className="error-title">
        {title ? `${title}: ` : 'Failed: '}
        <span className="error-kind">{detail.kind || 'error'}</span>
      </p>
      <p className="error-message">{detail.message}</p>
      {rows.length ? (
        <dl className="error-facts">
          {rows.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>
                {k === 'Field' && onShowField ? (
                  <button type="button" className="link-button mono" onClick={() => onShowField(detail.field)}>
                    {String(v)}
                  </button>
                ) : (
                  <span className="mono">{String(v)}</span>
                )}
              </dd>
            </div>
          ))}
        </dl>
      ) : null}
    </div>
  );
}

function ModuleNav({ modules, selected, onSelect }) {
  const [filter, setFilter] = useState('');
  const needle = filter.trim().toLowerCase();
  const groups = useMemo(() => {
    const byKind = new Map();
    for (const m of modules) {
      if (needle && !`${m.name} ${m.label} ${m.description}`.toLowerCase().includes(needle)) continue;
      if (!byKind.has(m.kind)) byKind.set(m.kind, []);
      byKind.get(m.kind).push(m);
    }
    const rank = (kind) => (kind === 'action' ? 0 : kind === 'search' ? 1 : 2);
    return [...byKind.entries()].sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  }, [modules, needle]);
  return (
    <nav className="modules" aria-label="Modules">
      <label className="visually-hidden" htmlFor="module-filter">
        Filter modules
      </label>
      <input id="module-filter" type="search" className="form-control" placeholder="Filter modules…" value={filter} onChange={(e) => setFilter(e.target.value)} />
      {groups.length === 0 ? <p className="hint">No module matches.</p> : null}
      {groups.map(([kind, list]) => (
        <section key={kind} aria-labelledby={`group-${kind}`}>
          <h2 id={`group-${kind}`} className="group-title">
            {KIND_TITLES[kind] || kind}
          </h2>
          <ul>
            {list.map((m) => (
              <li key={m.name}>
                <button
                  type="button"
                  className="module-item"
                  data-testid={`module-${m.name}`}
                  aria-current={m.name === selected ? 'true' : undefined}
                  onClick={() => onSelect(m.name)}
                >
                  <span className="module-label">{m.label}</span>
                  <span className="module-desc">{m.description}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </nav>
  );
}

function NewConnectionForm({ manifest, formContextBase, onCreated, onCancel }) {
  const base = useMemo(() => {
    const conn = manifest.connection || { type: 'object', properties: {} };
    return {
      ...conn,
      title: undefined,
      description: undefined,
      properties: {
        name: { type: 'string', title: 'Name', description: 'What to call it here, e.g. `prod`. Empty: its access key ID.' },
        ...conn.properties,
      },
    };
  }, [manifest]);
  const { schema, uiSchema } = useFormSchemas(base);
  const [formData, setFormData] = useState({});
  const [extraErrors, setExtraErrors] = useState(undefined);
  const [error, setError] = useState(null);
  const [saving, setSaving] = useState(false);
  const formContext = useMemo(() => ({ ...formContextBase, connectionId: null, formData }), [formContextBase, formData]);

  const submit = async ({ formData: data }) => {
    const { name, ...connection } = data || {};
    setSaving(true);
    setError(null);
    setExtraErrors(undefined);
    try {
      const created = await api.createConnection(name && name.trim() ? name.trim() : undefined, connection);
      onCreated(created);
    } catch (err) {
      const detail = errorDetail(err);
      setError(detail);
      if (detail.field) {
        const path = String(detail.field).replace(/^connection\./, '');
        if (path.split('.')[0] in schema.properties) setExtraErrors(errorSchemaFor(path, detail.message, data).errorSchema);
      }
    } finally {
      setSaving(false);
    }
  };

  return (
    <section className="card new-connection" aria-labelledby="new-connection-title" data-testid="new-connection">
      <h2 id="new-connection-title">New connection</h2>
      <p className="hint">{manifest.connection && manifest.connection.description}</p>
      <Form
        schema={schema}
        uiSchema={uiSchema}
        formData={formData}
        validator={validator}
        widgets={widgets}
        fields={fields}
        templates={templates}
        formContext={formContext}
        idPrefix="conn"
        extraErrors={extraErrors}
        showErrorList="bottom"
        noHtml5Validate
        experimental_defaultFormStateBehavior={defaultFormState}
        onChange={({ formData: d }) => {
          setFormData(d);
          if (extraErrors) setExtraErrors(undefined);
        }}
        onSubmit={submit}
        onError={() => setError(null)}
      >
        {error ? <ErrorBox detail={error} testId="connection-error" title="Not saved" /> : null}
        <div className="actions">
          <button type="submit" className="btn-primary" data-testid="save-connection" disabled={saving}>
            {saving ? 'Saving…' : 'Save connection'}
          </button>
          <button type="button" className="btn-secondary" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </Form>
    </section>
  );
}

function ModulePanel({ module, connectionId, connectionName, formContextBase, initialData, onDataChange }) {
  const { schema, uiSchema } = useFormSchemas(module.input);
  const [formData, setFormData] = useState(initialData);
  const [extraErrors, setExtraErrors] = useState(undefined);
  const [errorKeys, setErrorKeys] = useState(null);
  const [outcome, setOutcome] = useState(null); // {ok, value|detail, ms}
  const [running, setRunning] = useState(false);
  const [seq, setSeq] = useState(0);
  const formRoot = useRef(null);
  const pendingFocus = useRef(null);
  const latestData = useRef(formData);
  latestData.current = formData;

  const update = useCallback(
    (data) => {
      setFormData(data);
      onDataChange(data);
    },
    [onDataChange],
  );

  const onFilePicked = useCallback(
    (path, file) => {
      let next = setIn(latestData.current || {}, path, { base64: file.base64 });
      const namePath = [...path.slice(0, -1), 'file_name'];
      const parentSchema = path.length === 1 ? schema : null;
      if (parentSchema && hasProperty(parentSchema, 'file_name') && !getIn(next, namePath)) next = setIn(next, namePath, file.name);
      update(next);
    },
    [schema, update],
  );

  const formContext = useMemo(() => ({ ...formContextBase, connectionId, formData, onFilePicked }), [formContextBase, connectionId, formData, onFilePicked]);

  useEffect(() => {
    if (pendingFocus.current) {
      focusField(formRoot.current, pendingFocus.current);
      pendingFocus.current = null;
    }
  });

  const run = async ({ formData: data }) => {
    setExtraErrors(undefined);
    setErrorKeys(null);
    setOutcome(null);
    if (!connectionId) {
      setOutcome({ ok: false, detail: { kind: 'invalid_input', message: 'Choose a connection (or create one) first.', field: 'connection' } });
      setSeq((n) => n + 1);
      return;
    }
    setRunning(true);
    const started = performance.now();
    try {
      const value = await api.run(module.name, connectionId, data === undefined ? {} : data);
      setOutcome({ ok: true, value, ms: Math.round(performance.now() - started) });
    } catch (err) {
      const detail = errorDetail(err);
      setOutcome({ ok: false, detail, ms: Math.round(performance.now() - started) });
      if (detail.field && schema && schema.properties && String(detail.field).split(/[.[]/)[0] in schema.properties) {
        const { errorSchema, keys } = errorSchemaFor(detail.field, detail.message, data);
        setExtraErrors(errorSchema);
        setErrorKeys(keys);
        pendingFocus.current = keys.join('.');
      }
    } finally {
      setRunning(false);
      setSeq((n) => n + 1);
    }
  };

  const onChange = ({ formData: data }) => {
    if (errorKeys && JSON.stringify(getIn(data, errorKeys)) !== JSON.stringify(getIn(formData, errorKeys))) {
      setExtraErrors(undefined);
      setErrorKeys(null);
    }
    update(data);
  };

  const status = running ? 'running' : outcome ? (outcome.ok ? 'ok' : 'error') : 'idle';

  return (
    <>
      <section className="card module" aria-labelledby="module-title">
        <header className="module-head">
          <h2 id="module-title">
            {module.label} <code className="module-name">{module.name}</code>
            <span className={`kind kind-${module.kind}`}>{module.kind}</span>
          </h2>
          <p>{module.description}</p>
        </header>
        <div ref={formRoot}>
          <Form
            key={module.name}
            schema={schema}
            uiSchema={uiSchema}
            formData={formData}
            validator={validator}
            widgets={widgets}
            fields={fields}
            templates={templates}
            formContext={formContext}
            idPrefix="input"
            extraErrors={extraErrors}
            showErrorList="top"
            focusOnFirstError
            noHtml5Validate
            experimental_defaultFormStateBehavior={defaultFormState}
            onChange={onChange}
            onSubmit={run}
            onError={() => setOutcome(null)}
          >
            <div className="actions">
              <button type="submit" className="btn-primary" data-testid="run" disabled={running} aria-describedby="run-hint">
                {running ? 'Running…' : 'Run'}
              </button>
              <button
                type="button"
                className="btn-secondary"
                onClick={() => {
                  setExtraErrors(undefined);
                  setErrorKeys(null);
                  update(undefined);
                }}
              >
                Reset
              </button>
              <span id="run-hint" className="hint">
                {connectionId ? (
                  <>
                    Runs <code>{module.name}</code> with the connection <strong>{connectionName}</strong>.
                  </>
                ) : (
                  'Choose a connection first.'
                )}
              </span>
            </div>
          </Form>
        </div>
      </section>
      <section className="card output" aria-labelledby="output-title" aria-live="polite" aria-busy={running} data-testid="output" data-status={status} data-seq={seq}>
        <h2 id="output-title">Output</h2>
        {status === 'idle' ? <p className="hint">Run the module to see its output here.</p> : null}
        {running ? <p className="hint">Running…</p> : null}
        {outcome && outcome.ok ? (
          <>
            <div className="result-head">
              <span className="ok-badge">OK</span>
              {outcome.ms !== undefined ? <span className="hint">{outcome.ms} ms</span> : null}
              <button type="button" className="btn-small" onClick={() => navigator.clipboard && navigator.clipboard.writeText(JSON.stringify(outcome.value, null, 2))}>
                Copy JSON
              </button>
            </div>
            <JsonView value={outcome.value} data-testid="result" tabIndex={0} aria-label="Result (JSON)" />
          </>
        ) : null}
        {outcome && !outcome.ok ? (
          <ErrorBox
            detail={outcome.detail}
            onShowField={errorKeys ? () => focusField(formRoot.current, errorKeys.join('.')) : undefined}
          />
        ) : null}
      </section>
    </>
  );
}

function TokenPrompt({ onSaved }) {
  const [value, setValue] = useState(getToken());
  return (
    <form
      className="token-form"
      onSubmit={(e) => {
        e.preventDefault();
        setToken(value.trim());
        onSaved();
      }}
    >
      <label htmlFor="token">This service needs its token</label>
      <input id="token" type="password" className="form-control" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} />
      <button type="submit" className="btn-primary">
        Use token
      </button>
    </form>
  );
}

export default function App() {
  const [manifest, setManifest] = useState(null);
  const [loadError, setLoadError] = useState(null);
  const [connections, setConnections] = useState([]);
  const [connectionId, setConnectionId] = useState('');
  const [connectionsError, setConnectionsError] = useState(null);
  const [showNew, setShowNew] = useState(false);
  const [needToken, setNeedToken] = useState(false);
  const [moduleName, setModuleName] = useState(() => decodeURIComponent(window.location.hash.replace(/^#\/?/, '')));
  const [reloadCount, setReloadCount] = useState(0);
  const drafts = useRef(new Map());

  const handleAuth = (err) => {
    if (err instanceof ApiError && err.httpStatus === 401 && err.detail && err.detail.field === 'authorization') setNeedToken(true);
  };

  const loadConnections = useCallback(async (preferId) => {
    try {
      const list = await api.connections();
      setConnections(Array.isArray(list) ? list : []);
      setConnectionsError(null);
      setConnectionId((current) => {
        const ids = (list || []).map((c) => c.id);
        if (preferId && ids.includes(preferId)) return preferId;
        if (current && ids.includes(current)) return current;
        return ids[0] || '';
      });
      if (!list || !list.length) setShowNew(true);
    } catch (err) {
      handleAuth(err);
      setConnectionsError(errorDetail(err));
    }
  }, []);

  useEffect(() => {
    let cancelled = false;
    api
      .manifest()
      .then((m) => {
        if (cancelled) return;
        setManifest(m);
        setLoadError(null);
        setNeedToken(false);
        setModuleName((current) => (m.modules.some((x) => x.name === current) ? current : m.modules[0] && m.modules[0].name));
      })
      .catch((err) => {
        if (cancelled) return;
        handleAuth(err);
        setLoadError(errorDetail(err));
      });
    loadConnections();
    return () => {
      cancelled = true;
    };
  }, [loadConnections, reloadCount]);

  useEffect(() => {
    const onHash = () => {
      const name = decodeURIComponent(window.location.hash.replace(/^#\/?/, ''));
      if (manifest && manifest.modules.some((m) => m.name === name)) setModuleName(name);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [manifest]);

  const selectModule = (name) => {
    setModuleName(name);
    if (window.location.hash !== `#${name}`) window.history.replaceState(null, '', `#${name}`);
  };

  const providers = useMemo(() => Object.fromEntries(((manifest && manifest.options_providers) || []).map((p) => [p.name, p])), [manifest]);
  const loadOptions = useCallback(
    (provider, connId, input, signal) =>
      api.options(provider, providers[provider] && providers[provider].needs_connection === false ? null : connId, input, { signal }).catch((err) => {
        handleAuth(err);
        throw err;
      }),
    [providers],
  );
  const contextFor = useMemo(
    () => (connId) => ({ providers, loadOptions: (provider, input, signal) => loadOptions(provider, connId, input, signal) }),
    [providers, loadOptions],
  );
  const moduleContext = useMemo(() => contextFor(connectionId), [contextFor, connectionId]);
  const connContext = useMemo(() => contextFor(null), [contextFor]);

  const module = manifest && manifest.modules.find((m) => m.name === moduleName);
  const connection = connections.find((c) => c.id === connectionId);
  const onDataChange = useCallback((data) => drafts.current.set(moduleName, data), [moduleName]);

  const deleteConnection = async () => {
    if (!connection) return;
    if (!window.confirm(`Delete the connection “${connection.name}”? Its stored keys are removed.`)) return;
    try {
      await api.deleteConnection(connection.id);
      setConnectionId('');
      await loadConnections();
    } catch (err) {
      handleAuth(err);
      setConnectionsError(errorDetail(err));
    }
  };

  const app = (manifest && manifest.app) || {};

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to the form
      </a>
      <header className="topbar">
        <div className="brand">
          <h1>{app.label || 'S3 connector'}</h1>
          <span className="hint">Scenario builder{app.version ? ` · v${app.version}` : ''}</span>
        </div>
        <div className="connection-bar">
          <label htmlFor="connection">Connection</label>
          <select id="connection" data-testid="connection" value={connectionId} onChange={(e) => setConnectionId(e.target.value)} disabled={!connections.length}>
            {connections.length === 0 ? <option value="">No connections yet</option> : null}
            {connections.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
          {connection ? (
            <span className="connection-facts hint" data-testid="connection-facts">
              {connection.access_key_id} · {connection.region}
              {connection.endpoint_url ? ` · ${connection.endpoint_url}` : ''}
              {connection.role_arn ? ` · role ${connection.role_arn}` : ''}
              {connection.has_session_token ? ' · temporary' : ''}
            </span>
          ) : null}
          <button type="button" className="btn-secondary" data-testid="new-connection-toggle" aria-expanded={showNew} aria-controls="new-connection-panel" onClick={() => setShowNew((v) => !v)}>
            New connection
          </button>
          {connection ? (
            <button type="button" className="btn-secondary btn-danger" data-testid="delete-connection" aria-label={`Delete the connection ${connection.name}`} onClick={deleteConnection}>
              Delete
            </button>
          ) : null}
        </div>
        {needToken ? (
          <TokenPrompt
            onSaved={() => {
              setNeedToken(false);
              setReloadCount((n) => n + 1);
            }}
          />
        ) : null}
      </header>

      {loadError && !manifest ? (
        <main className="main" id="main" tabIndex={-1}>
          <ErrorBox detail={loadError} title="The manifest could not be loaded" testId="load-error" />
        </main>
      ) : !manifest ? (
        <main className="main" id="main" tabIndex={-1}>
          <p className="hint" role="status">
            Loading…
          </p>
        </main>
      ) : (
        <div className="layout">
          <ModuleNav modules={manifest.modules} selected={moduleName} onSelect={selectModule} />
          <main className="main" id="main" tabIndex={-1}>
            {connectionsError ? <ErrorBox detail={connectionsError} title="Connections" testId="connections-error" /> : null}
            {showNew ? (
              <div id="new-connection-panel">
                <NewConnectionForm
                  manifest={manifest}
                  formContextBase={connContext}
                  onCancel={() => setShowNew(false)}
                  onCreated={(created) => {
                    setShowNew(false);
                    loadConnections(created && created.id);
                  }}
                />
              </div>
            ) : null}
            {module ? (
              <ModulePanel
                key={module.name}
                module={module}
                connectionId={connectionId}
                connectionName={connection ? connection.name : ''}
                formContextBase={moduleContext}
                initialData={drafts.current.get(module.name)}
                onDataChange={onDataChange}
              />
            ) : (
              <p className="hint">Choose a module.</p>
            )}
          </main>
        </div>
      )}
    </div>
  );
}
