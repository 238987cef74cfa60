// Regenerates tests/data/github-slugger-vectors.json with the real github-slugger (npm).
// Usage: npm install github-slugger@2.0.0 mdast-util-from-markdown mdast-util-to-string && node scripts/gen_slugger_vectors.mjs > tests/data/github-slugger-vectors.json
import GithubSlugger from 'github-slugger'
import { fromMarkdown } from 'mdast-util-from-markdown'
import { toString } from 'mdast-util-to-string'
// Plain-text vectors: github-slugger's own fixture inputs (test/fixtures.json), in order,
// through one slugger, plus inputs that matter for this guide.
const plain = [
  'alpha', 'alpha', 'bravoCharlieDelta', '__proto__', '__proto__', 'hasOwnProperty',
  'echo', 'echo', 'echo 1', 'echo-1', 'echo', 'foxtrot-1', 'foxtrot', 'foxtrot',
  'heading with a - dash', 'heading with an _ underscore', 'heading with a period.txt',
  'exchange.bind_headers(exchange, routing [, bindCallback])', ' ', ' a', 'a ', ' a ', '-a-',
  'apostrophe’s should be trimmed', 'golf', 'golf', 'golf', 'I ♥ unicode', 'dash-dash',
  'en–dash', 'em–dash', '😄 unicode emoji', '😄-😄 unicode emoji', '😄_😄 unicode emoji',
  '😄 - an emoji', ':smile: - a gemoji', 'Привет', 'Профили пользователей',
  'Привет non-latin 你好', ':ok: No underscore', ':ok_hand: Single',
  ':ok_hand::hatched_chick: Two in a row with no spaces', ':ok_hand: :hatched_chick: Two in a row',
  'Why do we divide by √dₖ in scaled dot-product attention?',
  'What happens if we remove the scaling factor √dₖ?',
  'Why does attention have O(n²) complexity?', 'Why can’t self-attention alone capture word order?',
  'What’s the difference between sinusoidal and learned positional embeddings?',
  'Why does translation use encoder—decoder?', 'Why does translation use encoder–decoder?',
  '1. Input & Embedding Layer (Token + Positional Encoding)', '6. Residual Connections + Layer Normalization',
  'Basic questions', 'Basic questions', 'Basic questions', 'Intermediate questions',
  'Half ½ and superscript x² and subscript x₁ and ⁿ', 'Roman numeral Ⅻ and ǅ titlecase',
  'Café, naïve & résumé', 'Tab\there', 'Quotes “double” and ‘single’', 'C++ / C# / F#',
  '100% of 3.14 ≈ π', 'Ünïcödé ÅÄÖ', 'ΣΑΣ final sigma', 'İstanbul', 'emoji 👩‍💻 zwj', 'ﬁ ligature',
  'arrow → and ← and ⇒', 'under_score and dash-es', 'What is `softmax`?', 'GPT-2 vs. GPT-3 vs. T5'
]
const s = new GithubSlugger()
const plainOut = plain.map(input => ({ input, expected: s.slug(input) }))
// Markdown headings: the heading's text as remark/mdast sees it, then github-slugger.
const docs = [
  ['# What is `softmax` in attention?', '## **Bold** and *emphasis* and ~~strike~~', '## A [link text](https://example.com) here',
   '## Image ![alt text](x.png) inside', '## Escaped \\* star and \\_ underscore', '## Entity &amp; and &copy; and &#x20;space',
   '## Code `a_b` and `x-y` and `<tag>`', '## Repeated', '## Repeated', '## Repeated', '## Repeated-1',
   '## Trailing hashes ##', '##    Leading spaces', '## Mixed **`code in bold`** [**bold link**](#x)',
   '## Autolink <https://example.com/a-b>', '## Hard\\', '## Curly ’quote’ and — em dash',
   '## Why LayerNorm, not BatchNorm?', '## What is RMSNorm (and why drop the mean)?']
]
const mdOut = docs.map(lines => {
  const sl = new GithubSlugger()
  const tree = fromMarkdown(lines.join('\n\n'))
  const heads = tree.children.filter(n => n.type === 'heading')
  return { markdown: lines, expected: heads.map(h => sl.slug(toString(h))) , text: heads.map(h => toString(h))}
})
console.log(JSON.stringify({ generator: 'github-slugger 2.0.0 (npm) + mdast-util-from-markdown/mdast-util-to-string', plain: plainOut, markdown: mdOut }, null, 1))
