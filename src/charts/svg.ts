// Horizontal bar charts as SVG text: data in, a string out. Pure (no I/O, no clock, no locale), so the
// same data always gives byte-identical SVG — cacheable, diffable and safe to test by string.
// Horizontal bars because the categories are instance-type names: they stay readable at any count,
// and the chart still works scaled down to a phone's width.
// Text is escaped once, at the point it is written into markup; nothing the caller passes is trusted.

export interface BarGroup {
  /** Category label, e.g. an instance type. */
  label: string
  /** One value per series (same order as `series`); null = no bar (e.g. a mode the type cannot run). */
  values: ReadonlyArray<number | null>
  /** Extra words after the group's last value label, e.g. "10 nodes, ips-bound". */
  note?: string
}

export interface ValueFormat {
  decimals: number
  prefix?: string
  suffix?: string
}

export interface BarChartSpec {
  title: string
  /**
   * Lines drawn under the title in smaller, muted text: what a reader of the picture alone (a PNG in
   * Slack, a printout) must see to trust it, such as the kind of price and its source and date.
   */
  subtitle?: readonly string[]
  /** One or two sentences for screen readers and tooltips: what is plotted and where the numbers come from. */
  description: string
  categoryAxisLabel: string
  valueAxisLabel: string
  /** Series names; more than one draws grouped bars and a legend. */
  series: readonly string[]
  groups: readonly BarGroup[]
  value: ValueFormat
  /** Shown instead of a bar for a null value. */
  missingLabel?: string
  /** Shown when there are no groups at all. */
  emptyMessage?: string
  /** Pixel width of the drawing (the height follows from the data). */
  width?: number
  /** Prefix of the ids of <title> and <desc> (distinct when several charts are inlined in one page). */
  idPrefix?: string
}

/**
 * Colours of the series, in legend order. Each has at least 4.5:1 contrast on white, so bars, swatches
 * and the value text drawn in them stay visible for low vision; neighbours differ in lightness as well
 * as hue for colour-vision deficiencies.
 */
export const SERIES_COLOURS = ['#0b5cad', '#b33c00', '#06704f', '#6d3fc0', '#8a5a00', '#b0195f', '#3f4a5a'] as const

const TEXT = '#1b1f24'
const MUTED = '#4d5560'
const GRID = '#d0d5dc'
const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif'
/** Rough advance of one character at 12 px in the fonts above; there are no font metrics server-side. */
const CHAR_12 = 6.8

// XML 1.0 forbids most C0 controls, lone surrogates and U+FFFE/U+FFFF even as references: drop them.
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** Text safe inside an element or a double- or single-quoted attribute. */
export function escapeXml(text: string): string {
  return text
    .replace(NOT_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

/** Fixed decimals and thousands separators, the same on every machine (no toLocaleString). */
export function formatNumber(n: number, decimals: number): string {
  const fixed = Math.abs(n).toFixed(decimals)
  const [whole = '0', frac] = fixed.split('.')
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  const sign = n < 0 && Number(fixed) !== 0 ? '-' : ''
  return sign + grouped + (frac !== undefined ? `.${frac}` : '')
}

export function formatValue(n: number, f: ValueFormat): string {
  return `${f.prefix ?? ''}${formatNumber(n, f.decimals)}${f.suffix ?? ''}`
}

/** Round axis ticks from 0 to at least `max`: steps of 1, 2 or 5 × 10^k, about `count` of them. */
export function niceTicks(max: number, count = 5): number[] {
  if (!Number.isFinite(max) || max <= 0) return [0, 1]
  const rough = max / Math.max(1, count)
  const power = 10 ** Math.floor(Math.log10(rough))
  const unit = rough / power
  const step = (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power
  const ticks: number[] = []
  // Multiply instead of adding steps so 0.1-sized steps do not drift (0.30000000000000004).
  for (let i = 0; ; i++) {
    const v = Number((i * step).toPrecision(12))
    ticks.push(v)
    if (v >= max) break
  }
  return ticks
}

/** Coordinates with at most one decimal, so the output does not depend on float noise. */
const px = (n: number): string => String(Math.round(n * 10) / 10)

const textWidth = (s: string, size = 12): number => s.length * CHAR_12 * (size / 12)

function clip(s: string, max: number): string {
  const chars = [...s]
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : s
}

/** Greedy word wrap by character count (no font metrics); at most `maxLines`, the last one clipped. */
export function wrapText(text: string, maxChars: number, maxLines = 3): string[] {
  const limit = Math.max(8, Math.floor(maxChars))
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word
    if ([...next].length <= limit || !line) line = next
    else {
      lines.push(line)
      line = word
    }
  }
  if (line) lines.push(line)
  if (lines.length > maxLines) {
    const kept = lines.slice(0, maxLines)
    kept[maxLines - 1] = clip(`${kept[maxLines - 1]} ${lines.slice(maxLines).join(' ')}`, limit)
    return kept.map((l) => clip(l, limit))
  }
  return lines.map((l) => clip(l, limit))
}

function tickDecimals(ticks: number[]): number {
  const step = ticks.length > 1 ? (ticks[1] as number) - (ticks[0] as number) : 1
  return step >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log10(step)))
}

/** A horizontal (grouped) bar chart with title, description, legend, axis labels and a value on every bar. */
export function barChartSvg(spec: BarChartSpec): string {
  const width = Math.max(320, Math.round(spec.width ?? 720))
  const id = (spec.idPrefix ?? 'chart').replace(/[^A-Za-z0-9_-]/g, '') || 'chart'
  const missing = spec.missingLabel ?? 'n/a'
  const series = spec.series.length > 0 ? spec.series : ['value']
  const multi = series.length > 1
  const pad = 16
  const out: string[] = []

  const groups = spec.groups.map((g) => ({
    label: clip(g.label, 40),
    note: g.note ? clip(g.note, 60) : '',
    values: series.map((_, i) => {
      const v = g.values[i]
      return typeof v === 'number' && Number.isFinite(v) ? Math.max(0, v) : null
    }),
  }))
  const valueText = (v: number | null) => (v === null ? missing : formatValue(v, spec.value))

  // Title: wrapped to the width, so a narrow (phone-sized) chart keeps all of it.
  let y = pad - 2
  const body: string[] = []
  // 16 px bold runs wider than 16/12 of CHAR_12: DejaVu Sans Bold (what the PNG renderer draws with on
  // Debian) is about 0.62 em a character, so lines are cut for it; browser fonts then have room to spare.
  for (const line of wrapText(spec.title, (width - 2 * pad) / (CHAR_12 * 1.45))) {
    y += 20
    body.push(`<text x="${pad}" y="${px(y)}" font-size="16" font-weight="700" fill="${TEXT}">${escapeXml(line)}</text>`)
  }
  // Subtitle: each line wrapped on its own (at most two rows), 11 px like the notes.
  for (const text of spec.subtitle ?? []) {
    for (const line of wrapText(text, (width - 2 * pad) / (CHAR_12 * 0.85), 2)) {
      y += 15
      body.push(`<text class="subtitle" x="${pad}" y="${px(y)}" font-size="11" fill="${MUTED}">${escapeXml(line)}</text>`)
    }
  }

  // Legend: one swatch per series, wrapping onto new rows.
  if (multi) {
    y += 14
    let x = pad
    let rowY = y
    series.forEach((name, i) => {
      const label = clip(name, 40)
      const w = 12 + 6 + textWidth(label) + 18
      if (x + w > width - pad && x > pad) {
        x = pad
        rowY += 20
      }
      const colour = SERIES_COLOURS[i % SERIES_COLOURS.length]
      body.push(
        `<g class="legend-item"><rect x="${px(x)}" y="${px(rowY)}" width="12" height="12" fill="${colour}"/>` +
          `<text x="${px(x + 18)}" y="${px(rowY + 10)}" font-size="12" fill="${TEXT}">${escapeXml(label)}</text></g>`,
      )
      x += w
    })
    y = rowY + 12
  }

  if (groups.length === 0) {
    // Wrapped to the width like the title: the message says why there are no bars, and must be read whole.
    y += 14
    for (const line of wrapText(spec.emptyMessage ?? 'No data to show.', (width - 2 * pad) / (CHAR_12 * (13 / 12)), 4)) {
      y += 18
      body.push(`<text x="${pad}" y="${px(y)}" font-size="13" fill="${MUTED}">${escapeXml(line)}</text>`)
    }
    y += pad
    out.push(header(width, y, id, spec), ...body, '</svg>')
    return out.join('\n')
  }

  // Columns: labels | bars | value labels (+ notes).
  const labelWidth = Math.min(260, Math.max(64, ...groups.map((g) => textWidth(g.label)), textWidth(spec.categoryAxisLabel, 11)) + 12)
  const valueColumn = (withNotes: boolean) =>
    Math.max(
      40,
      ...groups.flatMap((g) =>
        g.values.map((v, i) => textWidth(valueText(v)) + (withNotes && i === g.values.length - 1 && g.note ? textWidth(`  ${g.note}`, 11) : 0)),
      ),
    ) + 10
  const x0 = pad + labelWidth
  // Notes go after the value while the bars keep at least 40 % of the room; otherwise on a line of
  // their own under the group's bars (a narrow chart).
  const room = width - pad - x0
  const notesInline = room - valueColumn(true) >= 0.4 * room
  const x1 = Math.max(x0 + 60, width - pad - valueColumn(notesInline))
  const max = Math.max(0, ...groups.flatMap((g) => g.values.filter((v): v is number => v !== null)))
  const ticks = niceTicks(max)
  const top = ticks[ticks.length - 1] as number
  const scale = (v: number) => x0 + ((x1 - x0) * v) / top
  const barH = multi ? 14 : 20
  const barGap = multi ? 2 : 0
  const groupGap = multi ? 14 : 8

  y += 26
  body.push(`<text x="${pad}" y="${px(y)}" font-size="11" font-weight="700" fill="${MUTED}">${escapeXml(clip(spec.categoryAxisLabel, 40))}</text>`)
  y += 8
  const plotTop = y
  const bars: string[] = []
  for (const g of groups) {
    const groupH = series.length * barH + (series.length - 1) * barGap
    bars.push(`<g class="group">`)
    bars.push(
      `<text x="${px(x0 - 8)}" y="${px(y + groupH / 2 + 4)}" font-size="12" text-anchor="end" fill="${TEXT}">${escapeXml(g.label)}</text>`,
    )
    g.values.forEach((v, i) => {
      const by = y + i * (barH + barGap)
      const colour = SERIES_COLOURS[i % SERIES_COLOURS.length]
      const name = series[i] as string
      const tip = escapeXml(multi ? `${g.label}, ${name}: ${valueText(v)}` : `${g.label}: ${valueText(v)}`)
      const isLast = i === g.values.length - 1
      const note = notesInline && isLast && g.note ? `<tspan dx="8" fill="${MUTED}" font-size="11">${escapeXml(g.note)}</tspan>` : ''
      if (v === null) {
        bars.push(
          `<text x="${px(x0 + 4)}" y="${px(by + barH / 2 + 4)}" font-size="11" font-style="italic" fill="${MUTED}"><title>${tip}</title>${escapeXml(missing)}${note}</text>`,
        )
        return
      }
      const w = scale(v) - x0
      bars.push(
        `<rect class="bar" x="${px(x0)}" y="${px(by)}" width="${px(w)}" height="${barH}" fill="${colour}"><title>${tip}</title></rect>`,
      )
      bars.push(
        `<text x="${px(x0 + w + 4)}" y="${px(by + barH / 2 + 4)}" font-size="12" fill="${TEXT}">${escapeXml(valueText(v))}${note}</text>`,
      )
    })
    let noteH = 0
    if (!notesInline && g.note) {
      noteH = 14
      bars.push(`<text x="${px(x0 + 4)}" y="${px(y + groupH + 11)}" font-size="11" fill="${MUTED}">${escapeXml(clip(g.note, Math.floor((width - pad - x0) / (CHAR_12 * 0.92))))}</text>`)
    }
    bars.push('</g>')
    y += groupH + noteH + groupGap
  }
  const plotBottom = y - groupGap + 6

  // Grid and value axis under the bars (drawn first so the bars sit on top).
  const decimals = tickDecimals(ticks)
  const axis: string[] = [`<g class="value-axis" font-size="11" fill="${MUTED}">`]
  for (const t of ticks) {
    const x = scale(t)
    axis.push(`<line x1="${px(x)}" y1="${px(plotTop - 4)}" x2="${px(x)}" y2="${px(plotBottom)}" stroke="${GRID}" stroke-width="1"/>`)
    axis.push(`<text x="${px(x)}" y="${px(plotBottom + 14)}" text-anchor="middle">${escapeXml(formatValue(t, { ...spec.value, decimals }))}</text>`)
  }
  axis.push(`<line x1="${px(x0)}" y1="${px(plotTop - 4)}" x2="${px(x0)}" y2="${px(plotBottom)}" stroke="${MUTED}" stroke-width="1"/>`)
  axis.push('</g>')
  // The value axis label under the ticks: centred on the bars when it fits there, else on the drawing, wrapped.
  const fitsPlot = textWidth(spec.valueAxisLabel) <= x1 - x0
  const centre = fitsPlot ? (x0 + x1) / 2 : width / 2
  const axisLabel: string[] = []
  y = plotBottom + 18
  for (const line of wrapText(spec.valueAxisLabel, (width - 2 * pad) / CHAR_12, 2)) {
    y += 16
    axisLabel.push(`<text x="${px(centre)}" y="${px(y)}" font-size="12" font-weight="700" text-anchor="middle" fill="${TEXT}">${escapeXml(line)}</text>`)
  }
  y += pad

  out.push(header(width, y, id, spec), ...body, ...axis, ...bars, ...axisLabel, '</svg>')
  return out.join('\n')
}

function header(width: number, height: number, id: string, spec: BarChartSpec): string {
  const h = Math.ceil(height)
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h}" viewBox="0 0 ${width} ${h}" role="img" aria-labelledby="${id}-title ${id}-desc" font-family="${FONT}">`,
    `<title id="${id}-title">${escapeXml(spec.title)}</title>`,
    `<desc id="${id}-desc">${escapeXml(spec.description)}</desc>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
  ].join('\n')
}
