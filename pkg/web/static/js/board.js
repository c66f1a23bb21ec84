// The battle map (挂图): every task as a cell coloured by status, by part and section,
// with a count strip per status and filters by lead unit and status.
import { h, mount } from './dom.js';
import { STATUSES, label } from './status.js';

// filter survives a change of as-of date, so that replaying days keeps the view.
const filter = { status: '', lead: '' };

// renderBoard draws the board answer into el; openTask(task, part, section) opens a task's detail.
export function renderBoard(el, board, openTask) {
  const tasks = [];
  for (const p of board.parts || []) {
    for (const s of p.sections || []) {
      for (const t of s.tasks || []) tasks.push({ t, part: p.part, section: s.section });
    }
  }
  const statuses = (board.statuses && board.statuses.length ? board.statuses.map((s) => [s.status, s.label]) : STATUSES);
  const leads = leadUnits(tasks);
  if (filter.lead && !leads.some((u) => u.id === filter.lead)) filter.lead = '';

  const cells = [];
  const shown = h('span', { class: 'shown', id: 'shown' });

  function apply() {
    let n = 0;
    for (const { el: c, t } of cells) {
      const ok = (!filter.status || t.status === filter.status) && (!filter.lead || (t.lead || []).some((u) => u.id === filter.lead));
      c.classList.toggle('dim', !ok);
      c.dataset.match = ok ? '1' : '0';
      if (ok) n++;
    }
    shown.textContent = `显示 ${n} / ${cells.length} 项任务`;
    for (const chip of strip.querySelectorAll('.chip')) {
      chip.setAttribute('aria-pressed', String((chip.dataset.status || '') === filter.status));
    }
    statusSelect.value = filter.status;
    leadSelect.value = filter.lead;
  }

  const counts = board.counts || {};
  const strip = h('div', { class: 'strip', role: 'group', 'aria-label': '按状态统计' },
    h('button', { type: 'button', class: 'chip all', 'data-status': '', onclick: () => { filter.status = ''; apply(); } },
      h('span', { class: 'n' }, tasks.length), h('span', { class: 'l' }, '全部任务')),
    statuses.map(([s, l]) => h('button', {
      type: 'button', class: 'chip', 'data-status': s, title: `只看${l}的任务(再点一次取消)`,
      onclick: () => { filter.status = filter.status === s ? '' : s; apply(); },
    }, h('span', { class: `n s-${s}`, 'data-count': s }, counts[s] || 0), h('span', { class: 'l' }, l))));

  const statusSelect = h('select', { id: 'filter-status', 'aria-label': '状态', onchange: (e) => { filter.status = e.target.value; apply(); } },
    h('option', { value: '' }, '全部状态'),
    statuses.map(([s, l]) => h('option', { value: s }, `${l}(${counts[s] || 0})`)));
  const leadSelect = h('select', { id: 'filter-lead', 'aria-label': '牵头单位', onchange: (e) => { filter.lead = e.target.value; apply(); } },
    h('option', { value: '' }, '全部牵头单位'),
    leads.map((u) => h('option', { value: u.id }, `${u.name}(${u.n})`)));
  const toolbar = h('div', { class: 'toolbar' },
    h('label', {}, '牵头单位 ', leadSelect),
    h('label', {}, '状态 ', statusSelect),
    h('button', { type: 'button', class: 'btn', onclick: () => { filter.status = ''; filter.lead = ''; apply(); } }, '清除筛选'),
    shown);

  const map = h('div', { class: 'map', id: 'battle-map' });
  for (const p of board.parts || []) {
    const body = h('div', { class: 'part-body' });
    let count = 0;
    for (const s of p.sections || []) {
      const sc = (s.tasks || []).map((t) => {
        count++;
        const c = cell(t, p.part, s.section, openTask);
        cells.push({ el: c, t });
        return c;
      });
      if (sc.length === 1 && sameTitle(s.section, s.tasks[0].title)) {
        body.appendChild(sc[0]);
      } else {
        body.appendChild(h('div', { class: 'section' }, h('div', { class: 'section-title', title: s.section }, s.section), h('div', { class: 'section-cells' }, sc)));
      }
    }
    // A part of a few tasks, one to a section, shares a row with its neighbour on a wide screen.
    const wide = count > 6 || (p.sections || []).some((s) => (s.tasks || []).length > 1);
    map.appendChild(h('section', { class: `part${wide ? ' wide' : ''}`, 'aria-label': p.part },
      h('div', { class: 'part-title' }, p.part, h('span', { class: 'count' }, `${count} 项任务`)), body));
  }
  mount(el, strip, toolbar, map);
  apply();
}

function cell(t, part, section, openTask) {
  const lead = (t.lead || []).map((u) => u.name).join('、');
  const title = `${t.id} ${t.title}\n${section}\n牵头:${lead}\n状态:${t.status_label || label(t.status)}${t.reason ? `\n${t.reason}` : ''}`;
  return h('button', {
    type: 'button', class: `cell s-${t.status}`, title,
    'data-task': t.id, 'data-status': t.status,
    onclick: (e) => {
      document.querySelectorAll('.cell.selected').forEach((c) => c.classList.remove('selected'));
      e.currentTarget.classList.add('selected');
      openTask(t, part, section);
    },
  },
  h('span', { class: 'top-line' }, h('span', { class: 'cell-id' }, t.id), h('span', { class: 'cell-status' }, t.status_label || label(t.status))),
  h('span', { class: 'cell-title' }, t.title),
  h('span', { class: 'cell-lead' }, lead));
}

// sameTitle reports whether a section of one task is named after that task, as (十七)提高政务云服务能力 is.
function sameTitle(section, title) {
  return section.replace(/^[((][^))]*[))]/, '').trim() === (title || '').trim();
}

// leadUnits lists the units that lead any task, those leading most first.
function leadUnits(tasks) {
  const by = new Map();
  for (const { t } of tasks) {
    for (const u of t.lead || []) {
      const e = by.get(u.id) || { id: u.id, name: u.name, n: 0 };
      e.n++;
      by.set(u.id, e);
    }
  }
  return [...by.values()].sort((a, b) => b.n - a.n || a.name.localeCompare(b.name, 'zh-CN'));
}
