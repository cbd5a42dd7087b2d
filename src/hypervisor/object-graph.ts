/**
 * A copy of an object graph as plain, structured-clonable data (so it can cross
 * to a worker thread) and back: every object reachable from the root, with its
 * class, its own properties and the references between them, cycles and shared
 * objects included. The simulation's state is such a graph (domains point at
 * their vCPUs and back, queued events at vCPUs, policy state hangs off `priv`),
 * and copying the graph as it is, rather than field by field, keeps a copy exact
 * whatever state a later change adds: stale events of removed vCPUs, a removed
 * master's entity that members still point at until the next accounting.
 */

/** One object of the graph; references to others are `{ ref: index }`. */
export type GraphNode =
  /** `values` in the order of `shapes[shape]`, its own property names. */
  | { readonly kind: 'object'; readonly class: string | null; readonly shape: number; readonly values: readonly unknown[] }
  | { readonly kind: 'array'; readonly items: readonly unknown[] }
  | { readonly kind: 'map'; readonly entries: readonly (readonly [unknown, unknown])[] }
  | { readonly kind: 'set'; readonly items: readonly unknown[] }
  | { readonly kind: 'typed'; readonly data: ArrayBufferView }
  /** An object rebuilt by the reader, not copied (the engine's closures over itself). */
  | { readonly kind: 'rebuilt'; readonly name: string };

export interface EncodedGraph {
  readonly nodes: readonly GraphNode[];
  /** Property-name lists, shared by every object with the same (most objects of a kind have one). */
  readonly shapes: readonly (readonly string[])[];
}

interface Ref {
  readonly ref: number;
}

const isRef = (value: unknown): value is Ref => typeof value === 'object' && value !== null;

/**
 * Encode everything reachable from `root` (node 0); objects in `rebuilt` are
 * left for the reader to make again, by name. Throws, naming the path, on a function.
 */
export function encodeGraph(root: object, rebuilt: ReadonlyMap<object, string>): EncodedGraph {
  const index = new Map<object, number>();
  const pending: object[] = [];
  /** Where each node was first met (its parent node and key), to name a path only when there is a problem. */
  const parents: (readonly [number, string | number])[] = [];
  /** One ref object per node, shared by all references to it. */
  const refs: Ref[] = [];
  const shapes: string[][] = [];
  const shapeIds = new Map<string, number>();
  const pathOf = (node: number): string => (node === 0 ? 'root' : `${pathOf(parents[node]![0])}.${parents[node]![1]}`);
  let current = 0;
  const refer = (value: unknown, key: string | number): unknown => {
    if (typeof value === 'function') throw new TypeError(`cannot copy a function at ${pathOf(current)}.${key}`);
    if (typeof value !== 'object' || value === null) return value;
    let at = index.get(value);
    if (at === undefined) {
      at = pending.length;
      index.set(value, at);
      pending.push(value);
      parents.push([current, key]);
      refs.push({ ref: at });
    }
    return refs[at];
  };
  const shapeOf = (keys: string[]): number => {
    const signature = keys.join('\0');
    let id = shapeIds.get(signature);
    if (id === undefined) {
      id = shapes.length;
      shapes.push(keys);
      shapeIds.set(signature, id);
    }
    return id;
  };
  refer(root, 'root');
  const nodes: GraphNode[] = [];
  for (; current < pending.length; current++) nodes.push(encodeNode(pending[current]!, rebuilt, refer, shapeOf));
  return { nodes, shapes };
}

function encodeNode(value: object, rebuilt: ReadonlyMap<object, string>, refer: (value: unknown, key: string | number) => unknown, shapeOf: (keys: string[]) => number): GraphNode {
  const name = rebuilt.get(value);
  if (name !== undefined) return { kind: 'rebuilt', name };
  if (Array.isArray(value)) return { kind: 'array', items: value.map(refer) };
  if (value instanceof Map) return { kind: 'map', entries: [...value].map(([k, v], i) => [refer(k, `key${i}`), refer(v, `value${i}`)] as const) };
  if (value instanceof Set) return { kind: 'set', items: [...value].map(refer) };
  if (ArrayBuffer.isView(value)) return { kind: 'typed', data: (value as unknown as { slice(): ArrayBufferView }).slice() };
  const keys = Object.keys(value);
  const fields = value as Record<string, unknown>;
  return { kind: 'object', class: classOf(value), shape: shapeOf(keys), values: keys.map((key) => refer(fields[key], key)) };
}

/**
 * Rebuild the graph. A rebuilt node is made by `rebuild` once every other
 * object is filled in (it may read the root), then put where it is referred
 * to; null leaves those places empty.
 */
export function decodeGraph<T>(graph: EncodedGraph, classes: ReadonlyMap<string, object>, rebuild: (name: string, root: T) => object | null): T {
  const shells: (object | null)[] = graph.nodes.map((node) => shellOf(node, classes));
  const fixups: (() => void)[] = [];
  const fill = (target: object, key: string | number, encoded: unknown): void => {
    const assign = (): void => void ((target as Record<string | number, unknown>)[key] = isRef(encoded) ? shells[(encoded as Ref).ref] : encoded);
    if (isRef(encoded) && graph.nodes[(encoded as Ref).ref]!.kind === 'rebuilt') fixups.push(assign);
    else assign();
  };
  const plain = (encoded: unknown, where: string): unknown => {
    if (!isRef(encoded)) return encoded;
    if (graph.nodes[(encoded as Ref).ref]!.kind === 'rebuilt') throw new TypeError(`a rebuilt object cannot be ${where}`);
    return shells[(encoded as Ref).ref];
  };
  graph.nodes.forEach((node, i) => {
    const shell = shells[i] as object;
    if (node.kind === 'object') graph.shapes[node.shape]!.forEach((key, k) => fill(shell, key, node.values[k]));
    else if (node.kind === 'array') node.items.forEach((item, k) => fill(shell, k, item));
    else if (node.kind === 'map') for (const [k, v] of node.entries) (shell as Map<unknown, unknown>).set(plain(k, 'a map key'), plain(v, 'a map value'));
    else if (node.kind === 'set') for (const item of node.items) (shell as Set<unknown>).add(plain(item, 'in a set'));
  });
  const root = shells[0] as T;
  graph.nodes.forEach((node, i) => {
    if (node.kind === 'rebuilt') shells[i] = rebuild(node.name, root);
  });
  for (const fixup of fixups) fixup();
  return root;
}

function shellOf(node: GraphNode, classes: ReadonlyMap<string, object>): object {
  switch (node.kind) {
    case 'object': {
      const proto = node.class === null ? Object.prototype : classes.get(node.class);
      if (proto === undefined) throw new TypeError(`a snapshot holds an object of class ${node.class}, which a fresh host does not have`);
      return Object.create(proto) as object;
    }
    case 'array':
      return new Array<unknown>(node.items.length);
    case 'map':
      return new Map();
    case 'set':
      return new Set();
    case 'typed':
      return (node.data as unknown as { slice(): ArrayBufferView }).slice();
    case 'rebuilt':
      return {};
  }
}

/** The name of an object's class, or null for a plain object. */
function classOf(value: object): string | null {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null ? null : (proto as { constructor: { name: string } }).constructor.name;
}

/** Every class reachable from `root`, by name: what a decoder needs, learnt from a fresh object made the same way. */
export function classesOf(root: object): Map<string, object> {
  const classes = new Map<string, object>();
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    if (ArrayBuffer.isView(value)) continue;
    const name = Array.isArray(value) || value instanceof Map || value instanceof Set ? null : classOf(value);
    if (name !== null) classes.set(name, Object.getPrototypeOf(value) as object);
    if (value instanceof Map) for (const [k, v] of value) stack.push(k, v);
    else if (value instanceof Set) for (const item of value) stack.push(item);
    else for (const field of Object.values(value)) stack.push(field);
  }
  return classes;
}
