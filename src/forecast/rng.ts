// Seeded pseudo-random numbers for the pure core (Math.random is banned there): training and the
// bootstrap are reproducible, so tests and benchmark figures are stable run to run.

/** mulberry32: a 32-bit state generator, uniform in [0, 1). Plenty for weight init and resampling. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** In-place Fisher-Yates shuffle driven by `rnd`. */
export function shuffle(a: Uint32Array, rnd: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}
