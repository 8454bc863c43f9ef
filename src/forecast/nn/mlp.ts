// A small multi-output MLP (one tanh hidden layer plus a linear skip path), trained by minibatch Adam on a
// Huber loss with decoupled weight decay. Float64Array throughout, no allocation in the inner loops,
// seeded initialisation and shuffling: the same data gives the same weights on every run.
// Why hand-written and not TensorFlow.js: docs/adr/0804-hand-written-mlp.md.
import { seededRandom, shuffle } from '../rng.ts';

export interface MlpShape { inputs: number; hidden: number; outputs: number }

export interface TrainOptions {
  epochs: number;
  batch: number;
  /** Peak learning rate; decays by cosine to 5% of it over the run. */
  lr: number;
  /** Decoupled (AdamW) weight decay per step, relative to lr. */
  weightDecay: number;
  /** Huber threshold in target units (targets are normalised, so ~1 = one local standard deviation). */
  delta: number;
  seed: number;
}

export interface Mlp {
  shape: MlpShape;
  /** W1 (hidden×inputs), b1, W2 (outputs×hidden), b2, Ws (outputs×inputs), packed in one array. */
  params: Float64Array;
}

interface Layout { w1: number; b1: number; w2: number; b2: number; ws: number; size: number }

function layout(s: MlpShape): Layout {
  const w1 = 0;
  const b1 = w1 + s.hidden * s.inputs;
  const w2 = b1 + s.hidden;
  const b2 = w2 + s.outputs * s.hidden;
  const ws = b2 + s.outputs;
  return { w1, b1, w2, b2, ws, size: ws + s.outputs * s.inputs };
}

/** Glorot-uniform hidden weights, smaller output weights, zero skip path and biases. */
export function initMlp(shape: MlpShape, seed: number): Mlp {
  const L = layout(shape);
  const params = new Float64Array(L.size);
  const rnd = seededRandom(seed);
  const a1 = Math.sqrt(6 / (shape.inputs + shape.hidden));
  for (let i = 0; i < shape.hidden * shape.inputs; i++) params[L.w1 + i] = (2 * rnd() - 1) * a1;
  const a2 = 0.5 * Math.sqrt(6 / (shape.hidden + shape.outputs));
  for (let i = 0; i < shape.outputs * shape.hidden; i++) params[L.w2 + i] = (2 * rnd() - 1) * a2;
  return { shape, params };
}

/** Forward pass of one input row x (length inputs) into out (length outputs); h is scratch (hidden). */
export function forward(m: Mlp, x: Float64Array, xo: number, scratch: { h: Float64Array; out: Float64Array }): Float64Array {
  const { inputs: k, hidden: H, outputs: O } = m.shape;
  const L = layout(m.shape);
  const p = m.params;
  const { h, out } = scratch;
  for (let j = 0; j < H; j++) {
    let z = p[L.b1 + j]!;
    const row = L.w1 + j * k;
    for (let i = 0; i < k; i++) z += p[row + i]! * x[xo + i]!;
    h[j] = Math.tanh(z);
  }
  for (let o = 0; o < O; o++) {
    let z = p[L.b2 + o]!;
    const row2 = L.w2 + o * H;
    for (let j = 0; j < H; j++) z += p[row2 + j]! * h[j]!;
    const rows = L.ws + o * k;
    for (let i = 0; i < k; i++) z += p[rows + i]! * x[xo + i]!;
    out[o] = z;
  }
  return out;
}

interface Work { h: Float64Array; out: Float64Array; dOut: Float64Array; dH: Float64Array; grad: Float64Array }

// Adds the gradient of the Huber loss of one row to w.grad; returns the row's loss.
function backward(m: Mlp, row: { x: Float64Array; xo: number; y: Float64Array; yo: number }, w: Work, delta: number): number {
  const { inputs: k, hidden: H, outputs: O } = m.shape;
  const L = layout(m.shape);
  const p = m.params;
  const { x, xo, y, yo } = row;
  forward(m, x, xo, w);
  let loss = 0;
  for (let o = 0; o < O; o++) {
    const e = w.out[o]! - y[yo + o]!;
    const a = Math.abs(e);
    loss += a <= delta ? 0.5 * e * e : delta * (a - 0.5 * delta);
    w.dOut[o] = a <= delta ? e : delta * Math.sign(e);
  }
  w.dH.fill(0);
  const g = w.grad;
  for (let o = 0; o < O; o++) {
    const d = w.dOut[o]!;
    g[L.b2 + o]! += d;
    const row2 = L.w2 + o * H;
    for (let j = 0; j < H; j++) { g[row2 + j]! += d * w.h[j]!; w.dH[j]! += d * p[row2 + j]!; }
    const rows = L.ws + o * k;
    for (let i = 0; i < k; i++) g[rows + i]! += d * x[xo + i]!;
  }
  for (let j = 0; j < H; j++) {
    const dz = w.dH[j]! * (1 - w.h[j]! * w.h[j]!);
    g[L.b1 + j]! += dz;
    const row1 = L.w1 + j * k;
    for (let i = 0; i < k; i++) g[row1 + i]! += dz * x[xo + i]!;
  }
  return loss;
}

/** Dataset: rows of inputs X (rows×inputs) and targets Y (rows×outputs). */
export interface Dataset { X: Float64Array; Y: Float64Array; rows: number }

/**
 * Trains m in place with Adam (β1 0.9, β2 0.999) on minibatches of a seeded shuffle; returns the mean
 * loss per epoch (for tests and diagnostics).
 */
export function train(m: Mlp, data: Dataset, o: TrainOptions): number[] {
  const { inputs: k, outputs: O, hidden: H } = m.shape;
  const n = m.params.length;
  const mom = new Float64Array(n);
  const vel = new Float64Array(n);
  const w: Work = { h: new Float64Array(H), out: new Float64Array(O), dOut: new Float64Array(O), dH: new Float64Array(H), grad: new Float64Array(n) };
  const order = Uint32Array.from({ length: data.rows }, (_, i) => i);
  const rnd = seededRandom(o.seed ^ 0x9e3779b9);
  const steps = Math.max(1, o.epochs * Math.ceil(data.rows / o.batch));
  const losses: number[] = [];
  let step = 0;
  for (let e = 0; e < o.epochs; e++) {
    shuffle(order, rnd);
    let total = 0;
    for (let b = 0; b < data.rows; b += o.batch) {
      const end = Math.min(data.rows, b + o.batch);
      w.grad.fill(0);
      for (let r = b; r < end; r++) {
        const i = order[r]!;
        total += backward(m, { x: data.X, xo: i * k, y: data.Y, yo: i * O }, w, o.delta);
      }
      step++;
      const lr = o.lr * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * step) / steps)));
      adamStep(m.params, w.grad, { mom, vel, step, lr, scale: 1 / (end - b), decay: o.weightDecay });
    }
    losses.push(total / Math.max(1, data.rows * O));
  }
  return losses;
}

function adamStep(p: Float64Array, g: Float64Array, s: { mom: Float64Array; vel: Float64Array; step: number; lr: number; scale: number; decay: number }): void {
  const b1 = 0.9, b2 = 0.999;
  const c1 = 1 - b1 ** s.step;
  const c2 = 1 - b2 ** s.step;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]! * s.scale;
    s.mom[i] = b1 * s.mom[i]! + (1 - b1) * gi;
    s.vel[i] = b2 * s.vel[i]! + (1 - b2) * gi * gi;
    p[i] = p[i]! * (1 - s.lr * s.decay) - (s.lr * (s.mom[i]! / c1)) / (Math.sqrt(s.vel[i]! / c2) + 1e-8);
  }
}
