// The advisor page: a form for the requirements, the ranked answer, charts and the ways to reproduce it.
// It uses the public REST API only, with URLs relative to the page (so it works under a path prefix or
// in the portal's frame). Its whole state lives in the query string: a link reproduces the answer.
// Text from the API is only ever set as textContent, never parsed as HTML.

/** Requirement names the form sends, in the order of the contract (CONTRACT.md "Requirements"). */
const REQUIREMENT_CONTROLS = [
  'performance', 'multicast', 'encryption', 'networkPolicy', 'securityGroupsForPods', 'flowLogs', 'portability', 'ipv6',
  'fargate', 'windows', 'region', 'podsPerNode', 'totalPods', 'podIpBudget', 'daemonSetsPerNode',
]
/** Requirements a link may carry that the form has no control for; passed through untouched. */
const CARRIED = ['podSubnets']
/** The cost chart's filters and price kind: sent with the chart (and its plan) as GET /v1/capacity-plans takes them. */
const PLAN_CONTROLS = ['capacityType', 'arch', 'category', 'generation', 'minVcpu', 'minMemoryMiB', 'burstable', 'bareMetal']
/** Settings of the page itself (the cost chart), not requirements. */
const PAGE_CONTROLS = ['podCpu', 'podMemoryMiB', 'costScope', ...PLAN_CONTROLS]
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/
const MAX_TYPES = 50
const CHART_TYPES = 12
const ENUM_FIELDS = new Set(['performance', 'multicast', 'encryption', 'networkPolicy', 'securityGroupsForPods', 'flowLogs', 'portability', 'ipv6'])

const $ = (id) => document.getElementById(id)
const form = $('advisor')
const picker = $('type-picker')
const chips = $('type-chips')
const defaultTypes = (chips.dataset.default || 'm5.large').split(',')

let chosenTypes = [...defaultTypes]
let carried = new URLSearchParams()
/** name → instance type summary, once GET /v1/instance-types has answered. */
let catalogTypes = null
let runSeq = 0

/** Builds an element: h('li', { class: 'x', 'aria-label': '…' }, 'text', child). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue
    if (k === 'class') el.className = v
    else if (k === 'text') el.textContent = v
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue
    el.append(c instanceof Node ? c : document.createTextNode(String(c)))
  }
  return el
}

const control = (name) => form.elements.namedItem(name)

function defaultOf(el) {
  if (el.type === 'checkbox') return el.defaultChecked ? 'true' : 'false'
  if (el.tagName === 'SELECT') return ([...el.options].find((o) => o.defaultSelected) || el.options[0]).value
  return el.defaultValue
}

function valueOf(el) {
  if (el.type === 'checkbox') return el.checked ? 'true' : 'false'
  return el.value.trim()
}

function setValue(el, v) {
  if (el.type === 'checkbox') el.checked = ['true', '1', 'yes', 'on'].includes(String(v).trim().toLowerCase())
  else if (el.tagName === 'SELECT') el.value = [...el.options].some((o) => o.value === v.trim().toLowerCase()) ? v.trim().toLowerCase() : defaultOf(el)
  else el.value = v
}

// ---- state <-> query string -------------------------------------------------------------------------

/** The page state as query parameters: values that differ from the defaults, and the instance types always. */
function paramsFromForm() {
  const p = new URLSearchParams()
  for (const name of REQUIREMENT_CONTROLS) {
    const el = control(name)
    const v = valueOf(el)
    if (name === 'region') p.set('instanceTypes', chosenTypes.join(','))
    if (v !== '' && v !== defaultOf(el)) p.set(name, v)
  }
  for (const [k, v] of carried) p.set(k, v)
  for (const name of PAGE_CONTROLS) {
    const el = control(name)
    const v = valueOf(el)
    if (v !== '' && v !== defaultOf(el)) p.set(name, v)
  }
  return p
}

function applyParams(search) {
  const p = new URLSearchParams(search)
  for (const name of [...REQUIREMENT_CONTROLS, ...PAGE_CONTROLS]) {
    const el = control(name)
    setValue(el, p.has(name) ? p.get(name) : defaultOf(el))
    el.removeAttribute('aria-invalid')
  }
  const types = (p.get('instanceTypes') || '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)
  chosenTypes = types.length ? [...new Set(types)].slice(0, MAX_TYPES) : [...defaultTypes]
  carried = new URLSearchParams()
  for (const k of CARRIED) if (p.has(k)) carried.set(k, p.get(k))
  renderChips()
  return [...p.keys()].some((k) => REQUIREMENT_CONTROLS.includes(k) || CARRIED.includes(k) || k === 'instanceTypes')
}

/** Only the requirements: the query GET /v1/recommendations takes. */
function requirementsOf(params) {
  const out = new URLSearchParams()
  for (const [k, v] of params) if (k === 'instanceTypes' || REQUIREMENT_CONTROLS.includes(k) || CARRIED.includes(k)) out.set(k, v)
  return out
}

// ---- instance-type picker ---------------------------------------------------------------------------

function renderChips() {
  chips.replaceChildren(
    ...chosenTypes.map((name, i) =>
      h('li', { class: 'chip' },
        h('span', { text: name }),
        h('button', { type: 'button', class: 'chip-remove', 'aria-label': `Remove ${name}`, 'data-index': i }, '×'),
      ),
    ),
  )
}

function say(id, text) {
  $(id).textContent = text
}

function addTypes(text) {
  const names = text.split(/[\s,]+/).map((s) => s.trim().toLowerCase()).filter(Boolean)
  const problems = []
  for (const name of names) {
    if (!INSTANCE_TYPE.test(name)) problems.push(`“${name}” is not an instance type name (like m5.large)`)
    else if (catalogTypes && !catalogTypes.has(name)) problems.push(`the catalog has no instance type “${name}”`)
    else if (chosenTypes.length >= MAX_TYPES) problems.push(`at most ${MAX_TYPES} instance types`)
    else if (!chosenTypes.includes(name)) chosenTypes.push(name)
  }
  say('type-msg', problems.join('; '))
  picker.setAttribute('aria-invalid', problems.length ? 'true' : 'false')
  if (!problems.length) picker.value = ''
  renderChips()
  return problems.length === 0
}

picker.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && picker.value.trim()) {
    e.preventDefault()
    addTypes(picker.value)
  }
})
$('type-add').addEventListener('click', () => {
  if (picker.value.trim()) addTypes(picker.value)
  picker.focus()
})
chips.addEventListener('click', (e) => {
  const button = e.target.closest('button.chip-remove')
  if (!button) return
  const i = Number(button.dataset.index)
  chosenTypes.splice(i, 1)
  if (chosenTypes.length === 0) chosenTypes = [...defaultTypes]
  renderChips()
  say('type-msg', '')
  // Keep the keyboard where it was: on the next remove button, or back in the picker.
  const next = chips.querySelectorAll('button.chip-remove')[Math.min(i, chosenTypes.length - 1)]
  ;(next || picker).focus()
})

async function getJson(url) {
  const res = await fetch(url, { headers: { accept: 'application/json' } })
  const body = await res.json().catch(() => null)
  return { ok: res.ok, status: res.status, body }
}

// The full type list is large (every type with its limits and prices): fetched only once someone
// reaches for the picker or the region field, not on every page view.
let pickLists = null
function loadPickLists() {
  pickLists = pickLists || fillPickLists()
  return pickLists
}

/** Every instance type, page by page (the JSON list comes in pages of at most 500; nextCursor is the next). */
async function allTypes() {
  const items = []
  let cursor = null
  for (let page = 0; page < 20; page++) {
    const res = await getJson(`v1/instance-types?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    if (!res.ok || !res.body || !Array.isArray(res.body.items)) return { ok: false, body: null }
    items.push(...res.body.items)
    cursor = res.body.nextCursor
    if (!cursor) break
  }
  return { ok: true, body: { items } }
}

async function fillPickLists() {
  try {
    const [types, catalog] = await Promise.all([allTypes(), getJson('v1/catalog')])
    if (types.ok && types.body && Array.isArray(types.body.items)) {
      catalogTypes = new Map(types.body.items.map((t) => [t.name, t]))
      $('type-options').replaceChildren(
        ...types.body.items.map((t) => {
          const bits = [t.vcpu != null ? `${t.vcpu} vCPU` : null, t.memoryMiB != null ? `${formatNumber(t.memoryMiB / 1024, 1)} GiB` : null,
            t.price ? `$${t.price.usdPerHour}/h` : null].filter(Boolean)
          return h('option', { value: t.name, label: `${t.name} · ${bits.join(', ')}` })
        }),
      )
    }
    if (catalog.ok && catalog.body && Array.isArray(catalog.body.regions)) {
      $('region-options').replaceChildren(...catalog.body.regions.map((r) => h('option', { value: r.region })))
    }
  } catch {
    // The picker still accepts typed names; the API names unknown ones in its answer.
  }
}

// ---- asking and showing -----------------------------------------------------------------------------

function formatNumber(n, decimals = 0) {
  return Number(n).toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals })
}

function setBusy(busy) {
  $('results').setAttribute('aria-busy', busy ? 'true' : 'false')
  form.querySelector('button[type=submit]').disabled = busy
}

function clearInvalid() {
  for (const el of form.querySelectorAll('[aria-invalid="true"]')) el.removeAttribute('aria-invalid')
}

function showError(body, status) {
  const message = body && typeof body.message === 'string' ? body.message : `The service answered HTTP ${status || 'nothing'}; try again.`
  const field = body && typeof body.field === 'string' ? body.field.split(/[.[]/)[0] : null
  const box = $('error')
  box.replaceChildren(h('strong', { text: 'The advisor could not answer: ' }), message)
  box.hidden = false
  $('answer').hidden = true
  say('status', 'The request was refused.')
  const el = field === 'instanceTypes' ? picker : field ? control(field) : null
  if (el && el.setAttribute) {
    el.setAttribute('aria-invalid', 'true')
    el.focus()
  }
}

/** On a phone the answer is below the form: bring it into view after a submit (not on page load). */
function revealResults() {
  const box = $('results').getBoundingClientRect()
  if (box.top > window.innerHeight * 0.5 || box.bottom < 0) $('results').scrollIntoView({ block: 'start' })
}

async function run(params, { reveal = false } = {}) {
  const seq = ++runSeq
  clearInvalid()
  $('error').hidden = true
  setBusy(true)
  say('status', 'Asking the advisor…')
  try {
    const req = requirementsOf(params)
    const res = await getJson(`v1/recommendations?${req}`)
    if (seq !== runSeq) return
    if (!res.ok || !res.body) return showError(res.body, res.status)
    render(res.body, params)
    if (reveal) revealResults()
  } catch {
    if (seq === runSeq) showError(null, 0)
  } finally {
    if (seq === runSeq) setBusy(false)
  }
}

const VERDICT_WORDS = { recommended: 'Recommended', suitable: 'Suitable', blocked: 'Blocked' }

function densityLine(d) {
  if (!d) return null
  if (d.supported === false || d.maxPodsPerNode == null) return `${d.mode} cannot run on ${d.instanceType}.`
  return `${d.instanceType} in ${d.mode} mode: ${formatNumber(d.maxPodsPerNode)} max pods per node, ` +
    `${formatNumber(d.podsForWorkloads)} for workloads` +
    (d.vpcIpsPerNode != null ? `, ${formatNumber(d.vpcIpsPerNode)} VPC ${d.vpcIpsPerNode === 1 ? 'IP' : 'IPs'} per node.` : '.')
}

/** The files to apply for an option (configuration: src/domain/configuration.ts), each with its values and why. */
function configurationOf(o) {
  const c = o.configuration
  if (!c) return null
  return h('details', { class: 'configuration' },
    h('summary', {}, 'Configuration to apply'),
    h('p', { text: c.summary }),
    h('p', { class: 'help', text: c.maxPodsReason }),
    c.steps.length ? h('ol', {}, c.steps.map((s) => h('li', { text: s }))) : null,
    c.artifacts.map((a) =>
      h('div', { class: 'artifact', 'data-artifact': a.id },
        h('h5', {}, a.title, ' ', h('code', { text: a.filename })),
        h('p', { class: 'help' }, 'Apply: ', h('code', { text: a.apply })),
        h('pre', { class: 'artifact-content', tabindex: '0', 'aria-label': `${a.filename}` }, h('code', { text: a.content })),
        h('details', {},
          h('summary', {}, 'Why each value'),
          h('div', { class: 'table-scroll' },
            h('table', { class: 'criteria' },
              h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Setting'), h('th', { scope: 'col' }, 'Value'), h('th', { scope: 'col' }, 'Why'))),
              h('tbody', {}, a.values.map((v) => h('tr', {}, h('th', { scope: 'row' }, h('code', { text: v.path })), h('td', {}, h('code', { text: v.value })), h('td', { text: v.reason }))))))),
      )),
  )
}

function optionItem(o) {
  const score = Math.max(0, Math.min(100, Number(o.score) || 0))
  const fill = h('span', { class: 'score-fill' })
  fill.style.width = `${score}%`
  // Options still in the running say why up front; blocked ones show their blockers, the rest on demand.
  const blocked = o.verdict === 'blocked'
  const details = h('details', {},
    h('summary', {}, blocked ? 'Why, in detail' : 'Criteria, caveats and sources'),
    blocked ? h('p', { text: o.explanation }) : null,
    o.caveats && o.caveats.length ? h('div', {}, h('h5', { text: 'Caveats' }), h('ul', {}, o.caveats.map((c) => h('li', { text: c })))) : null,
    o.criteria && o.criteria.length
      ? h('div', { class: 'table-scroll' },
          h('table', { class: 'criteria' },
            h('caption', { text: `How ${o.name} scores` }),
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Criterion'), h('th', { scope: 'col' }, 'Weight'), h('th', { scope: 'col' }, 'Score'), h('th', { scope: 'col' }, 'Reason'))),
            h('tbody', {}, o.criteria.map((c) =>
              h('tr', {}, h('th', { scope: 'row' }, c.criterion), h('td', {}, String(c.weight)), h('td', {}, formatNumber(c.score)), h('td', {}, c.reason)))),
          ))
      : null,
    o.references && o.references.length
      ? h('div', {}, h('h5', { text: 'Sources' }), h('ul', { class: 'refs' }, o.references.map((r) => h('li', {}, h('a', { href: r, rel: 'noopener noreferrer' }, r)))))
      : null,
  )
  return h('li', { class: `option verdict-${o.verdict}`, 'data-option-id': o.id },
    h('div', { class: 'option-head' },
      h('h4', {}, o.name),
      h('span', { class: `badge badge-${o.verdict}` }, VERDICT_WORDS[o.verdict] || o.verdict),
      h('code', { class: 'option-id' }, o.id),
    ),
    h('div', { class: 'score' },
      h('span', { class: 'score-text' }, `Score ${score} / 100`),
      h('span', { class: 'score-track', 'aria-hidden': 'true' }, fill),
    ),
    h('p', { class: 'density', text: densityLine(o.density) }),
    blocked ? null : h('p', { class: 'explanation', text: o.explanation }),
    configurationOf(o),
    o.blockers && o.blockers.length
      ? h('div', { class: 'blockers' }, h('h5', { text: 'Blocked because' }),
          h('ul', {}, o.blockers.map((b) => h('li', {}, h('strong', { text: `${b.criterion}: ` }), b.reason))))
      : null,
    details,
  )
}

function render(rec, params) {
  const top = rec.recommendation
  const title = $('answer-title')
  if (top) title.replaceChildren('Run ', h('span', { class: 'rec-name', text: top.name }), ' ', h('code', { id: 'recommendation-id', text: top.id }))
  else title.replaceChildren('No option meets every required need')
  say('answer-summary', rec.summary || '')
  const c = rec.catalog || {}
  say('answer-catalog', `Catalog version ${c.version}; ${c.region || ''} prices as of ${c.pricesAsOf ? String(c.pricesAsOf).slice(0, 10) : 'unknown'}${c.stale ? ' (stale)' : ''}.`)
  $('options').replaceChildren(...rec.options.map(optionItem))

  $('answer').hidden = false
  renderCharts(rec, params)
  renderShare(params)
  const blocked = rec.options.filter((o) => o.verdict === 'blocked').length
  say('status', top
    ? `Recommended: ${top.name}, score ${top.score} of 100. ${rec.options.length} options ranked, ${blocked} blocked.`
    : `No option meets every required need; ${rec.options.length} options shown with what blocks them.`)
}

async function explainBrokenImage(img, captionId) {
  try {
    const res = await getJson(img.getAttribute('src'))
    const why = res.body && res.body.message ? res.body.message : `HTTP ${res.status}`
    $(captionId).replaceChildren(h('span', { class: 'error-text', text: `The chart could not be drawn: ${why}` }))
  } catch {
    $(captionId).textContent = 'The chart could not be drawn.'
  }
}

/** Charts are drawn for the column they sit in, so their text keeps its size on a phone. */
function chartWidth() {
  const column = $('chart-pods').closest('figure').parentElement.clientWidth
  return Math.max(320, Math.min(960, Math.round(column || 720)))
}

function renderCharts(rec, params) {
  const types = chosenTypes.slice(0, CHART_TYPES)
  const ds = params.get('daemonSetsPerNode')
  const width = chartWidth()
  const pods = new URLSearchParams({ instanceTypes: types.join(',') })
  if (ds) pods.set('daemonSetsPerNode', ds)
  if (width !== 720) pods.set('width', String(width))
  const podsImg = $('chart-pods')
  podsImg.alt = `Bar chart: max pods per node in each networking mode for ${types.join(', ')}.`
  podsImg.onerror = () => explainBrokenImage(podsImg, 'chart-pods-caption')
  podsImg.width = width
  podsImg.src = `v1/charts/pods-per-node.svg?${pods}`
  $('chart-pods-caption').replaceChildren(
    'Pods per node by mode. The numbers, with formulas: ',
    ...types.flatMap((t, i) => [i ? ', ' : '', h('a', { href: `v1/instance-types/${encodeURIComponent(t)}/max-pods` }, t)]),
    types.length < chosenTypes.length ? ` (first ${CHART_TYPES} types)` : '',
    '. ', h('a', { href: podsImg.src }, 'Open the SVG'), '.',
  )

  const totalPods = params.get('totalPods')
  const costImg = $('chart-cost')
  $('chart-cost-figure').hidden = !totalPods
  $('chart-cost-missing').hidden = Boolean(totalPods)
  if (!totalPods) {
    costImg.removeAttribute('src')
    return
  }
  const best = rec.recommendation || rec.options[0]
  const mode = (best && best.density && best.density.mode) || 'secondary-ip'
  const plan = new URLSearchParams({ totalPods, podCpu: control('podCpu').value || '0.1', podMemoryMiB: control('podMemoryMiB').value || '128', mode })
  if (params.get('region')) plan.set('region', params.get('region'))
  if (ds) plan.set('daemonSetsPerNode', ds)
  // The density the question asks each node to reach: types that cannot reach it are not drawn.
  if (params.get('podsPerNode')) plan.set('podsPerNode', params.get('podsPerNode'))
  if (control('costScope').value === 'mine') plan.set('instanceTypes', chosenTypes.join(','))
  // The filters and the kind of price, as the form has them (empty: the API's default).
  for (const name of PLAN_CONTROLS) if (params.get(name)) plan.set(name, params.get(name))
  const kind = plan.get('capacityType') || 'on-demand'
  const csv = `v1/capacity-plans?${plan}&format=csv`
  if (width !== 720) plan.set('width', String(width))
  costImg.alt = `Bar chart: dollars per pod-month at ${kind} prices for ${totalPods} pods in ${mode} mode on ` +
    (plan.has('instanceTypes') ? chosenTypes.join(', ') : 'the 10 cheapest instance types') + '.'
  costImg.onerror = () => explainBrokenImage(costImg, 'chart-cost-caption')
  costImg.width = width
  costImg.src = `v1/charts/cost-per-pod.svg?${plan}`
  $('chart-cost-caption').replaceChildren(
    `Cost per pod-month in ${mode} mode (${best && best.name ? `the mode of ${best.name}` : 'the default mode'}), ${kind} prices` +
      (filtersText(plan) ? `, ${filtersText(plan)}` : '') + '. ',
    h('a', { href: csv }, 'The whole capacity plan as CSV'), ' or ',
    h('a', { href: csv.replace(/format=csv$/, 'format=xlsx'), download: true }, 'as a workbook (.xlsx)'), '. ',
    h('a', { href: costImg.src }, 'Open the SVG'), '.',
  )
}

/** "arch=arm64, category=m" for the caption: the filters the chart was asked with. */
function filtersText(plan) {
  return PLAN_CONTROLS.filter((k) => k !== 'capacityType' && plan.has(k)).map((k) => `${k}=${plan.get(k)}`).join(', ')
}

const gqlValue = (name, v) => {
  if (name === 'instanceTypes' || name === 'podSubnets') return `[${v.split(',').filter(Boolean).map((s) => JSON.stringify(s.trim())).join(', ')}]`
  if (ENUM_FIELDS.has(name)) return v.toUpperCase().replace(/-/g, '_')
  if (name === 'region') return JSON.stringify(v)
  return v
}

function renderShare(params) {
  const req = requirementsOf(params)
  $('share-link').value = location.href
  const table = (format) => new URL(`v1/recommendations?${req}${req.toString() ? '&' : ''}format=${format}`, location.href).href
  const csv = table('csv')
  $('share-csv').value = csv
  // A formula and an M query that fetch the same CSV; the quotes inside are doubled as each language wants.
  $('share-importdata').value = `=IMPORTDATA("${csv.replace(/"/g, '""')}")`
  $('share-powerquery').value = [
    'let',
    `    Source = Csv.Document(Web.Contents("${csv.replace(/"/g, '""')}"), [Delimiter = ",", Encoding = 65001, QuoteStyle = QuoteStyle.Csv]),`,
    '    Answer = Table.PromoteHeaders(Source, [PromoteAllScalars = true])',
    'in',
    '    Answer',
  ].join('\n')
  $('share-xlsx').href = table('xlsx')
  const args = [...req].map(([k, v]) => `${k}: ${gqlValue(k, v)}`).join(', ')
  $('share-graphql').value = [
    '{',
    `  recommend(requirements: { ${args} }) {`,
    '    satisfiable',
    '    summary',
    '    recommendation { id name score }',
    '    options { id score verdict blockers { criterion reason } }',
    '  }',
    '}',
  ].join('\n')
}

for (const button of document.querySelectorAll('button[data-copy]')) {
  button.addEventListener('click', async () => {
    const el = $(button.dataset.copy)
    try {
      await navigator.clipboard.writeText(el.value)
      say('copy-msg', 'Copied.')
    } catch {
      el.focus()
      el.select()
      say('copy-msg', 'Selected: press Ctrl+C (⌘C) to copy.')
    }
  })
}

// ---- wiring -----------------------------------------------------------------------------------------

form.addEventListener('submit', (e) => {
  e.preventDefault()
  if (picker.value.trim() && !addTypes(picker.value)) {
    picker.focus()
    return
  }
  const params = paramsFromForm()
  const qs = params.toString()
  if (location.search.replace(/^\?/, '') !== qs) history.pushState(null, '', `?${qs}`)
  run(params, { reveal: true })
})

$('reset').addEventListener('click', () => {
  history.pushState(null, '', location.pathname)
  applyParams('')
  showIdle()
  say('type-msg', '')
  picker.value = ''
})

function showIdle() {
  runSeq++
  $('answer').hidden = true
  $('error').hidden = true
  setBusy(false)
  say('status', 'Fill in what you know and press “Get the answer”.')
}

window.addEventListener('popstate', () => {
  if (applyParams(location.search)) run(paramsFromForm())
  else showIdle()
})

for (const el of [picker, control('region')]) {
  el.addEventListener('focus', loadPickLists, { once: true })
  el.addEventListener('input', loadPickLists, { once: true })
}

if (applyParams(location.search)) run(paramsFromForm())
