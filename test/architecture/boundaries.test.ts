/**
 * The layers the architecture promises (runtime/README.md, "Layers"), checked on the source:
 * - the bundle's meaning (`compiler/bundle/`: schema, step walk, workflow index, windows, validators, template
 *   helpers) imports nothing of the project outside itself;
 * - the engine and the renderer import only that (and their few packages), and everyone else reaches them
 *   through their `index.ts`; the in-memory driver likewise;
 * - the PR tools (`compiler/`, but the CLI that starts the runtime) use the runtime only through those doors;
 * - no import cycle among run-time imports.
 */
import { describe, expect, it } from 'vitest';
import { cycles, importsOf, sourceFiles } from './imports.ts';

interface Layer {
  folder: string;
  /** The one file others import; null when any file of the folder may be imported. */
  door: string | null;
  /** Project folders (or files) the layer's own files may import, besides itself. */
  uses: string[];
  /** Packages its files may import. */
  packages: string[];
}

const LAYERS: Layer[] = [
  { folder: 'compiler/bundle/', door: null, uses: [], packages: ['zod', 'node:crypto', 'handlebars'] },
  { folder: 'runtime/engine/', door: 'runtime/engine/index.ts', uses: ['compiler/bundle/'], packages: ['rfdc'] },
  { folder: 'runtime/render/', door: 'runtime/render/index.ts', uses: ['compiler/bundle/'], packages: ['handlebars', 'zod', 'node:crypto'] },
  {
    folder: 'runtime/memory-driver/',
    door: 'runtime/memory-driver/index.ts',
    uses: ['compiler/bundle/', 'runtime/engine/index.ts', 'runtime/render/index.ts'],
    packages: [],
  },
];

/** The PR tools may reach the runtime only through these (the CLI also starts it: `herald start`, `herald dev`). */
const TOOL_DOORS = ['runtime/engine/index.ts', 'runtime/render/index.ts', 'runtime/memory-driver/index.ts'];

const isTest = (file: string) => file.endsWith('.test.ts');
const files = sourceFiles();
const edges = files.flatMap((file) => importsOf(file).map((imported) => ({ file, ...imported })));
const layerOf = (path: string) => LAYERS.find((l) => path.startsWith(l.folder));

describe('architecture: layers and doors', () => {
  it('finds the source and its imports (the check itself works)', () => {
    expect(files).toContain('runtime/engine/advance.ts');
    expect(edges).toContainEqual(expect.objectContaining({ file: 'runtime/engine/advance.ts', target: 'runtime/engine/turn.ts' }));
  });

  it('keeps each pure layer to what it may use', () => {
    const crossings = edges
      .filter((e) => !isTest(e.file))
      .flatMap((e) => {
        const layer = layerOf(e.file);
        if (!layer || e.target.startsWith(layer.folder)) return [];
        const isProjectFile = e.target.includes('/') && e.target.endsWith('.ts');
        const allowed = isProjectFile ? layer.uses.some((u) => e.target.startsWith(u)) : layer.packages.includes(e.target);
        return allowed ? [] : [`${e.file} → ${e.target}`];
      });
    expect(crossings).toEqual([]);
  });

  it('reaches the engine, the renderer and the in-memory driver through their index.ts only', () => {
    const crossings = edges.flatMap((e) => {
      const layer = layerOf(e.target);
      if (!layer?.door || e.target === layer.door || e.file.startsWith(layer.folder)) return [];
      return [`${e.file} → ${e.target}`];
    });
    expect(crossings).toEqual([]);
  });

  it('lets the PR tools use the runtime through those doors only', () => {
    const crossings = edges
      .filter((e) => e.file.startsWith('compiler/') && !e.file.startsWith('compiler/cli/') && e.target.startsWith('runtime/'))
      .filter((e) => !TOOL_DOORS.includes(e.target))
      .map((e) => `${e.file} → ${e.target}`);
    expect(crossings).toEqual([]);
  });

  it('has no import cycle among run-time imports', () => {
    const graph = new Map<string, string[]>();
    for (const e of edges) {
      if (e.typeOnly || e.dynamic || !e.target.endsWith('.ts')) continue;
      graph.set(e.file, [...(graph.get(e.file) ?? []), e.target]);
    }
    expect(cycles(graph)).toEqual([]);
  });

  it('keeps the build-time content packages (MJML, html-to-text) out of the runtime, even through other files', () => {
    const BUILD_ONLY = ['mjml', 'html-to-text'];
    const importsFrom = new Map<string, string[]>();
    for (const e of edges) importsFrom.set(e.file, [...(importsFrom.get(e.file) ?? []), e.target]);
    const reached = new Set<string>();
    const visit = (file: string) => {
      if (reached.has(file)) return;
      reached.add(file);
      for (const target of importsFrom.get(file) ?? []) visit(target);
    };
    for (const file of files) if (file.startsWith('runtime/') && !isTest(file)) visit(file);
    expect(importsFrom.get('compiler/templates/mjml.ts')).toContain('mjml');
    expect(BUILD_ONLY.filter((name) => reached.has(name))).toEqual([]);
  });
});
