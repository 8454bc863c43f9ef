// A unified diff, one line per row, coloured and prefixed (+/-) so it reads without colour too.
export function DiffView({ patch, label }: { patch: string; label: string }) {
  const lines = patch.split('\n').filter((l) => !l.startsWith('====') && !l.startsWith('Index:'));
  return (
    <pre className="diff" aria-label={label} tabIndex={0}>
      {lines.map((l, i) => {
        const cls = l.startsWith('+++') || l.startsWith('---') ? 'meta' : l.startsWith('@@') ? 'hunk' : l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : '';
        return <span key={i} className={cls}>{l || ' '}</span>;
      })}
    </pre>
  );
}
