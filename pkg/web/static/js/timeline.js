// The timeline (作战图): tasks down the side, months across, each milestone and
// checkpoint on its month, coloured by its status and labelled with it.
import { h, mount } from './dom.js';
import { badge, label } from './status.js';

const TYPES = { milestone: '节点', checkpoint: '检查点', due: '到期' };

// renderTimeline draws the timeline answer (or, if the API has none, one built from the board) into el.
export function renderTimeline(el, tl, ctx) {
  const months = tl.months && tl.months.length ? tl.months : yearMonths(tl.as_of);
  const now = (tl.as_of || '').slice(0, 7);
  const head = h('tr', {}, h('th', { class: 'task' }, '任务'),
    months.map((m) => h('th', { class: m === now ? 'now' : '' }, `${Number(m.slice(5))}月`)));
  const rows = [];
  const perSection = new Map();
  for (const r of tl.rows || []) perSection.set(r.section, (perSection.get(r.section) || 0) + 1);
  let section = null;
  for (const r of tl.rows || []) {
    // A section of several tasks gets a heading row; one named after its only task needs none.
    if (r.section && r.section !== section && perSection.get(r.section) > 1) {
      rows.push(h('tr', { class: 'part-row' }, h('th', { colspan: months.length + 1 }, r.section)));
    }
    section = r.section;
    const byMonth = new Map();
    for (const mk of r.marks || []) {
      if (!byMonth.has(mk.month)) byMonth.set(mk.month, []);
      byMonth.get(mk.month).push(mk);
    }
    rows.push(h('tr', { 'data-task': r.task },
      h('th', { class: 'task', title: r.title },
        h('a', { href: '#', onclick: (e) => { e.preventDefault(); ctx.openTaskById(r.task); } }, h('span', { class: 'tid' }, r.task), r.title.length > 14 ? `${r.title.slice(0, 14)}…` : r.title),
        ' ', badge(r.status, r.status_label)),
      months.map((m) => h('td', { class: `month${m === now ? ' now' : ''}${m < now ? ' past' : ''}` }, (byMonth.get(m) || []).map((mk) => mark(mk, ctx))))));
  }
  mount(el,
    h('div', { class: 'legend' }, h('strong', {}, '图例'),
      h('span', { class: 'mark t-milestone s-on_track' }, '正常推进·节点'),
      h('span', { class: 'mark t-checkpoint s-lagging' }, '进度滞后·检查点'),
      h('span', { class: 'mark t-due s-achieved' }, '已完成·到期'),
      h('span', { class: 'muted' }, `红线所在月份为截至日期 ${tl.as_of || ''},灰底为已过月份;点击标记查看详情。`)),
    h('div', { class: 'timeline-wrap' }, h('table', { class: 'timeline', id: 'timeline' },
      h('colgroup', {}, h('col', { class: 'task' }), months.map(() => h('col', {}))),
      h('thead', {}, head), h('tbody', {}, rows))));
}

function mark(mk, ctx) {
  const st = mk.status_label || label(mk.status);
  const text = `${st}·${mk.label || mk.id}`;
  const title = `${TYPES[mk.type] || mk.type}:${mk.label || mk.id}\n${mk.date || mk.month}\n状态:${st}`;
  return h('button', {
    type: 'button', class: `mark t-${mk.type} s-${mk.status}`, title, 'data-status': mk.status,
    onclick: () => (mk.type === 'milestone' ? ctx.openMilestone(mk.id) : ctx.openIndicator(mk.id)),
  }, text);
}

function yearMonths(asOf) {
  const y = (asOf || '2022').slice(0, 4);
  return Array.from({ length: 12 }, (_, i) => `${y}-${String(i + 1).padStart(2, '0')}`);
}

// timelineFromBoard builds a timeline from the board when the API has no /timeline:
// milestones on their due month, each indicator's status on the task's last month.
export function timelineFromBoard(board) {
  const rows = [];
  for (const p of board.parts || []) {
    for (const s of p.sections || []) {
      for (const t of s.tasks || []) {
        rows.push({
          task: t.id, title: t.title, section: s.section, status: t.status, status_label: t.status_label,
          marks: (t.milestones || []).map((m) => ({ month: (m.due || '').slice(0, 7), type: 'milestone', id: m.id, label: m.deliverable, date: m.due, status: m.status, status_label: m.status_label })),
        });
      }
    }
  }
  return { as_of: board.as_of, rows };
}
