// A state as a coloured chip with its name in words (colour is never the only signal).
export function Status({ value, label }: { value: string; label?: string }) {
  return <span className={`status status-${value}`} data-state={value}>{label ?? value}</span>;
}
