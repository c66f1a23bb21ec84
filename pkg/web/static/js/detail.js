// Detail panels: a task, an indicator (reason, series chart, per-unit figures, alerts) and a milestone.
import { h, mount } from './dom.js';
import { get } from './api.js';
import { badge, label, num, pct } from './status.js';
import { seriesChart, disposeCharts } from './chart.js';
import { alertList } from './alerts.js';

const drawer = () => document.getElementById('drawer');
const body = () => document.getElementById('drawer-body');
const stack = [];

// openPanel shows a panel drawn by render(el); with push it stacks on the
// current one so that 返回 goes back to it.
export function openPanel(title, render, push) {
  open(title, render, push);
}

function open(title, render, push) {
  if (!push) stack.length = 0;
  stack.push({ title, render });
  show();
}

function show() {
  const top = stack[stack.length - 1];
  disposeCharts();
  drawer().hidden = false;
  document.getElementById('drawer-title').textContent = top.title;
  document.getElementById('drawer-back').hidden = stack.length < 2;
  mount(body(), h('p', { class: 'loading' }, '正在读取…'));
  top.render(body());
}

// closeDetail hides the panel.
export function closeDetail() {
  stack.length = 0;
  disposeCharts();
  drawer().hidden = true;
  document.querySelectorAll('.cell.selected').forEach((c) => c.classList.remove('selected'));
}

// backDetail returns to the panel before.
export function backDetail() {
  if (stack.length > 1) {
    stack.pop();
    show();
  }
}

// refreshDetail redraws the open panel, as of a new date.
export function refreshDetail() {
  if (stack.length) show();
}

function failed(el, e) {
  mount(el, h('p', { class: 'error' }, `读取失败:${e.message}`));
}

// openTask shows a task; t is its board entry when known, else only {id}.
export function openTask(t, part, section, push) {
  open(`任务 ${t.id}`, async (el) => {
    let d;
    try {
      d = await get(`/tasks/${encodeURIComponent(t.id)}`);
    } catch (e) {
      if (!t.title) return failed(el, e);
      d = { task: t, evaluations: [], alerts: null };
    }
    const task = d.task || t;
    const evs = Object.fromEntries((d.evaluations || []).map((e) => [e.indicator || e.milestone, e]));
    const lead = (task.lead || []).map((u) => u.name).join('、');
    const co = (task.co || []).map((u) => u.name).join('、');
    mount(el, h('div', { class: 'detail', id: 'task-detail', 'data-task': task.id },
      h('div', { class: 'meta' }, h('span', {}, task.part || part || ''), h('span', {}, task.section || section || '')),
      h('h2', {}, `${task.id} ${task.title}`),
      h('div', { class: 'meta' }, h('span', {}, `牵头:${lead || '—'}`), co ? h('span', {}, `配合:${co}`) : null, task.due ? h('span', {}, `完成时限:${task.due}`) : null),
      h('p', {}, badge(task.status, task.status_label)),
      h('div', { class: `reason s-${task.status}` }, task.reason || '暂无说明。'),
      (task.indicators || []).length ? [h('h3', {}, '指标'), h('ul', { class: 'items' }, task.indicators.map((i) => {
        const ev = evs[i.id] || {};
        return h('li', { class: 'link', 'data-indicator': i.id, onclick: () => openIndicator(i.id, true) },
          h('div', { class: 'head' }, badge(i.status, i.status_label), h('span', { class: 'name' }, i.name)),
          h('div', { class: 'sub' }, ev.actual !== undefined && ev.actual !== null ? `实际 ${num(ev.actual, ev.kind)}${ev.measure && !isPct(ev.kind) ? ev.measure : ''},应达 ${num(ev.expected, ev.kind)},目标 ${num(ev.target, ev.kind)}。` : '', i.reason));
      }))] : null,
      (task.milestones || []).length ? [h('h3', {}, '节点'), h('ul', { class: 'items' }, task.milestones.map((m) => h('li', { class: 'link', 'data-milestone': m.id, onclick: () => openMilestone(m.id, true) },
        h('div', { class: 'head' }, badge(m.status, m.status_label), h('span', { class: 'name' }, m.deliverable)),
        h('div', { class: 'sub' }, m.due ? `时限 ${m.due}。` : '', m.reason))))] : null,
      h('h3', {}, '预警'), d.alerts ? alertList(d.alerts) : h('p', { class: 'muted' }, '—')));
  }, !!push);
}

function isPct(kind) {
  return kind === 'ratio' || kind === 'coverage' || kind === 'lead_time';
}

function targetText(ind, kind) {
  const t = ind.target || {};
  if (t.comparator === 'between') return `${num(t.value, kind)}–${num(t.high, kind)}`;
  return `${t.comparator || ''} ${num(t.value, kind)}`.trim();
}

// openIndicator shows an indicator's detail.
export function openIndicator(id, push) {
  open(`指标 ${id}`, async (el) => {
    let d;
    try {
      d = await get(`/indicators/${encodeURIComponent(id)}`);
    } catch (e) {
      return failed(el, e);
    }
    const ind = d.indicator || {};
    const city = d.city || {};
    const kind = ind.kind || city.kind;
    const measure = isPct(kind) ? '' : (ind.measure || city.measure || '');
    const series = d.series || [];
    mount(el, h('div', { class: 'detail', id: 'indicator-detail', 'data-indicator': ind.id || id },
      h('div', { class: 'meta' }, h('span', {}, `任务 ${ind.task || city.task || ''}`), h('span', {}, `类型 ${kindLabel(kind)}`),
        ind.start ? h('span', {}, `${ind.start} 至 ${ind.due}`) : null),
      h('h2', {}, ind.name || city.name || id),
      h('p', {}, badge(city.status, city.status_label), ' ', h('span', { class: 'muted' }, `目标 ${targetText(ind, kind)}${measure}`)),
      h('div', { class: `reason s-${city.status}` }, city.reason || '暂无说明。'),
      h('dl', { class: 'figures' },
        fig('实际', num(city.actual, kind)), fig('按进度应达', num(city.expected, kind)),
        fig('目标', num(city.target, kind)), fig('进度比', pct(city.progress))),
      h('h3', {}, '逐期走势'),
      seriesChart(series, { kind, measure, target: city.target, name: ind.name || id }),
      seriesTable(series, kind),
      h('h3', {}, '各单位'),
      unitTable(d.units || [], kind),
      h('h3', {}, '预警'), alertList(d.alerts)));
  }, push);
}

function fig(t, v) {
  return h('div', {}, h('dt', {}, t), h('dd', {}, v));
}

const KIND_LABELS = { level: '时点值', cumulative: '累计值', ratio: '比率', coverage: '覆盖率', lead_time: '时限达标率', count: '数量' };

function kindLabel(k) {
  return KIND_LABELS[k] || k || '—';
}

function seriesTable(series, kind) {
  if (!series.length) return h('p', { class: 'muted' }, '暂无逐期数据。');
  return h('table', { class: 'grid series' },
    h('thead', {}, h('tr', {}, h('th', {}, '期'), series.map((p) => h('th', {}, `${Number(p.period.slice(5))}月`)))),
    h('tbody', {},
      h('tr', {}, h('th', {}, '实际'), series.map((p) => h('td', { class: 'num' }, num(p.actual, kind)))),
      h('tr', {}, h('th', {}, '应达'), series.map((p) => h('td', { class: 'num' }, num(p.expected, kind))))));
}

function unitTable(units, kind) {
  if (!units.length) return h('p', { class: 'muted' }, '该指标只有全市数据。');
  return h('table', { class: 'grid units' },
    h('thead', {}, h('tr', {}, ['单位', '状态', '实际', '应达', '目标', '进度比', '说明'].map((c) => h('th', {}, c)))),
    h('tbody', {}, units.map((u) => h('tr', { 'data-unit': u.unit_id || u.unit },
      h('td', {}, u.unit || u.unit_id),
      h('td', {}, badge(u.status, u.status_label)),
      h('td', { class: 'num' }, num(u.actual, kind)),
      h('td', { class: 'num' }, num(u.expected, kind)),
      h('td', { class: 'num' }, num(u.target, kind)),
      h('td', { class: 'num' }, pct(u.progress)),
      h('td', {}, u.reason || '')))));
}

const STATES = { not_started: '未开始', in_progress: '进行中', done: '已完成' };

// openMilestone shows a milestone's detail.
export function openMilestone(id, push) {
  open(`节点 ${id}`, async (el) => {
    let d;
    try {
      d = await get(`/milestones/${encodeURIComponent(id)}`);
    } catch (e) {
      return failed(el, e);
    }
    const m = d.milestone || {};
    const city = d.city || {};
    mount(el, h('div', { class: 'detail', id: 'milestone-detail', 'data-milestone': m.id || id },
      h('div', { class: 'meta' }, h('span', {}, `任务 ${m.task || city.task || ''}`), m.due ? h('span', {}, `时限 ${m.due}`) : null),
      h('h2', {}, m.deliverable || city.name || id),
      h('p', {}, badge(city.status, city.status_label || label(city.status))),
      h('div', { class: `reason s-${city.status}` }, city.reason || '暂无说明。'),
      h('h3', {}, '各牵头单位'),
      (d.units || []).length ? h('table', { class: 'grid units' },
        h('thead', {}, h('tr', {}, ['单位', '状态', '进展', '日期', '文号或链接', '说明'].map((c) => h('th', {}, c)))),
        h('tbody', {}, d.units.map((u) => h('tr', { 'data-unit': u.unit_id || u.unit },
          h('td', {}, u.unit || u.unit_id), h('td', {}, badge(u.status, u.status_label)),
          h('td', {}, STATES[u.state] || '—'), h('td', {}, u.date || '—'), h('td', {}, u.evidence || '—'), h('td', {}, u.reason || ''))))) : h('p', { class: 'muted' }, '—'),
      h('h3', {}, '预警'), alertList(d.alerts)));
  }, push);
}
