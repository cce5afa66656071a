/**
 * The seam between the sequence CRDT (RGA with FugueMax/YjsMod ordering) and the document that
 * owns it. Both `ReferenceRga` (plain array) and `Rga` (spans + index) implement `Sequence`, and
 * one shared test suite runs against both.
 */

/** An item id: the replica that inserted it and its clock (one unit per character). */
export interface ItemId {
  readonly replica: number;
  readonly clock: number;
}

/**
 * A run of `length` characters inserted by one replica with consecutive clocks
 * `clock .. clock + length - 1`. Character i (i > 0) has origin left = character i - 1 and the
 * same origin right as the run, so a run can be split anywhere and re-sent as two runs.
 * Invariant: `content === null` (content dropped, all characters deleted) or `content.length === length`.
 */
export interface InsertRun {
  readonly replica: number;
  readonly clock: number;
  readonly length: number;
  /** The character left of the first character when it was inserted; null = document start. */
  readonly originLeft: ItemId | null;
  /** The character right of the first character when it was inserted; null = document end. */
  readonly originRight: ItemId | null;
  /** The characters, or null when every character of the run is deleted and its content dropped. */
  readonly content: string | null;
}

/** A change to the visible text; indices count UTF-16 code units of the text before this delta. */
export type TextDelta =
  | { readonly index: number; readonly insert: string }
  | { readonly index: number; readonly delete: number };

/** The sequence CRDT, as the document sees it. It never checks clocks for gaps: the document does. */
export interface Sequence {
  /** Number of visible (not deleted) characters. */
  readonly length: number;
  toString(): string;

  /** Inserts `content` at visible `index` as a new run with ids (replica, clock ..). */
  insertLocal(index: number, content: string, replica: number, clock: number): InsertRun;
  /** Deletes `length` visible characters from `index`; returns the deleted id ranges in order. */
  deleteLocal(index: number, length: number): IdRange[];

  /** True when the character with this id has been integrated. */
  has(id: ItemId): boolean;
  /** True when both origins of the run are known (or null), so `integrate` may be called. */
  canIntegrate(run: InsertRun): boolean;
  /**
   * Integrates a remote run. Characters already known are skipped (duplicates, overlapping
   * prefixes). Returns the visible deltas this caused (in order), empty when nothing changed.
   * A run whose content is null is integrated as deleted characters. With `withDeltas` false
   * the deltas may be left out (an empty array): a document nobody listens to skips their cost.
   */
  integrate(run: InsertRun, withDeltas?: boolean): TextDelta[];
  /** Marks the known characters of this id range deleted; unknown or already deleted ones are ignored. Deltas as for `integrate`. */
  deleteRange(range: IdRange, withDeltas?: boolean): TextDelta[];

  /** The runs of `replica` covering clocks `[from, to)`, in clock order, as they should be re-sent. */
  runsOf(replica: number, from: number, to: number): InsertRun[];
  /** Visible index of the character with this id (or of where it would be if deleted); -1 when unknown. */
  indexOf(id: ItemId): number;
  /** Id of the visible character at `index`, or null when out of range. */
  idAt(index: number): ItemId | null;
}

/** A range of ids of one replica: clocks `[clock, clock + length)`. */
export interface IdRange {
  readonly replica: number;
  readonly clock: number;
  readonly length: number;
}
