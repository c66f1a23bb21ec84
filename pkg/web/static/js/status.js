// Statuses, their Chinese labels and how numbers are written for people.
import { h } from './dom.js';

// STATUSES is board order, best first; labels are the fallback when the API gives none.
export const STATUSES = [
  ['achieved', '已完成'],
  ['on_track', '正常推进'],
  ['lagging', '进度滞后'],
  ['critical', '严重滞后'],
  ['missed', '逾期未完成'],
  ['no_data', '未报送'],
  ['not_started', '未开始'],
];

const LABELS = Object.fromEntries(STATUSES);

// label is a status's Chinese name.
export function label(status) {
  return LABELS[status] || status || '—';
}

// badge is a coloured label: the colour never stands alone.
export function badge(status, text) {
  return h('span', { class: `badge s-${status}`, 'data-status': status }, text || label(status));
}

// FRACTION_KINDS are indicator kinds whose figures are fractions, shown as percentages.
const FRACTION_KINDS = new Set(['ratio', 'coverage', 'lead_time']);

// isFraction reports whether an indicator kind is shown as a percentage.
export function isFraction(kind) {
  return FRACTION_KINDS.has(kind);
}

// num formats a figure of an indicator of the given kind: 0.654 → 65.4%, 322500 → 322,500.
export function num(v, kind) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (isFraction(kind)) return `${(v * 100).toFixed(1).replace(/\.0$/, '')}%`;
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('zh-CN');
  return String(Math.round(v * 100) / 100);
}

// pct formats a progress ratio.
export function pct(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  return `${(v * 100).toFixed(1).replace(/\.0$/, '')}%`;
}

// dateTime formats an RFC 3339 instant in the plan's time zone, to the minute.
export function dateTime(s) {
  if (!s) return '—';
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return s;
  return d.toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}
