// Forecast vs actual load with the pre-scaler's decisions (uPlot, canvas). Actual = the load the
// pre-scaler read at each decision; forecast = the max it predicted over the next lead time, drawn
// where that window ends, with its upper bound; minReplicas (right axis, stepped) is what it set.
// The canvas is labelled; the decisions table next to it carries the same numbers for screen readers.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import type { ScalingDecision } from '../types';

function series(decisions: ScalingDecision[]) {
  const rows = decisions.filter((d) => d.forecast).slice().reverse();
  const points = new Map<number, { actual?: number; forecast?: number; upper?: number; replicas?: number }>();
  const at = (t: number) => points.get(t) ?? (points.set(t, {}), points.get(t)!);
  for (const d of rows) {
    const t = Math.round(Date.parse(d.at) / 1000);
    Object.assign(at(t), { actual: d.forecast!.lastValue, replicas: d.minReplicas });
    const ahead = t + Math.round(d.forecast!.leadTimeMinutes * 60);
    Object.assign(at(ahead), { forecast: d.forecast!.windowPoint, upper: d.forecast!.upper });
  }
  const xs = [...points.keys()].sort((a, b) => a - b);
  const col = (k: 'actual' | 'forecast' | 'upper' | 'replicas') => xs.map((x) => points.get(x)![k] ?? null);
  return [xs, col('actual'), col('forecast'), col('upper'), col('replicas')] as uPlot.AlignedData;
}

export function ForecastPlot({ decisions, label }: { decisions: ScalingDecision[]; label: string }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!el.current) return;
    const width = Math.max(320, el.current.clientWidth || 720);
    const plot = new uPlot({
      width, height: 280, title: undefined,
      scales: { x: { time: true }, replicas: { auto: true } },
      axes: [{}, { label: 'load' }, { side: 1, scale: 'replicas', label: 'minReplicas', grid: { show: false } }],
      series: [
        {},
        { label: 'actual', stroke: '#1c3d80', width: 2, spanGaps: true },
        { label: 'forecast (max over lead time)', stroke: '#c2410c', width: 2, dash: [6, 4], spanGaps: true },
        { label: 'upper bound', stroke: '#9a3412', width: 1, dash: [2, 3], spanGaps: true },
        { label: 'minReplicas', scale: 'replicas', stroke: '#2b8a3e', width: 2, paths: uPlot.paths.stepped?.({ align: 1 }), spanGaps: true },
      ],
    }, series(decisions), el.current);
    el.current.querySelector('canvas')?.setAttribute('aria-hidden', 'true');
    return () => plot.destroy();
  }, [decisions]);
  return <div ref={el} role="img" aria-label={label} />;
}
