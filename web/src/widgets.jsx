// The form's custom parts: a combobox filled by an options provider (`x-options`), the upload
// source with a file chooser, a JSON editor for free-form values, a field wrapper that marks
// invalid fields, and text buttons in place of rjsf's icon-font ones.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { getDefaultRegistry } from '@rjsf/core';

const defaults = getDefaultRegistry();

/** The form values sent to an options provider: the top-level values, without big ones (an
 * upload's base64 content), and for `folders` the parent of the folder typed so far as `prefix`
 * (so typing `docs/` lists the folders inside `docs`). */
function optionsInput(provider, formData, ownValue) {
  const input = {};
  for (const [k, v] of Object.entries(formData || {})) {
    if (v === undefined) continue;
    if (JSON.stringify(v).length > 2048) continue;
    input[k] = v;
  }
  if (provider === 'folders') {
    const typed = typeof ownValue === 'string' ? ownValue : '';
    const cut = typed.lastIndexOf('/');
    input.prefix = cut > 0 ? typed.slice(0, cut) : '';
  }
  return input;
}

const parentKey = (provider, value) => {
  if (provider !== 'folders' || typeof value !== 'string') return '';
  const cut = value.lastIndexOf('/');
  return cut > 0 ? value.slice(0, cut) : '';
};

/**
 * A text input with a list of choices from `POST /v1/options/{provider}` (ARIA combobox with a
 * listbox popup). Any value may be typed, since a bucket or folder may not be listed.
 */
export function OptionsWidget(props) {
  const { id, value, required, disabled, readonly, autofocus, placeholder, onChange, onBlur, onFocus, schema, registry, options: uiOptions, rawErrors } = props;
  const ctx = registry.formContext || {};
  const spec = schema['x-options'] || {};
  const provider = spec.provider;
  const info = (ctx.providers && ctx.providers[provider]) || {};
  const dependsOn = spec.depends_on || info.depends_on || [];
  const needsConnection = info.needs_connection !== false;
  const formData = ctx.formData || {};
  const depValues = dependsOn.map((d) => formData[d]);
  const missing = dependsOn.find((d, i) => depValues[i] === undefined || depValues[i] === null || depValues[i] === '');
  const noConnection = needsConnection && !ctx.connectionId;
  const canLoad = Boolean(provider) && !missing && !noConnection;
  const fetchKey = JSON.stringify([provider, ctx.connectionId || null, depValues, parentKey(provider, value)]);

  const [items, setItems] = useState([]);
  const [status, setStatus] = useState('idle'); // idle | loading | ready | error
  const [message, setMessage] = useState('');
  const [open, setOpen] = useState(false);
  const [filter, setFilter] = useState(false);
  const [active, setActive] = useState(-1);
  const loadedKey = useRef(null);
  const controller = useRef(null);
  const latest = useRef({ formData, value });
  latest.current = { formData, value };
  const listId = `${id}__options`;
  const statusId = `${id}__options_status`;

  const load = useCallback(() => {
    if (!canLoad || !ctx.loadOptions) return;
    if (controller.current) controller.current.abort();
    const ac = new AbortController();
    controller.current = ac;
    loadedKey.current = fetchKey;
    setStatus('loading');
    setMessage('');
    ctx
      .loadOptions(provider, optionsInput(provider, latest.current.formData, latest.current.value), ac.signal)
      .then((list) => {
        if (ac.signal.aborted) return;
        setItems(Array.isArray(list) ? list.filter((o) => o && typeof o.value === 'string') : []);
        setStatus('ready');
      })
      .catch((err) => {
        if (ac.signal.aborted || err.name === 'AbortError') return;
        setItems([]);
        setStatus('error');
        setMessage((err.detail && err.detail.message) || err.message);
      });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [canLoad, fetchKey, provider, ctx.loadOptions]);

  // Load when the connection or a field the list depends on changes (debounced while typing).
  useEffect(() => {
    if (!canLoad) {
      if (controller.current) controller.current.abort();
      loadedKey.current = null;
      setItems([]);
      setStatus('idle');
      return undefined;
    }
    if (loadedKey.current === fetchKey) return undefined;
    const timer = setTimeout(() => {
      if (loadedKey.current !== fetchKey) load();
    }, 300);
    return () => clearTimeout(timer);
  }, [canLoad, fetchKey, load]);

  useEffect(() => () => controller.current && controller.current.abort(), []);

  const text = value === undefined || value === null ? '' : String(value);
  const shown = useMemo(() => {
    if (!filter || !text) return items;
    const needle = text.toLowerCase();
    return items.filter((o) => o.value.toLowerCase().includes(needle) || String(o.label || '').toLowerCase().includes(needle));
  }, [items, filter, text]);

  const expanded = open && shown.length > 0;
  const emptyValue = uiOptions && 'emptyValue' in uiOptions ? uiOptions.emptyValue : undefined;

  const choose = (option) => {
    onChange(option.value);
    setOpen(false);
    setFilter(false);
    setActive(-1);
  };

  const openList = () => {
    if (disabled || readonly) return;
    setOpen(true);
    setFilter(false);
    if (canLoad && status !== 'loading' && loadedKey.current !== fetchKey) load();
  };

  const onKeyDown = (event) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      if (!open) {
        openList();
        setActive(event.key === 'ArrowDown' ? 0 : shown.length - 1);
        return;
      }
      if (!shown.length) return;
      const step = event.key === 'ArrowDown' ? 1 : -1;
      setActive((i) => (i + step + shown.length) % shown.length);
    } else if (event.key === 'Enter') {
      if (expanded && active >= 0 && active < shown.length) {
        event.preventDefault();
        choose(shown[active]);
      }
    } else if (event.key === 'Escape') {
      if (open) {
        event.preventDefault();
        setOpen(false);
        setActive(-1);
      }
    }
  };

  let hint = '';
  if (noConnection) hint = 'Choose a connection to see the choices.';
  else if (missing) hint = `Fill in ${missing} to see the choices.`;
  else if (status === 'loading' || status === 'idle') hint = 'Loading choices…';
  else if (status === 'error') hint = `Could not load the choices: ${message}`;
  else if (status === 'ready') hint = items.length ? `${items.length} choice${items.length === 1 ? '' : 's'}; you can also type a value.` : 'No choices found; type a value.';

  const describedBy = [`${id}__description`, `${id}__error`, statusId].join(' ');

  return (
    <div className={`combobox${expanded ? ' is-open' : ''}`} data-provider={provider}>
      <div className="combobox-row">
        <input
          id={id}
          name={id}
          type="text"
          className="form-control"
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={expanded}
          aria-controls={listId}
          aria-activedescendant={expanded && active >= 0 ? `${listId}_${active}` : undefined}
          aria-describedby={describedBy}
          aria-invalid={rawErrors && rawErrors.length ? true : undefined}
          aria-required={required || undefined}
          autoComplete="off"
          spellCheck={false}
          autoFocus={autofocus}
          placeholder={placeholder}
          disabled={disabled}
          readOnly={readonly}
          value={text}
          onChange={(e) => {
            const v = e.target.value;
            onChange(v === '' ? emptyValue : v);
            setOpen(true);
            setFilter(true);
            setActive(-1);
          }}
          onKeyDown={onKeyDown}
          onFocus={(e) => onFocus && onFocus(id, e.target.value)}
          onBlur={(e) => {
            setOpen(false);
            setActive(-1);
            if (onBlur) onBlur(id, e.target.value);
          }}
          onClick={() => (open ? setOpen(false) : openList())}
        />
        <button
          type="button"
          className="combobox-toggle"
          tabIndex={-1}
          aria-label={`Show the choices for ${props.label || id}`}
          data-testid={`options-toggle-${id}`}
          disabled={disabled || readonly}
          onMouseDown={(e) => e.preventDefault()}
          onClick={() => {
            document.getElementById(id)?.focus();
            if (open) setOpen(false);
            else openList();
          }}
        >
          ▾
        </button>
      </div>
      <ul id={listId} role="listbox" className="combobox-list" hidden={!expanded} aria-label={`Choices for ${props.label || id}`} data-testid={`options-${id}`}>
        {shown.map((option, i) => (
          <li
            key={option.value}
            id={`${listId}_${i}`}
            role="option"
            aria-selected={option.value === text}
            className={i === active ? 'is-active' : undefined}
            data-value={option.value}
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => choose(option)}
          >
            {option.label || option.value}
          </li>
        ))}
      </ul>
      <div id={statusId} className={`combobox-status${status === 'error' ? ' is-error' : ''}`} aria-live="polite" data-status={status}>
        {hint}
        {status === 'error' || status === 'ready' ? (
          <button type="button" className="link-button" onClick={load}>
            Reload
          </button>
        ) : null}
      </div>
    </div>
  );
}

/** Reads a File as base64 (without the `data:` prefix). */
function readBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onerror = () => reject(reader.error || new Error('the file could not be read'));
    reader.onload = () => {
      const url = String(reader.result || '');
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.readAsDataURL(file);
  });
}

const formatSize = (n) => (n < 1024 ? `${n} bytes` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`);

/**
 * The file chooser of an upload source (`oneOf` path / text / base64): it reads a file of this
 * computer into the base64 choice (and the file name, when empty). rjsf renders the choice
 * itself right after this field (a `ui:field` on a `oneOf` keeps rjsf's own choice field).
 */
export function UploadSourceField(props) {
  const { registry, disabled, readonly } = props;
  const pathId = props.childFieldPathId || props.fieldPathId;
  const Description = registry.templates.DescriptionFieldTemplate;
  const ctx = registry.formContext || {};
  const inputId = `${pathId.$id}__file`;
  const [picked, setPicked] = useState(null);
  const [error, setError] = useState('');

  const onFile = async (event) => {
    const file = event.target.files && event.target.files[0];
    if (!file) return;
    setError('');
    try {
      const base64 = await readBase64(file);
      if (ctx.onFilePicked) ctx.onFilePicked(pathId.path, { name: file.name, size: file.size, type: file.type, base64 });
      else props.onChange({ base64 }, pathId.path);
      setPicked({ name: file.name, size: file.size });
    } catch (err) {
      setError(`Could not read ${file.name}: ${err.message}`);
    }
  };

  return (
    <div className="upload-source file-pick">
      {props.schema && props.schema.title ? <p className="control-label upload-title">{props.schema.title}</p> : null}
      {props.schema && props.schema.description ? (
        <Description id={`${pathId.$id}__description`} description={props.schema.description} schema={props.schema} uiSchema={props.uiSchema} registry={registry} />
      ) : null}
      <label htmlFor={inputId}>Upload a file from this computer</label>
      <input id={inputId} type="file" data-testid="file-chooser" disabled={disabled || readonly} onChange={onFile} aria-describedby={`${inputId}_hint`} />
      <p id={`${inputId}_hint`} className="hint" aria-live="polite">
        {error ? (
          <span className="is-error">{error}</span>
        ) : picked ? (
          <>
            Read <strong>{picked.name}</strong> ({formatSize(picked.size)}) into “Base64 content” below.
          </>
        ) : (
          <>It is sent as base64 content. Or choose below: “Local file” is a path on the machine running the connector.</>
        )}
      </p>
    </div>
  );
}

/** A JSON editor for free-form values (a policy document): parsed as typed. */
export function JsonField(props) {
  const { formData, onChange, fieldPathId, disabled, readonly, rawErrors, schema, registry } = props;
  const Description = registry.templates.DescriptionFieldTemplate;
  const id = fieldPathId.$id;
  const toText = (v) => (v === undefined || v === null ? '' : JSON.stringify(v, null, 2));
  const [text, setText] = useState(() => toText(formData));
  const [problem, setProblem] = useState('');
  const lastSent = useRef(formData);

  useEffect(() => {
    // Follow changes made from outside (e.g. the form being reset).
    if (JSON.stringify(formData) !== JSON.stringify(lastSent.current)) {
      setText(toText(formData));
      setProblem('');
      lastSent.current = formData;
    }
  }, [formData]);

  const update = (value) => {
    setText(value);
    if (!value.trim()) {
      setProblem('');
      lastSent.current = undefined;
      onChange(undefined, fieldPathId.path);
      return;
    }
    try {
      const parsed = JSON.parse(value);
      setProblem('');
      lastSent.current = parsed;
      onChange(parsed, fieldPathId.path);
    } catch (err) {
      setProblem(`Not valid JSON yet: ${err.message}`);
      // Keep the text as the value, so a run reports it instead of sending a stale value.
      lastSent.current = value;
      onChange(value, fieldPathId.path);
    }
  };

  return (
    <div className="json-field">
      <label htmlFor={id} className="control-label">
        {schema.title || props.name}
        <span className="json-badge">JSON</span>
      </label>
      {schema.description ? <Description id={`${id}__description`} description={schema.description} schema={schema} uiSchema={props.uiSchema} registry={registry} /> : null}
      <textarea
        id={id}
        className="form-control mono"
        rows={6}
        spellCheck={false}
        value={text}
        disabled={disabled}
        readOnly={readonly}
        aria-invalid={problem || (rawErrors && rawErrors.length) ? true : undefined}
        aria-describedby={`${id}__description ${id}__json_problem`}
        onChange={(e) => update(e.target.value)}
        placeholder='{"Version": "2012-10-17", "Statement": [...]}'
      />
      <div id={`${id}__json_problem`} className="hint is-error" aria-live="polite">
        {problem}
      </div>
    </div>
  );
}

const DefaultFieldTemplate = defaults.templates.FieldTemplate;

/** rjsf's field wrapper, inside an element naming the field's path (`data-field="headers.x"`)
 * and flagged `data-invalid` while it has errors; the input gets `aria-invalid`. */
export function FieldTemplate(props) {
  const { fieldPathId, rawErrors, id, hidden } = props;
  const invalid = Boolean(rawErrors && rawErrors.length);
  const path = fieldPathId && fieldPathId.path ? fieldPathId.path.join('.') : '';
  useEffect(() => {
    const el = document.getElementById(id);
    if (!el || !['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName)) return;
    if (invalid) el.setAttribute('aria-invalid', 'true');
    else el.removeAttribute('aria-invalid');
  });
  if (hidden) return <DefaultFieldTemplate {...props} />;
  return (
    <div className="field" data-field={path || undefined} data-invalid={invalid || undefined}>
      <DefaultFieldTemplate {...props} />
    </div>
  );
}

function TextButton({ label, text, className = '', onClick, disabled, id, style }) {
  return (
    <button type="button" id={id} style={style} className={`btn-small ${className}`} title={label} aria-label={label} onClick={onClick} disabled={disabled}>
      {text}
    </button>
  );
}

export const ButtonTemplates = {
  AddButton: ({ onClick, disabled, id, className }) => (
    <div className="add-row">
      <button type="button" id={id} className={`btn-small btn-add ${className || ''}`} onClick={onClick} disabled={disabled}>
        + Add
      </button>
    </div>
  ),
  RemoveButton: (p) => <TextButton {...p} label="Remove" text="✕" className="btn-remove" />,
  MoveUpButton: (p) => <TextButton {...p} label="Move up" text="↑" />,
  MoveDownButton: (p) => <TextButton {...p} label="Move down" text="↓" />,
  CopyButton: (p) => <TextButton {...p} label="Copy" text="⧉" />,
  ClearButton: (p) => <TextButton {...p} label="Clear" text="✕" />,
};

/** Moves focus to the field at the dotted `path` inside `root` and brings it into view. */
export function focusField(root, path) {
  if (!root || !path) return false;
  const el = root.querySelector(`[data-field="${CSS.escape(path)}"]`);
  if (!el) return false;
  el.scrollIntoView({ block: 'center', behavior: 'smooth' });
  const input = el.querySelector('input:not([type=hidden]), select, textarea');
  if (input) input.focus({ preventScroll: true });
  return true;
}

/** rjsf's error list, with each error a button that moves to its field. */
export function ErrorList({ errors }) {
  const ref = useRef(null);
  const pathOf = (error) =>
    String(error.property || '')
      .replace(/\[['"]?([^\]'"]*)['"]?\]/g, '.$1')
      .replace(/^\.+/, '');
  return (
    <div className="panel panel-danger errors" ref={ref}>
      <h3 className="panel-title">Check {errors.length === 1 ? 'this field' : 'these fields'}</h3>
      <ul className="list-group">
        {errors.map((error, i) => {
          const path = pathOf(error);
          return (
            <li key={i} className="list-group-item text-danger">
              {path ? (
                <button type="button" className="link-button mono" onClick={() => focusField(ref.current && ref.current.closest('form'), path)}>
                  {path}
                </button>
              ) : null}
              {path ? ': ' : ''}
              {error.message || error.stack}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
