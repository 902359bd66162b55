// A JSON value, pretty-printed like JSON.stringify(value, null, 2), with every http(s) URL
// string shown as a link.
const URL_RE = /^https?:\/\/\S+$/i;
const pad = (n) => '  '.repeat(n);

function Value({ value, depth }) {
  if (value === null) return <span className="j-null">null</span>;
  if (typeof value === 'string') {
    const quoted = JSON.stringify(value);
    if (URL_RE.test(value)) {
      return (
        <span className="j-str">
          "
          <a href={value} target="_blank" rel="noopener noreferrer" data-testid="result-link">
            {quoted.slice(1, -1)}
          </a>
          "
        </span>
      );
    }
    return <span className="j-str">{quoted}</span>;
  }
  if (typeof value === 'number') return <span className="j-num">{String(value)}</span>;
  if (typeof value === 'boolean') return <span className="j-bool">{String(value)}</span>;
  if (Array.isArray(value)) {
    if (!value.length) return <span className="j-punct">[]</span>;
    return (
      <>
        <span className="j-punct">[</span>
        {'\n'}
        {value.map((item, i) => (
          <span key={i}>
            {pad(depth + 1)}
            <Value value={item} depth={depth + 1} />
            {i < value.length - 1 ? ',' : ''}
            {'\n'}
          </span>
        ))}
        {pad(depth)}
        <span className="j-punct">]</span>
      </>
    );
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value);
    if (!entries.length) return <span className="j-punct">{'{}'}</span>;
    return (
      <>
        <span className="j-punct">{'{'}</span>
        {'\n'}
        {entries.map(([k, v], i) => (
          <span key={k}>
            {pad(depth + 1)}
            <span className="j-key">{JSON.stringify(k)}</span>
            <span className="j-punct">: </span>
            <Value value={v} depth={depth + 1} />
            {i < entries.length - 1 ? ',' : ''}
            {'\n'}
          </span>
        ))}
        {pad(depth)}
        <span className="j-punct">{'}'}</span>
      </>
    );
  }
  return <span>{String(value)}</span>;
}

export default function JsonView({ value, ...rest }) {
  return (
    <pre className="json" {...rest}>
      <code>
        <Value value={value} depth={0} />
      </code>
    </pre>
  );
}
