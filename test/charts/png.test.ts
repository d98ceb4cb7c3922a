import t from 'tap'
import { MAX_PNG_PIXELS, PNG_SCALE, pngZoom, svgSize, svgToPng } from '../../src/charts/png.js'
import { barChartSvg, SERIES_COLOURS, type BarChartSpec } from '../../src/charts/svg.js'
import { decodePng, PNG_MAGIC } from '../fakes/png-reader.js'

const hex = (rgb: [number, number, number]) => `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`

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

t.test('a chart becomes a PNG twice its SVG size, with its bars in their colours', async (t) => {
  const svg = barChartSvg(spec({ width: 600 }))
  const size = svgSize(svg)
  t.equal(size.width, 600)
  const png = await svgToPng(svg)
  t.ok(png.subarray(0, 8).equals(PNG_MAGIC), 'PNG signature')
  const img = decodePng(png)
  t.equal(img.width, 600 * PNG_SCALE)
  t.equal(img.height, Math.ceil(size.height) * PNG_SCALE)
  const colours = new Set<string>()
  for (let y = 0; y < img.height; y += 3) for (let x = 0; x < img.width; x += 3) colours.add(hex(img.pixel(x, y)))
  t.ok(colours.has('#ffffff'), 'white background')
  t.ok(colours.has(SERIES_COLOURS[0]), 'the first series is drawn in its colour')
  t.ok(colours.has(SERIES_COLOURS[1]), 'the second series too')
})

t.test('labels are drawn: a font is found (the PNG differs when only the text differs)', async (t) => {
  const a = await svgToPng(barChartSvg(spec({ title: 'Pods per node' })))
  const b = await svgToPng(barChartSvg(spec({ title: 'Pods per nodf' })))
  t.notOk(a.equals(b), 'one changed letter in the title changes the picture')
})

t.test('the pixel count is bounded: a big chart is drawn at a lower scale', async (t) => {
  t.equal(pngZoom({ width: 720, height: 400 }), PNG_SCALE)
  const big = { width: 1600, height: 3000 }
  const zoom = pngZoom(big)
  t.ok(zoom < PNG_SCALE)
  t.ok(big.width * zoom * big.height * zoom <= MAX_PNG_PIXELS, `${zoom} keeps ${big.width}×${big.height} within ${MAX_PNG_PIXELS} pixels`)
  const groups = Array.from({ length: 40 }, (_, i) => ({ label: `type${i}.large`, values: [i + 1, i + 2, i + 3, i + 4, i + 5, i + 6, i + 7] }))
  const svg = barChartSvg(spec({ width: 1600, series: ['a', 'b', 'c', 'd', 'e', 'f', 'g'], groups }))
  const img = decodePng(await svgToPng(svg))
  t.ok(img.width * img.height <= MAX_PNG_PIXELS, `${img.width}×${img.height}`)
})

t.test('an SVG without a size is refused', async (t) => {
  t.throws(() => svgSize('<svg xmlns="http://www.w3.org/2000/svg"></svg>'), /no width and height/)
})
