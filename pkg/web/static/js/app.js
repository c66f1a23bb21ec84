// The dashboard's entry: token, as-of date, the views and the detail panel.
import { h, mount } from './dom.js';
import { get, getAsOf, setAsOf, setToken, takeTokenFromURL, token, download, APIError } from './api.js';
import { renderBoard } from './board.js';
import { renderTimeline, timelineFromBoard } from './timeline.js';
import { renderRanking, renderScorecard } from './ranking.js';
import { renderAlerts } from './alerts.js';
import { renderUpload } from './upload.js';
import { openTask, openIndicator, openMilestone, openPanel, closeDetail, backDetail, refreshDetail } from './detail.js';
import { disposeCharts } from './chart.js';

const $ = (id) => document.getElementById(id);
const view = $('view');
const picker = $('as-of');
const VIEWS = ['board', 'timeline', 'ranking', 'alerts', 'upload'];
let me = null;
let lastBoard = null;
let serial = 0;

// ctx is what views use to open details.
// With push, the panel opens over the one showing, and 返回 goes back to it.
const ctx = {
  openTaskById(id, push) {
    const t = findTask(id);
    openTask(t ? t.t : { id }, t && t.part, t && t.section, push);
  },
  openIndicator: (id, push) => openIndicator(id, !!push),
  openMilestone: (id, push) => openMilestone(id, !!push),
};

function findTask(id) {
  for (const p of (lastBoard && lastBoard.parts) || []) {
    for (const s of p.sections || []) {
      for (const t of s.tasks || []) if (t.id === id) return { t, part: p.part, section: s.section };
    }
  }
  return null;
}

function currentView() {
  const m = location.hash.match(/^#\/(\w+)/);
  return m && VIEWS.includes(m[1]) ? m[1] : 'board';
}

// render draws the current view as of the chosen date; a newer render wins over a slower older one.
async function render() {
  const name = currentView();
  const n = ++serial;
  for (const a of document.querySelectorAll('.tabs a')) a.classList.toggle('active', a.dataset.view === name);
  view.dataset.loaded = '';
  if (name !== 'alerts' && name !== 'upload') {
    disposeCharts();
  }
  if (!view.firstChild || view.dataset.view !== name) mount(view, h('p', { class: 'loading' }, '正在读取…'));
  view.dataset.view = name;
  try {
    const el = h('div', {});
    switch (name) {
      case 'board': {
        const board = await get('/board');
        if (n !== serial) return;
        lastBoard = board;
        showBoardHeader(board);
        renderBoard(el, board, openTask);
        break;
      }
      case 'timeline': {
        let tl;
        try {
          tl = await get('/timeline');
        } catch (e) {
          if (!(e instanceof APIError) || e.status !== 404) throw e;
          tl = timelineFromBoard(await get('/board'));
        }
        if (n !== serial) return;
        if (tl.as_of) syncPicker(tl.as_of);
        renderTimeline(el, tl, ctx);
        break;
      }
      case 'ranking': {
        const page = await get('/rankings', { limit: 1000 });
        if (n !== serial) return;
        renderRanking(el, page, openUnit);
        break;
      }
      case 'alerts':
        await renderAlerts(el, ctx);
        break;
      case 'upload':
        await renderUpload(el, me);
        break;
      default:
    }
    if (n !== serial) return;
    mount(view, el);
    view.dataset.loaded = name;
    view.dataset.asOf = picker.value;
  } catch (e) {
    if (n !== serial) return;
    mount(view, h('p', { class: 'error' }, `读取失败:${e.message}`));
    view.dataset.loaded = 'error';
  }
}

function openUnit(id, name) {
  openPanel(`单位成绩单 ${name || id}`, (el) => renderScorecard(el, id, ctx), false);
}

function showBoardHeader(board) {
  if (board.plan && board.plan.title) {
    $('plan-title').textContent = board.plan.title;
    document.title = `督办 · ${board.plan.title}`;
  }
  syncPicker(board.as_of);
}

function syncPicker(asOf) {
  if (asOf && !getAsOf()) picker.value = asOf;
  else if (getAsOf()) picker.value = getAsOf();
}

// changeAsOf replays the plan as of another day, keeps the date in the address, and redraws.
function changeAsOf(d) {
  setAsOf(d);
  const u = new URL(location.href);
  if (d) u.searchParams.set('as_of', d);
  else u.searchParams.delete('as_of');
  history.replaceState(null, '', u);
  render();
  refreshDetail();
}

function addDays(iso, n) {
  const [y, m, d] = iso.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1, d + n));
  return t.toISOString().slice(0, 10);
}

function showLogin(msg) {
  $('login').hidden = false;
  view.hidden = true;
  $('login-error').textContent = msg || '';
  $('login-token').focus();
}

async function start() {
  try {
    me = await get('/me');
  } catch (e) {
    showLogin(token() ? `令牌无效或已撤销:${e.message}` : '');
    return;
  }
  $('login').hidden = true;
  view.hidden = false;
  const roles = { admin: '管理员', supervisor: '督查室', reporter: '填报员', viewer: '只读' };
  const role = roles[me.role] || me.role || '';
  $('whoami').textContent = [me.name, me.name === role ? '' : role, me.unit && me.unit.name].filter(Boolean).join(' · ');
  get('/plan').then((p) => {
    if (p.start) picker.min = p.start;
    if (p.title) $('plan-title').textContent = p.title;
  }).catch(() => {});
  render();
}

function wire() {
  takeTokenFromURL();
  const q = new URLSearchParams(location.search).get('as_of');
  if (q && /^\d{4}-\d{2}-\d{2}$/.test(q)) {
    setAsOf(q);
    picker.value = q;
  }
  window.addEventListener('hashchange', () => {
    if (takeTokenFromURL()) {
      start();
      return;
    }
    if (view.dataset.view !== currentView()) closeDetail();
    render();
  });
  window.addEventListener('duban:unauthorized', () => showLogin('令牌无效或已撤销,请重新输入。'));
  picker.addEventListener('change', () => {
    if (/^\d{4}-\d{2}-\d{2}$/.test(picker.value)) changeAsOf(picker.value);
  });
  $('as-of-prev').addEventListener('click', () => picker.value && changeAsOf(picker.value = addDays(picker.value, -1)));
  $('as-of-next').addEventListener('click', () => picker.value && changeAsOf(picker.value = addDays(picker.value, 1)));
  $('as-of-today').addEventListener('click', () => changeAsOf(''));
  $('briefing').addEventListener('click', () => {
    const d = picker.value;
    download('/reports/briefing.xlsx', { as_of: d }, `督查通报-${d || '最新'}.xlsx`).catch((e) => window.alert(`导出失败:${e.message}`));
  });
  $('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    setToken($('login-token').value.trim());
    $('login-token').value = '';
    start();
  });
  $('drawer-close').addEventListener('click', closeDetail);
  $('drawer-back').addEventListener('click', backDetail);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') closeDetail();
  });
  if (!location.hash) history.replaceState(null, '', `${location.pathname}${location.search}#/board`);
  start();
}

wire();
