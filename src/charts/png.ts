// Charts as PNG, for Slack: its image blocks take PNG, JPEG or GIF, never SVG. The PNG is drawn from the
// very SVG the page shows (svg.ts), by resvg (@resvg/resvg-js, a maintained Rust SVG renderer whose
// prebuilt binary comes as an npm optional dependency), off the event loop (renderAsync runs in libuv's
// thread pool), so a render never holds up other requests.
//
// Text needs a font file on the machine: resvg has no font of its own. It takes the system's fonts
// (DejaVu Sans on Debian: the package fonts-dejavu-core, which the Dockerfile installs); the SVG's
// generic `sans-serif` maps to it. Without any font the bars still draw but the labels do not.
import { renderAsync } from '@resvg/resvg-js'

export const PNG_TYPE = 'image/png'

/** Screens with 2 device pixels per CSS pixel (Slack's desktop and phone clients on most displays) get sharp text. */
export const PNG_SCALE = 2

/**
 * The most pixels one PNG may have: 4 megapixels is 16 MiB of RGBA while drawing. A chart's SVG size is
 * already bounded by its query (width ≤ 1600, at most 12 × 7 or 40 bars); a big one is drawn at a lower
 * scale (down to 1×, then smaller) rather than refused.
 */
export const MAX_PNG_PIXELS = 4_000_000

const SANS = 'DejaVu Sans'

/** The SVG's own pixel size, from the width and height attributes svg.ts writes on the root element. */
export function svgSize(svg: string): { width: number; height: number } {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? ''
  const width = Number(/\swidth="(\d+(?:\.\d+)?)"/.exec(root)?.[1])
  const height = Number(/\sheight="(\d+(?:\.\d+)?)"/.exec(root)?.[1])
  if (!(width > 0) || !(height > 0)) throw new Error('chart SVG has no width and height on its root element')
  return { width, height }
}

/** The zoom to draw at: PNG_SCALE, lowered so that the picture stays within MAX_PNG_PIXELS. */
export function pngZoom(size: { width: number; height: number }): number {
  const fit = Math.sqrt(MAX_PNG_PIXELS / (size.width * size.height))
  return Math.min(PNG_SCALE, Math.floor(fit * 100) / 100)
}

/** The PNG of a chart SVG, at pngZoom's scale on a white background. */
export async function svgToPng(svg: string): Promise<Buffer> {
  const zoom = pngZoom(svgSize(svg))
  const image = await renderAsync(svg, {
    fitTo: { mode: 'zoom', value: zoom },
    background: '#ffffff',
    font: { loadSystemFonts: true, defaultFontFamily: SANS, sansSerifFamily: SANS },
    logLevel: 'off',
  })
  return image.asPng()
}
