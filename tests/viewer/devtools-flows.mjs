// devtools-flows.mjs TRACE.json - load a pto trace into the trace engine of
// Chrome DevTools' Performance panel (npm @paulirish/trace_engine) and check
// that it draws every dependency arrow between two task slices, producer
// ending before consumer starts.  Run by tests/viewer/devtools.sh.
import fs from 'node:fs';
import {analyzeTrace} from '@paulirish/trace_engine/analyze-trace.mjs';

const file = process.argv[2];
const want = JSON.parse(fs.readFileSync(file, 'utf8')).otherData.flows;
const {parsedTrace} = await analyzeTrace(file);
const flows = parsedTrace.data.Flows.flows;
let bad = 0;
for (const f of flows) {
	const [p, c] = f;
	if (f.length !== 2 || p.ph !== 'X' || c.ph !== 'X' || p.cat !== 'task' || c.cat !== 'task' ||
	    p.ts + p.dur > c.ts) {
		console.log('bad arrow:', f.map(e => `${e.name}[${e.ph}] ${e.pid}/${e.tid} ${e.ts}+${e.dur}`).join(' -> '));
		bad++;
	}
}
let lanes = 0;
for (const [, proc] of parsedTrace.data.Renderer.processes)
	lanes += proc.threads.size;
console.log(`${file}: DevTools found ${flows.length} arrows (otherData.flows ${want}), ${bad} bad, ` +
	    `${lanes} lanes with slices`);
process.exit(flows.length === want && want > 0 && bad === 0 ? 0 : 1);
