import t from 'tap'
import { barChartSvg, escapeXml, formatNumber, niceTicks, SERIES_COLOURS, wrapText, type BarChartSpec } from '../../src/charts/svg.js'

const spec = (over: Partial<BarChartSpec> = {}): BarChartSpec => ({
  title: 'Pods per node',
  description: 'Max pods per node in each mode.',
  categoryAxisLabel: 'Instance type',
  valueAxisLabel: 'pods per node',
  series: ['secondary-ip', 'prefix-delegation'],
  groups: [
    { label: 'm5.large', values: [29, 110] },
    { label: 't2.micro', values: [4, null] },
  ],
  value: { decimals: 0 },
  ...over,
})

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length

t.test('escapeXml: markup, quotes and characters XML cannot hold', async (t) => {
  t.equal(escapeXml(`<script>alert("x")</script> & 'y'`), '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;')
  t.equal(escapeXml('a\u0000b\u0007c\u001Fd\uFFFEe'), 'abcde', 'C0 controls and U+FFFE are dropped')
  t.equal(escapeXml('tab\tnewline\n'), 'tab\tnewline\n', 'tab and newline are allowed in XML')
  t.equal(escapeXml('lone \uD800 surrogate, pair \uD83D\uDE00'), 'lone  surrogate, pair \uD83D\uDE00')
  t.equal(escapeXml('&amp;'), '&amp;amp;', 'escaping is not skipped for text that looks escaped')
})

t.test('formatNumber and niceTicks do not depend on the locale or float noise', async (t) => {
  t.equal(formatNumber(1234567.891, 2), '1,234,567.89')
  t.equal(formatNumber(0.1 + 0.2, 2), '0.30')
  t.equal(formatNumber(-0.001, 2), '0.00', 'no negative zero')
  t.equal(formatNumber(-1500, 0), '-1,500')
  t.same(niceTicks(110), [0, 50, 100, 150])
  t.same(niceTicks(29), [0, 10, 20, 30])
  t.same(niceTicks(0.3), [0, 0.1, 0.2, 0.3])
  t.same(niceTicks(250), [0, 50, 100, 150, 200, 250])
  t.same(niceTicks(0), [0, 1], 'an all-zero chart still has an axis')
  t.same(niceTicks(Number.NaN), [0, 1])
})

t.test('a grouped bar chart: accessible, one bar per value, labels on every bar', async (t) => {
  const svg = barChartSvg(spec())
  t.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="720" height="\d+" viewBox="0 0 720 \d+" role="img" aria-labelledby="chart-title chart-desc"/)
  t.match(svg, '<title id="chart-title">Pods per node</title>')
  t.match(svg, '<desc id="chart-desc">Max pods per node in each mode.</desc>')
  t.ok(svg.endsWith('</svg>'))
  t.equal(count(svg, /<rect class="bar"/g), 3, 'three numbers, three bars; the null draws none')
  t.match(svg, />n\/a<\/text>/, 'the missing value is said, not silently dropped')
  t.match(svg, '<title>m5.large, prefix-delegation: 110</title>', 'each bar has a tooltip naming group, series and value')
  t.match(svg, '>Instance type</text>', 'category axis label')
  t.match(svg, '>pods per node</text>', 'value axis label')
  t.equal(count(svg, /class="legend-item"/g), 2, 'a legend entry per series')
  t.match(svg, `fill="${SERIES_COLOURS[1]}"`, 'the second series has its own colour')
  // The widest bar (110) reaches the top tick (150) × plot width; the axis starts at 0.
  const widths = [...svg.matchAll(/<rect class="bar"[^>]* width="([\d.]+)"/g)].map((m) => Number(m[1]))
  t.ok(widths[1]! > widths[0]! && widths[0]! > widths[2]!, 'bar lengths follow the values')
  t.ok(Math.abs(widths[1]! / widths[0]! - 110 / 29) < 0.01, 'bars are proportional to the values')
})

t.test('deterministic: the same data gives the same bytes', async (t) => {
  t.equal(barChartSvg(spec()), barChartSvg(spec()))
  t.not(barChartSvg(spec()), barChartSvg(spec({ groups: [{ label: 'm5.large', values: [29, 111] }] })))
})

t.test('every piece of caller text is escaped', async (t) => {
  const evil = `<script>alert(1)</script>"'&`
  const svg = barChartSvg(
    spec({
      title: evil,
      description: evil,
      categoryAxisLabel: evil,
      valueAxisLabel: evil,
      series: [evil, 'b'],
      groups: [{ label: evil, values: [1, 2], note: evil }],
      value: { decimals: 1, prefix: '<$', suffix: '"/>' },
      idPrefix: `x" onload="alert(1)`,
    }),
  )
  t.notMatch(svg, /<script/i)
  t.notMatch(svg, /onload=/)
  t.notMatch(svg, /<\$/, 'value prefixes are escaped too')
  t.match(svg, '&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;')
  // Every tag that opens is a known SVG element: nothing injected.
  const tags = new Set([...svg.matchAll(/<([a-zA-Z]+)/g)].map((m) => m[1]))
  t.same([...tags].sort(), ['desc', 'g', 'line', 'rect', 'svg', 'text', 'title', 'tspan'])
})

t.test('single series: no legend, notes after the value, money format', async (t) => {
  const svg = barChartSvg(
    spec({
      series: ['$ per pod-month'],
      groups: [
        { label: 'm5.large', values: [2.6], note: '10 nodes' },
        { label: 'c6i.large', values: [12345.5], note: '1 node' },
      ],
      value: { decimals: 2, prefix: '$' },
    }),
  )
  t.notMatch(svg, /legend-item/)
  t.match(svg, />\$2\.60<tspan dx="8"[^>]*>10 nodes<\/tspan><\/text>/, 'a gap that survives whitespace collapsing (resvg drops leading spaces)')
  t.match(svg, '$12,345.50')
  t.match(svg, />\$0<\/text>/, 'axis ticks in the same unit, whole numbers when the step is')
})

t.test('no data: a readable chart that says so', async (t) => {
  const svg = barChartSvg(spec({ groups: [], emptyMessage: 'No prices in xx-east-1.' }))
  t.match(svg, 'No prices in xx-east-1.')
  t.notMatch(svg, /class="bar"/)
  t.match(svg, /<title id="chart-title">/)
})

t.test('long labels are clipped, narrow widths are floored, negatives and NaN draw nothing odd', async (t) => {
  const svg = barChartSvg(
    spec({
      width: 100,
      series: ['v'],
      groups: [
        { label: 'x'.repeat(100), values: [-5] },
        { label: 'nan', values: [Number.NaN] },
      ],
    }),
  )
  t.match(svg, /width="320"/, 'never narrower than 320')
  t.match(svg, `${'x'.repeat(39)}…`)
  t.notMatch(svg, /NaN|-\d/, 'no NaN and no negative coordinates or values')
  t.equal(count(svg, /<rect class="bar"/g), 1, 'a negative value is drawn as 0; NaN as missing')
})

t.test('wrapText: whole words, a line limit, the rest clipped', async (t) => {
  t.same(wrapText('$ per pod-month: 3,000 pods of 0.25 vCPU', 20), ['$ per pod-month:', '3,000 pods of 0.25', 'vCPU'])
  t.same(wrapText('short', 20), ['short'])
  t.same(wrapText('a-very-long-unbroken-word-here', 10), ['a-very-lo…'])
  t.same(wrapText('one two three four five six', 8, 2), ['one two', 'three f…'])
  t.same(wrapText('', 10), [])
})

t.test('narrow charts (a phone): the title wraps, notes move under the bars, nothing leaves the drawing', async (t) => {
  const narrow = spec({
    width: 340,
    title: '$ per pod-month: 3,000 pods of 0.1 vCPU / 128 MiB, overlay, us-east-1',
    valueAxisLabel: 'max pods per node (kubelet --max-pods: address limit after the EKS cap)',
    series: ['$ per pod-month'],
    groups: [
      { label: 't4g.medium', values: [1.54], note: '188 nodes, 16 pods/node (memory)' },
      { label: 'm5.large', values: [2.6], note: '10 nodes, 27 pods/node (ips)' },
    ],
    value: { decimals: 2, prefix: '$' },
  })
  const svg = barChartSvg(narrow)
  t.ok(count(svg, /font-size="16"/g) >= 2, 'the title takes two lines or more')
  t.match(svg, />188 nodes, 16 pods\/node \(memory\)<\/text>/, 'the note is a line of its own')
  t.notMatch(svg, /<tspan/, 'not squeezed after the value')
  t.ok(count(svg, /font-weight="700" text-anchor="middle"/g) >= 2, 'the long axis label wraps')
  for (const m of svg.matchAll(/<(?:rect class="bar"|line) x1?="([\d.]+)"[^>]*?(?:width|x2)="([\d.]+)"/g)) {
    const end = m[0].includes('width=') ? Number(m[1]) + Number(m[2]) : Number(m[2])
    t.ok(end <= 340, `drawn inside the width (${end})`)
  }
  // The same data on a wide chart keeps the notes beside the values.
  t.match(barChartSvg({ ...narrow, width: 720 }), /<tspan dx="8" fill="#4d5560" font-size="11">188 nodes/)
})
