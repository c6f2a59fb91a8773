// Module factories in parentheses: V8 then compiles each with its chunk (and Node's compile cache
// keeps it), instead of pre-parsing it on load and parsing it again when it is first called.
import fs from 'node:fs';
import path from 'node:path';
import { bundles, moduleFactories, wrapModuleFactories } from '../../scripts/bundle.js';

const CHUNK =
  'export const id=7;export const ids=[7];export const modules={11:(e,t,r)=>{t.x=1},12:function(e){e.y=(()=>2)()},13:((e)=>{})};const other={14:(e)=>{}};';

describe('wrapModuleFactories', () => {
  it('wraps each bare factory of the chunk, only those, once', () => {
    const out = wrapModuleFactories(CHUNK);
    expect(out).toBe(
      'export const id=7;export const ids=[7];export const modules={11:((e,t,r)=>{t.x=1}),12:(function(e){e.y=(()=>2)()}),13:((e)=>{})};const other={14:(e)=>{}};',
    );
    expect(wrapModuleFactories(out)).toBe(out);
  });

  it('leaves the chunk working as before', async () => {
    const load = async (code: string) =>
      (
        (await import(`data:text/javascript,${encodeURIComponent(code)}`)) as {
          modules: Record<string, (e: object, t: Record<string, unknown>) => void>;
        }
      ).modules;
    const [before, after] = await Promise.all([load(CHUNK), load(wrapModuleFactories(CHUNK))]);
    for (const id of ['11', '12']) {
      const a: Record<string, unknown> = {};
      const b: Record<string, unknown> = {};
      before[id]!(a, a);
      after[id]!(b, b);
      expect(b).toEqual(a);
    }
  });
});

describe('the committed bundles', () => {
  const chunks = bundles().flatMap(({ dist }) =>
    fs.existsSync(dist)
      ? fs
          .readdirSync(dist)
          .filter((f) => f.endsWith('.js') && f !== 'index.js')
          .map((f) => path.join(dist, f))
      : [],
  );

  it('have lazily loaded chunks, every factory in them wrapped', () => {
    expect(chunks.length).toBeGreaterThan(20);
    const bare = chunks.flatMap((file) => {
      const code = fs.readFileSync(file, 'utf8');
      return moduleFactories(code)
        .filter(({ start, end }) => !(code[start - 1] === '(' && code[end] === ')'))
        .map(({ start }) => `${path.relative(process.cwd(), file)}@${start}`);
    });
    expect(bare).toEqual([]);
  });
});
