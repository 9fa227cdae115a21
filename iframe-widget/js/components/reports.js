// The supervisor's reports (O2): a kind, a period and a grouping; the server's numbers drawn as a
// chart (uPlot, vendored) and listed in a table, and the same report downloaded as CSV. Periods
// are counted in the browser's time zone, which the server is told.

import uPlot from '../../vendor/uplot/uPlot.esm.js';
import { h, mount, field, select } from '../dom.js';
import { panel, run } from '../panel.js';
import { t } from '../i18n.js';
import { duration, isoDay, knownZone, midnight, timeZones, zonedMidnight } from '../clock.js';
import * as op from '../operations.js';

const KINDS = ['CHATS', 'FIRST_RESPONSE', 'HANDLE_TIME', 'CSAT', 'STATUS_TIME', 'WRAP_UP'];
const GROUPS = ['DAY', 'WEEK', 'HOUR', 'OPERATOR', 'QUEUE', 'TOPIC'];

/** Each kind's CSV at `GET /reports/{name}.csv`. */
const CSV_NAMES = {
  CHATS: 'chats',
  FIRST_RESPONSE: 'first-response',
  HANDLE_TIME: 'handle-time',
  CSAT: 'csat',
  STATUS_TIME: 'status-time',
  WRAP_UP: 'wrap-up',
};

/** Kinds whose figures are durations in seconds. */
const DURATIONS = new Set(['FIRST_RESPONSE', 'HANDLE_TIME', 'STATUS_TIME']);

/** Series colours, distinguishable on white and for the common colour blindnesses. */
const COLOURS = ['#1f5fbf', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#7f7f7f', '#000000'];

/** Steps of the value axis: whole counts; durations in round seconds, minutes and hours. */
const COUNT_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];
const DURATION_STEPS = [1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800];

/** Bars of series `k` of `n`, side by side within each group's slot (80 % of it). */
function sideBySide(k, n) {
  const width = 0.8 / n;
  return uPlot.paths.bars({
    disp: {
      x0: { unit: 1, values: (u) => u.data[0].map((x) => x - 0.4 + k * width) },
      size: { unit: 1, values: () => [width] },
    },
  });
}

/** Seconds as the clock shows them (`2:03`, `1:02:03`), or a dash. */
const seconds = (value) => (value == null ? '–' : duration(value * 1000));

/** A report's figure as shown: a duration, or a number with at most two decimals. */
const figureText = (kind, value) => (DURATIONS.has(kind) ? seconds(value) : value == null ? '–' : String(Math.round(value * 100) / 100));

/**
 * What a report draws: one series per figure, each `{ label, values }` over the report's rows.
 * Time in status is stacked, so its values are the running sums, tallest drawn first, and
 * `own` keeps each status's own seconds for the legend.
 */
function seriesOf(report) {
  const rows = report.rows;
  const figure = (name) => ({ label: t(`reports.figure.${name}`), values: rows.map((r) => r[name]) });
  switch (report.kind) {
    case 'FIRST_RESPONSE':
    case 'HANDLE_TIME':
      return [figure('average'), figure('p50'), figure('p90')];
    case 'CSAT':
      return [figure('average')];
    case 'STATUS_TIME': {
      const statuses = [...new Set(rows.flatMap((r) => r.statuses.map((s) => s.status)))];
      const own = statuses.map((status) => rows.map((r) => r.statuses.find((s) => s.status === status)?.seconds ?? 0));
      const stacked = own.map((_, i) => rows.map((_, row) => own.slice(i).reduce((sum, values) => sum + values[row], 0)));
      return statuses.map((status, i) => ({ label: t(`status.${status}`), values: stacked[i], own: own[i] }));
    }
    default:
      return [figure('count')];
  }
}

class ReportsView extends HTMLElement {
  connectedCallback() {
    const today = isoDay(new Date());
    const weekAgo = isoDay(midnight(today, -6));
    this.zone = h('input', {
      type: 'text',
      name: 'timeZone',
      list: 'report-zones',
      autocomplete: 'off',
      value: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
      onchange: () => this.show(),
    });
    this.kind = select({ name: 'kind', onchange: () => this.#kindChanged() }, KINDS.map((k) => ({ value: k, label: t(`reports.kind.${k}`) })), 'CHATS');
    this.group = select({ name: 'groupBy' }, GROUPS.map((g) => ({ value: g, label: t(`reports.group.${g}`) })), 'DAY');
    this.from = h('input', { type: 'date', name: 'from', value: weekAgo, required: true });
    this.to = h('input', { type: 'date', name: 'to', value: today, required: true });
    this.result = h('div', { class: 'report-result', 'aria-live': 'polite' });
    mount(
      this,
      h('h2', {}, t('reports.title')),
      h(
        'form',
        { class: 'report-form', onsubmit: (e) => (e.preventDefault(), this.show()) },
        field(t('reports.kind'), this.kind),
        field(t('reports.groupBy'), this.group),
        field(t('reports.from'), this.from),
        field(t('reports.to'), this.to),
        field(t('reports.timeZone'), this.zone),
        h('datalist', { id: 'report-zones' }, timeZones().map((zone) => h('option', { value: zone }))),
        h('button', { type: 'submit' }, t('reports.show')),
        h('button', { type: 'button', class: 'csv', onclick: () => this.download() }, t('reports.csv')),
      ),
      this.result,
    );
    this.show();
  }

  disconnectedCallback() {
    this.chart?.destroy();
    this.chart = null;
  }

  /** The report's arguments as the form has them. */
  input() {
    const kind = this.kind.value;
    return {
      kind,
      // Time in status is per operator; wrap-up counts reasons and results, whatever the group.
      groupBy: kind === 'STATUS_TIME' ? 'OPERATOR' : this.group.value,
      from: zonedMidnight(this.from.value, this.#zone()).toISOString(),
      to: zonedMidnight(this.to.value, this.#zone(), 1).toISOString(),
      timeZone: this.#zone(),
    };
  }

  /** The zone days and hours are counted in, as typed; null (and the field says why) when the
   * browser does not know it. */
  #zone() {
    const zone = this.zone.value.trim() || 'UTC';
    const known = knownZone(zone);
    this.zone.setCustomValidity(known ? '' : t('reports.unknownZone'));
    return known ? zone : null;
  }

  #kindChanged() {
    const kind = this.kind.value;
    this.group.disabled = kind === 'STATUS_TIME' || kind === 'WRAP_UP';
    if (kind === 'STATUS_TIME') this.group.value = 'OPERATOR';
    this.show();
  }

  async show() {
    if (!this.from.value || !this.to.value) return;
    if (!this.#zone()) {
      this.zone.reportValidity();
      return;
    }
    const data = await run(() => panel.api.request(op.REPORT, { input: this.input() }));
    if (data) this.render(data.report);
  }

  async download() {
    if (!this.#zone()) {
      this.zone.reportValidity();
      return;
    }
    const input = this.input();
    const { kind, ...query } = input;
    const name = CSV_NAMES[kind];
    const blob = await run(() => panel.api.download(`/reports/${name}.csv?${new URLSearchParams(query)}`));
    if (!blob) return;
    const url = URL.createObjectURL(blob);
    const link = h('a', { href: url, download: `${name}-${this.from.value}-${this.to.value}.csv`, hidden: true });
    this.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  render(report) {
    this.report = report;
    this.chart?.destroy();
    this.chart = null;
    const chart = h('div', { class: 'report-chart', role: 'img', 'aria-label': t(`reports.kind.${report.kind}`) });
    mount(this.result, report.rows.length ? chart : h('p', { class: 'empty' }, t('reports.empty')), this.#table(report));
    if (report.rows.length) this.chart = this.#draw(report, chart);
  }

  #draw(report, container) {
    const labels = report.rows.map((r) => r.label);
    const series = seriesOf(report);
    const format = (value) => figureText(report.kind, value);
    // Time in status stacks its statuses in one bar; other figures stand side by side.
    const stacked = report.kind === 'STATUS_TIME';
    const pad = Math.max(0, (4 - labels.length) / 2);
    return new uPlot(
      {
        width: Math.max(280, container.clientWidth || this.clientWidth - 24),
        height: 240,
        scales: {
          // At least four slots wide, so one group's bars are not as wide as the chart.
          x: { time: false, range: [-0.5 - pad, labels.length - 0.5 + pad] },
          y: { range: (u, min, max) => [0, report.kind === 'CSAT' ? 5 : Math.max(max * 1.1, 1)] },
        },
        axes: [
          { incrs: [1, 2, 3, 4, 6, 12, 24, 48], values: (u, splits) => splits.map((i) => labels[i] ?? '') },
          { incrs: DURATIONS.has(report.kind) ? DURATION_STEPS : COUNT_STEPS, values: (u, splits) => splits.map(format), size: 60 },
        ],
        series: [
          { label: t(`reports.group.${report.kind === 'WRAP_UP' ? 'WRAP_UP' : report.groupBy}`), value: (u, i) => labels[i] ?? '' },
          ...series.map((s, i) => ({
            label: s.label,
            stroke: COLOURS[i % COLOURS.length],
            fill: COLOURS[i % COLOURS.length],
            paths: stacked ? sideBySide(0, 1) : sideBySide(i, series.length),
            points: { show: false },
            value: (u, value, si, row) => format(s.own && row != null ? s.own[row] : value),
          })),
        ],
      },
      [labels.map((_, i) => i), ...series.map((s) => s.values)],
      container,
    );
  }

  #table(report) {
    const kind = report.kind;
    const statuses = kind === 'STATUS_TIME' ? [...new Set([report.total, ...report.rows].flatMap((r) => r.statuses.map((s) => s.status)))] : [];
    const columns = {
      CHATS: ['count'],
      WRAP_UP: ['count'],
      CSAT: ['count', 'average', 'distribution'],
      FIRST_RESPONSE: ['count', 'average', 'p50', 'p90'],
      HANDLE_TIME: ['count', 'average', 'p50', 'p90'],
      STATUS_TIME: [],
    }[kind];
    const cells = (row) => [
      ...columns.map((c) =>
        h('td', { dataset: { figure: c } }, c === 'count' ? row.count : c === 'distribution' ? row.distribution.join(' · ') : figureText(kind, row[c])),
      ),
      ...statuses.map((s) => h('td', { dataset: { figure: s } }, seconds(row.statuses.find((x) => x.status === s)?.seconds ?? 0))),
    ];
    const heads = [...columns.map((c) => t(`reports.figure.${c}`)), ...statuses.map((s) => t(`status.${s}`))];
    return h(
      'table',
      { class: 'report-table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t(`reports.group.${kind === 'WRAP_UP' ? 'WRAP_UP' : report.groupBy}`)), heads.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, report.rows.map((row) => h('tr', { dataset: { key: row.key } }, h('th', { scope: 'row' }, row.label), cells(row)))),
      h('tfoot', {}, h('tr', { dataset: { key: 'total' } }, h('th', { scope: 'row' }, t('reports.total')), cells(report.total))),
    );
  }
}

customElements.define('op-reports', ReportsView);
