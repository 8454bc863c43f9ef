// Parses Kubernetes resource quantities ("7820m", "16", "31Gi", "1e3", "500M") into numbers. Pure:
// the engine's placement reads a rendered ResourceQuota with it, the kube adapter a node's allocatable.
const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]?)$/.exec(q.trim());
  if (!m) throw new Error(`invalid quantity "${q}"`);
  const value = Number(m[1]);
  const suffix = m[2] ?? '';
  const factor = BINARY[suffix] ?? DECIMAL[suffix];
  if (Number.isNaN(value) || factor === undefined) throw new Error(`invalid quantity "${q}"`);
  return value * factor;
}

/** CPU in millicores, rounded up as the scheduler does. */
export const cpuMillis = (q: string | number): number => Math.ceil(parseQuantity(q) * 1000 - 1e-9);
