// Lists the functions in src/ longer than a limit (default 60 lines), longest first, with the
// reason written next to each one that is long on purpose: a comment starting "Long:" in the
// lines just above the function. Exit 1 when a long function has no reason.
// A function's length is its own lines: the lines of functions nested in it (the methods of
// the object a factory returns, callbacks) count for those functions, each judged alone.
//   npx tsx scripts/long-functions.ts [limit] [folder]
// Uses the TypeScript compiler's own parser (no regex guessing at where a function ends).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const limit = Number(process.argv[2] ?? 60);
const root = process.argv[3] ?? 'src';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

interface Long {
  where: string;
  name: string;
  lines: number;
  reason?: string;
}

function nameOf(node: ts.Node, source: ts.SourceFile): string {
  const named = node as ts.Node & { name?: ts.Node };
  if (named.name) return named.name.getText(source);
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) return parent.name.getText(source);
  if (ts.isCallExpression(parent)) return `(callback of ${parent.expression.getText(source).slice(0, 40)})`;
  return '(anonymous)';
}

// A "Long:" comment in the five lines above the function (or its declaration) gives its reason.
function reasonFor(node: ts.Node, source: ts.SourceFile, text: string[]): string | undefined {
  const holder = ts.isVariableDeclaration(node.parent) ? node.parent.parent.parent : node;
  const line = source.getLineAndCharacterOfPosition(holder.getStart(source)).line;
  for (let i = line - 1; i >= Math.max(0, line - 5); i--) {
    const m = /\/\/\s*Long:\s*(.*)|\*\s*Long:\s*(.*)/.exec(text[i]);
    if (m) return (m[1] ?? m[2]).trim();
  }
  return undefined;
}

const isFunction = (node: ts.Node): node is ts.FunctionLikeDeclaration =>
  ts.isFunctionLike(node) && (node as ts.FunctionLikeDeclaration).body !== undefined;

function lineSpan(node: ts.Node, source: ts.SourceFile): number {
  const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
  return source.getLineAndCharacterOfPosition(node.getEnd()).line - start + 1;
}

// Lines of the outermost functions nested in `node` (not counting `node` itself).
function nestedLines(node: ts.Node, source: ts.SourceFile): number {
  let lines = 0;
  const visit = (child: ts.Node) => {
    if (isFunction(child)) lines += lineSpan(child, source);
    else ts.forEachChild(child, visit);
  };
  ts.forEachChild(node, visit);
  return lines;
}

const long: Long[] = [];
for (const file of files(root)) {
  const body = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, body, ts.ScriptTarget.Latest, true);
  const text = body.split('\n');
  const visit = (node: ts.Node) => {
    if (isFunction(node)) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const lines = lineSpan(node, source) - nestedLines(node, source);
      if (lines > limit)
        long.push({
          where: `${relative('.', file)}:${start + 1}`,
          name: nameOf(node, source),
          lines,
          reason: reasonFor(node, source, text),
        });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

long.sort((a, b) => b.lines - a.lines);
for (const f of long) console.log(`${String(f.lines).padStart(4)}  ${f.where}  ${f.name}${f.reason ? `  — Long: ${f.reason}` : ''}`);
const unexplained = long.filter((f) => !f.reason).length;
console.log(`${long.length} functions over ${limit} lines in ${root}/, ${unexplained} without a reason`);
if (unexplained > 0) process.exitCode = 1;
