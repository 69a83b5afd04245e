// Pure helpers for the benchmark: summary statistics and the Markdown table.

/** Median, min and max of a non-empty list of numbers. */
export function summarize(samples) {
  if (samples.length === 0) throw new Error('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
}

function cell(stats, unit) {
  if (stats === undefined) return '—';
  const digits = unit === 's' ? 3 : 0;
  return `${stats.median.toFixed(digits)} (${stats.min.toFixed(digits)}–${stats.max.toFixed(digits)})`;
}

/** The previous run's figure for the same case: its ratio, else its median. */
function previousCell(r) {
  if (r.previous === undefined) return '—';
  if (r.previous.ratio !== undefined && r.previous.ratio !== null) return r.previous.ratio.toFixed(2);
  return r.previous.median === undefined ? '—' : `${r.previous.median.toFixed(3)} s`;
}

/** One Markdown table: medians with (min–max), the ratio, the previous run's, and whether the goal holds. */
export function formatTable(results) {
  const lines = [
    '| case | measured: median (min–max) | baseline: median (min–max) | ratio | before | goal | met |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of results) {
    const unit = r.unit === 's' ? ' s' : ` ${r.unit}`;
    const measured = `${r.what}: ${cell(r.subject, r.unit)}${unit}`;
    const baseline = r.baselineWhat === undefined ? '—' : `${r.baselineWhat}: ${cell(r.baseline, r.unit)}${unit}`;
    const ratio = r.ratio === undefined ? '—' : r.ratio.toFixed(2);
    lines.push(`| ${r.case} | ${measured} | ${baseline} | ${ratio} | ${previousCell(r)} | ${r.goal} | ${r.met ? 'yes' : '**no**'} |`);
  }
  return lines.join('\n');
}
