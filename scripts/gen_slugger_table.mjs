// Regenerates builders/slugger_table.py from the real github-slugger package.
// Usage: npm install github-slugger@2.0.0 && node scripts/gen_slugger_table.mjs > builders/slugger_table.py
import { regex } from 'github-slugger/regex.js'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const version = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('github-slugger/package.json'))).version
const removed = []
let start = -1
for (let cp = 0; cp <= 0x10FFFF; cp++) {
  const isSurrogate = cp >= 0xD800 && cp <= 0xDFFF
  const s = String.fromCodePoint(cp)
  regex.lastIndex = 0
  const hit = isSurrogate || s.replace(regex, '') !== s
  if (hit && start < 0) start = cp
  if (!hit && start >= 0) { removed.push([start, cp - 1]); start = -1 }
}
if (start >= 0) removed.push([start, 0x10FFFF])
const lines = ['"""Code points github-slugger removes from a heading (generated; do not edit).', '',
  `Generated from github-slugger ${version} (regex.js) by scripts/gen_slugger_table.mjs.`, '"""', '',
  'REMOVED_RANGES: tuple[tuple[int, int], ...] = (']
for (let i = 0; i < removed.length; i += 6) {
  lines.push('    ' + removed.slice(i, i + 6).map(([a, b]) => `(0x${a.toString(16).toUpperCase()}, 0x${b.toString(16).toUpperCase()})`).join(', ') + ',')
}
lines.push(')')
console.log(lines.join('\n'))
