// Parses a YAML file into a Document that keeps source positions, so that every later
// problem (interpolation, schema) can be reported with file, line, column and key path.
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, isPair, isScalar, type Document, type Node } from 'yaml';
import { SpecError, type SpecIssue } from '../errors.ts';

export interface YamlSource {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
  /** The file's text, for quoting a value as the user typed it. */
  text: string;
}

export function readYamlSource(file: string, text?: string): YamlSource {
  let content: string;
  try {
    content = text ?? readFileSync(file, 'utf8');
  } catch (err) {
    throw new SpecError([{ file, message: `cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(content, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    throw new SpecError(
      problems.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return { file, line: pos.line, column: pos.col, message: `YAML syntax: ${e.message.split('\n')[0]}` };
      }),
    );
  }
  return { file, doc, lines, text: content };
}

/** Where a key path points in the source: the value's node, or the key itself when asked. */
export function issueAt(source: YamlSource, path: readonly PropertyKey[], message: string, atKey = false): SpecIssue {
  const key = formatKeyPath(path);
  const node = findNode(source.doc.contents as Node | null, path, atKey);
  const offset = node?.range?.[0];
  if (offset === undefined) return { file: source.file, key: key || undefined, message };
  const pos = source.lines.linePos(offset);
  return { file: source.file, line: pos.line, column: pos.col, key: key || undefined, message };
}

/** A node's text exactly as typed in the file (quotes included), or undefined without a range. */
export function typedText(source: YamlSource, node: Node | null | undefined): string | undefined {
  const range = node?.range;
  return range ? source.text.slice(range[0], range[1]).trim() : undefined;
}

/** The node a key path points at (the deepest one the document has on that path). */
export function nodeAt(source: YamlSource, path: readonly PropertyKey[]): Node | null {
  return findNode(source.doc.contents as Node | null, path, false);
}

/** The key path of a node from `visit`'s ancestors (map keys and sequence indexes). */
export function ancestorPath(ancestors: readonly unknown[]): (string | number)[] {
  const path: (string | number)[] = [];
  for (let i = 0; i < ancestors.length; i++) {
    const a = ancestors[i];
    if (isPair(a) && isScalar(a.key)) path.push(String(a.key.value));
    else if (isSeq(a)) {
      const next = ancestors[i + 1];
      if (next !== undefined) path.push(a.items.indexOf(next as never));
    }
  }
  return path;
}

export function formatKeyPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

// Walks as far down the path as the document goes: a missing key points at its parent.
function findNode(root: Node | null, path: readonly PropertyKey[], atKey: boolean): Node | null {
  let node: Node | null = root;
  for (let i = 0; i < path.length; i++) {
    const step = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(step));
      if (!pair) return node;
      const last = i === path.length - 1;
      node = (last && atKey ? pair.key : pair.value) as Node | null;
      if (node === null) return pair.key as Node;
    } else if (isSeq(node) && typeof step === 'number') {
      const item = node.items[step] as Node | undefined;
      if (!item) return node;
      node = item;
    } else {
      return node;
    }
  }
  return node;
}
