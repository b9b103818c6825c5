// HF side of the Unicode sweep: for every code point c ≥ U+0080 (no surrogates), the words
// that HF's BertNormalizer + BertPreTokenizer (MedCPT tokenizer.json) make of "a" c "b".
// usage: node unicode_sweep.js TOKENIZER_JSON > hf_sweep.txt   (lines: hex-cp TAB json-list)
const t = require('@anush008/tokenizers');
const tok = t.Tokenizer.fromFile(process.argv[2]);
const norm = tok.getNormalizer(), pre = tok.getPreTokenizer();
const out = [];
for (let c = 0x80; c <= 0x10FFFF; ++c) {
  if (c >= 0xD800 && c <= 0xDFFF) continue;
  const n = norm.normalizeString('a' + String.fromCodePoint(c) + 'b');
  out.push(c.toString(16) + '\t' + JSON.stringify(pre.preTokenizeString(n).map((x) => x[0])));
}
process.stdout.write(out.join('\n') + '\n');
