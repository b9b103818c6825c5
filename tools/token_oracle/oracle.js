// Token oracle for golden fixtures: Hugging Face `tokenizers` (Rust, via the npm package
// @anush008/tokenizers) run on a tokenizer.json with truncation and padding turned off.
// usage: node oracle.js TOKENIZER_JSON < texts.jsonl > ids.txt
//   input: one JSON string per line (so texts may hold any character);
//   output: per input line, the ids with [CLS]/[SEP], space-separated.
// With --bench: reads plain text lines instead and prints only the rates: encode() of every
// line, one at a time (as `cgdmer tokenize` does), then one encodeBatch() of all lines.
const t = require('@anush008/tokenizers');
const fs = require('fs');

(async () => {
  const args = process.argv.slice(2);
  const bench = args.includes('--bench');
  const path = args.filter((a) => a !== '--bench')[0];
  const tok = t.Tokenizer.fromFile(path);
  tok.disableTruncation();
  tok.disablePadding();
  let lines = fs.readFileSync(0, 'utf8').split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (bench) {
    const t0 = process.hrtime.bigint();
    let n_ids = 0;
    for (const s of lines) n_ids += (await tok.encode(s)).getIds().length;
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(`hf-tokenizers (Rust via node, sequential encode): ${lines.length} texts, ${n_ids} ids in ` +
                `${s.toFixed(3)} s = ${(lines.length / s).toFixed(0)} texts/s`);
    // encodeBatch: one call, parallel over all cores inside the Rust library (rayon).
    const t1 = process.hrtime.bigint();
    const encs = await tok.encodeBatch(lines);
    const s1 = Number(process.hrtime.bigint() - t1) / 1e9;
    let n_ids1 = 0;
    for (const e of encs) n_ids1 += e.getIds().length;
    console.log(`hf-tokenizers (Rust via node, encodeBatch, all cores): ${lines.length} texts, ${n_ids1} ids in ` +
                `${s1.toFixed(3)} s = ${(lines.length / s1).toFixed(0)} texts/s`);
    return;
  }
  const out = [];
  for (const line of lines) {
    const e = await tok.encode(JSON.parse(line));
    out.push(e.getIds().join(' '));
  }
  process.stdout.write(out.join('\n') + '\n');
})().catch((e) => { console.error(e); process.exit(1); });
