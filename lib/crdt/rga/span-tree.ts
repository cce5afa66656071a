/**
 * `SpanTree`: the spans of a sequence in document order, in a B+tree whose nodes carry the
 * number of visible characters and of all characters (tombstones included) below them. Finds
 * the span holding the n-th visible character, and a span's position, in O(log n); leaves are
 * linked for in-order walks. Spans know their leaf, so an id lookup (see `IdIndex`) lands here.
 * Invariants: every node's `visible`/`total` equal the sums over its spans; leaves may be empty
 * but the tree always has at least one leaf.
 */
import { Span, type SpanLeafRef } from './span';

/** Node capacities of a span tree. Small values only make sense in tests (they force splits). */
export interface SpanTreeOptions {
  /** Most spans per leaf (>= 2); default 32. */
  readonly leafCapacity?: number;
  /** Most children per inner node (>= 2); default 16. */
  readonly branchCapacity?: number;
}

/** A bottom-level node: up to `leafCapacity` spans. */
export class Leaf implements SpanLeafRef {
  readonly isLeaf = true;
  spans: Span[] = [];
  visible = 0;
  total = 0;
  parent: Branch | null = null;
  next: Leaf | null = null;
  prev: Leaf | null = null;
}

/** An inner node: up to `branchCapacity` children. */
export class Branch {
  readonly isLeaf = false;
  children: TreeNode[] = [];
  visible = 0;
  total = 0;
  parent: Branch | null = null;
}

type TreeNode = Leaf | Branch;

/** The B+tree of spans. */
export class SpanTree {
  private root: TreeNode;
  private readonly firstLeaf: Leaf;
  private lastLeaf: Leaf;
  /** Result of the last `locateVisible` (fields instead of an object: it is the hot path). */
  foundSpan: Span | null = null;
  foundOffset = 0;
  /** Leaf of `foundSpan` and its index there. */
  foundLeaf: Leaf | null = null;
  foundIndex = 0;
  /**
   * Cursor cache for runs of edits in one place: a leaf and the number of visible characters
   * before it. Invariant: when `cacheLeaf` is not null, `cacheStart` is exact; any count change
   * in another leaf clears it.
   */
  private cacheLeaf: Leaf | null = null;
  private cacheStart = 0;
  /** Walk cursor (`walkFrom`/`walkNext`): the leaf and index of the span last returned; null leaf = walked off the end. */
  private walkLeaf: Leaf | null = null;
  private walkIndex = 0;

  private readonly maxLeaf: number;
  private readonly maxBranch: number;

  constructor(options: SpanTreeOptions = {}) {
    this.maxLeaf = Math.max(2, options.leafCapacity ?? 32);
    this.maxBranch = Math.max(2, options.branchCapacity ?? 16);
    this.firstLeaf = new Leaf();
    this.lastLeaf = this.firstLeaf;
    this.root = this.firstLeaf;
  }

  /** Visible characters in the whole sequence. */
  get visible(): number {
    return this.root.visible;
  }

  /**
   * Finds the visible character at `index` (0 <= index < visible): sets `foundSpan` and
   * `foundOffset` and returns true; returns false when index is out of range.
   */
  locateVisible(index: number): boolean {
    let node: TreeNode = this.root;
    if (index < 0 || index >= node.visible) return false;
    const cached = this.cacheLeaf;
    if (cached !== null && index >= this.cacheStart && index < this.cacheStart + cached.visible) {
      node = cached;
      index -= this.cacheStart;
    } else {
      let start = 0;
      while (!node.isLeaf) {
        const children: TreeNode[] = node.children;
        let i = 0;
        for (; ; i++) {
          const child = children[i] as TreeNode;
          if (index < child.visible) break;
          index -= child.visible;
          start += child.visible;
        }
        node = children[i] as TreeNode;
      }
      this.cacheLeaf = node;
      this.cacheStart = start;
    }
    const spans = node.spans;
    for (let i = 0; ; i++) {
      const span = spans[i] as Span;
      const visible = span.visibleLength; // 0 for a deleted span: one read instead of content and length
      if (index < visible) {
        this.foundSpan = span;
        this.foundOffset = index;
        this.foundLeaf = node;
        this.foundIndex = i;
        return true;
      }
      index -= visible;
    }
  }

  /** The span before the found one (see `locateVisible`), or null. */
  prevOfFound(): Span | null {
    const leaf = this.foundLeaf as Leaf;
    if (this.foundIndex > 0) return leaf.spans[this.foundIndex - 1] as Span;
    for (let l = leaf.prev; l !== null; l = l.prev) if (l.spans.length > 0) return l.spans[l.spans.length - 1] as Span;
    return null;
  }

  /** The span after the found one (see `locateVisible`), or null. */
  nextOfFound(): Span | null {
    const leaf = this.foundLeaf as Leaf;
    if (this.foundIndex + 1 < leaf.spans.length) return leaf.spans[this.foundIndex + 1] as Span;
    for (let l = leaf.next; l !== null; l = l.next) if (l.spans.length > 0) return l.spans[0] as Span;
    return null;
  }

  /**
   * Starts an in-order walk: returns the span after `after` (the first span when null), or null.
   * `walkNext` continues from there. The tree must not change during a walk.
   */
  walkFrom(after: Span | null): Span | null {
    if (after === null) {
      this.walkLeaf = this.firstLeaf;
      this.walkIndex = -1;
    } else {
      const leaf = after.leaf as Leaf;
      this.walkLeaf = leaf;
      this.walkIndex = leaf.spans.indexOf(after);
    }
    return this.walkNext();
  }

  /** The next span of the walk (see `walkFrom`), or null at the end. O(1) amortised, unlike `next`. */
  walkNext(): Span | null {
    let leaf = this.walkLeaf;
    if (leaf === null) return null;
    let i = this.walkIndex + 1;
    while (i >= leaf.spans.length) {
      leaf = leaf.next;
      if (leaf === null) {
        this.walkLeaf = null;
        return null;
      }
      i = 0;
    }
    this.walkLeaf = leaf;
    this.walkIndex = i;
    return leaf.spans[i] as Span;
  }

  /** The span after `span` in document order, or null. */
  next(span: Span): Span | null {
    let leaf = span.leaf as Leaf;
    const at = leaf.spans.indexOf(span);
    if (at + 1 < leaf.spans.length) return leaf.spans[at + 1] as Span;
    for (let l = leaf.next; l !== null; l = l.next) if (l.spans.length > 0) return l.spans[0] as Span;
    return null;
  }

  /** The span before `span` in document order, or null. */
  prev(span: Span): Span | null {
    const leaf = span.leaf as Leaf;
    const at = leaf.spans.indexOf(span);
    if (at > 0) return leaf.spans[at - 1] as Span;
    for (let l = leaf.prev; l !== null; l = l.prev) if (l.spans.length > 0) return l.spans[l.spans.length - 1] as Span;
    return null;
  }

  /** The first span, or null when empty. */
  first(): Span | null {
    for (let l: Leaf | null = this.firstLeaf; l !== null; l = l.next) if (l.spans.length > 0) return l.spans[0] as Span;
    return null;
  }

  /** The last span, or null when empty. */
  last(): Span | null {
    for (let l: Leaf | null = this.lastLeaf; l !== null; l = l.prev) if (l.spans.length > 0) return l.spans[l.spans.length - 1] as Span;
    return null;
  }

  /** Places `span` right after `ref` (null = at the start) and counts its characters. */
  insertAfter(ref: Span | null, span: Span): void {
    if (ref === null) this.insertInLeaf(this.firstLeaf, 0, span, span.visibleLength, span.length);
    else {
      const leaf = ref.leaf as Leaf;
      this.insertInLeaf(leaf, leaf.spans.indexOf(ref) + 1, span, span.visibleLength, span.length);
    }
  }

  /** Places `tail`, just cut off `head` by `Span.splitAt`, right after it (totals unchanged). */
  insertSplit(head: Span, tail: Span): void {
    const leaf = head.leaf as Leaf;
    this.insertInLeaf(leaf, leaf.spans.indexOf(head) + 1, tail, 0, 0);
  }

  /** Removes `span` from the tree and uncounts its characters. */
  remove(span: Span): void {
    const leaf = span.leaf as Leaf;
    leaf.spans.splice(leaf.spans.indexOf(span), 1);
    span.leaf = null;
    this.adjustFrom(leaf, -span.visibleLength, -span.length);
  }

  /** Records that `span` gained `deltaVisible` visible and `deltaTotal` characters in place. */
  adjust(span: Span, deltaVisible: number, deltaTotal: number): void {
    this.adjustFrom(span.leaf as Leaf, deltaVisible, deltaTotal);
  }

  /** Number of characters (tombstones included) before `span`. */
  rawPosition(span: Span): number {
    const leaf = span.leaf as Leaf;
    let pos = 0;
    for (const s of leaf.spans) {
      if (s === span) break;
      pos += s.length;
    }
    return pos + this.positionOfNode(leaf, false);
  }

  /** Number of visible characters before `span`. */
  visiblePosition(span: Span): number {
    const leaf = span.leaf as Leaf;
    let pos = 0;
    for (const s of leaf.spans) {
      if (s === span) break;
      pos += s.visibleLength;
    }
    return pos + this.positionOfNode(leaf, true);
  }

  /**
   * Fills an empty tree with `spans`, in document order (bulk loading). Nodes are filled a little
   * below capacity (so the first edits split none), spans arrays have exact sizes.
   */
  build(spans: readonly Span[]): void {
    if (this.first() !== null) throw new Error('SpanTree.build needs an empty tree');
    const n = spans.length;
    if (n === 0) return;
    const leafCount = Math.ceil(n / Math.max(1, this.maxLeaf - Math.max(1, this.maxLeaf >> 4)));
    let level: TreeNode[] = new Array(leafCount);
    let previous: Leaf | null = null;
    for (let l = 0; l < leafCount; l++) {
      const from = Math.floor((l * n) / leafCount);
      const to = Math.floor(((l + 1) * n) / leafCount);
      const leaf = l === 0 ? this.firstLeaf : new Leaf();
      const chunk: Span[] = new Array(to - from);
      let visible = 0;
      let total = 0;
      for (let i = from; i < to; i++) {
        const span = spans[i]!;
        chunk[i - from] = span;
        span.leaf = leaf;
        if (span.content !== null) visible += span.length;
        total += span.length;
      }
      leaf.spans = chunk;
      leaf.visible = visible;
      leaf.total = total;
      if (previous !== null) {
        previous.next = leaf;
        leaf.prev = previous;
      }
      previous = leaf;
      level[l] = leaf;
    }
    this.lastLeaf = previous!;
    const branchFill = Math.max(2, this.maxBranch - Math.max(1, this.maxBranch >> 4));
    while (level.length > 1) {
      const count = Math.ceil(level.length / branchFill);
      const up: TreeNode[] = new Array(count);
      for (let b = 0; b < count; b++) {
        const from = Math.floor((b * level.length) / count);
        const to = Math.floor(((b + 1) * level.length) / count);
        const branch = new Branch();
        const children: TreeNode[] = new Array(to - from);
        for (let i = from; i < to; i++) {
          const child = level[i]!;
          children[i - from] = child;
          child.parent = branch;
          branch.visible += child.visible;
          branch.total += child.total;
        }
        branch.children = children;
        up[b] = branch;
      }
      level = up;
    }
    this.root = level[0]!;
    this.cacheLeaf = null;
  }

  /** Calls `visit` on every span in document order. */
  forEach(visit: (span: Span) => void): void {
    for (let l: Leaf | null = this.firstLeaf; l !== null; l = l.next) for (const s of l.spans) visit(s);
  }

  private positionOfNode(node: TreeNode, visibleOnly: boolean): number {
    let pos = 0;
    for (let parent = node.parent; parent !== null; node = parent, parent = parent.parent) {
      for (const child of parent.children) {
        if (child === node) break;
        pos += visibleOnly ? child.visible : child.total;
      }
    }
    return pos;
  }

  private adjustFrom(leaf: Leaf, deltaVisible: number, deltaTotal: number): void {
    if (leaf !== this.cacheLeaf) this.cacheLeaf = null;
    for (let node: TreeNode | null = leaf; node !== null; node = node.parent) {
      node.visible += deltaVisible;
      node.total += deltaTotal;
    }
  }

  private insertInLeaf(leaf: Leaf, at: number, span: Span, deltaVisible: number, deltaTotal: number): void {
    leaf.spans.splice(at, 0, span);
    span.leaf = leaf;
    if (deltaVisible !== 0 || deltaTotal !== 0) this.adjustFrom(leaf, deltaVisible, deltaTotal);
    if (leaf.spans.length > this.maxLeaf) this.splitLeaf(leaf);
  }

  private splitLeaf(leaf: Leaf): void {
    const right = new Leaf();
    right.spans = leaf.spans.splice(leaf.spans.length >> 1);
    for (const s of right.spans) {
      s.leaf = right;
      right.visible += s.visibleLength;
      right.total += s.length;
    }
    leaf.visible -= right.visible;
    leaf.total -= right.total;
    right.next = leaf.next;
    right.prev = leaf;
    if (leaf.next !== null) leaf.next.prev = right;
    else this.lastLeaf = right;
    leaf.next = right;
    this.insertSibling(leaf, right);
  }

  private splitBranch(branch: Branch): void {
    const right = new Branch();
    right.children = branch.children.splice(branch.children.length >> 1);
    for (const child of right.children) {
      child.parent = right;
      right.visible += child.visible;
      right.total += child.total;
    }
    branch.visible -= right.visible;
    branch.total -= right.total;
    this.insertSibling(branch, right);
  }

  /** Links `right` (holding part of `node`'s former content) after `node` in its parent. */
  private insertSibling(node: TreeNode, right: TreeNode): void {
    const parent = node.parent;
    if (parent === null) {
      const root = new Branch();
      root.children = [node, right];
      root.visible = node.visible + right.visible;
      root.total = node.total + right.total;
      node.parent = root;
      right.parent = root;
      this.root = root;
      return;
    }
    parent.children.splice(parent.children.indexOf(node) + 1, 0, right);
    right.parent = parent;
    if (parent.children.length > this.maxBranch) this.splitBranch(parent);
  }
}
