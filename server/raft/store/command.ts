/**
 * Commands of the document store, as they travel in Raft log entries.
 *
 * Layout: version byte (1), kind byte (1 = merge), request id (string, chosen by the proposing
 * node so it can recognise its own entry when applied), document id (string), update (bytes).
 * An empty entry (Raft's no-op) is not a command.
 */
import { Decoder, DecodeError, Encoder } from '../../../lib/codec';
import { isDocId, type DocId } from '../../../lib/sync/protocol';

export const COMMAND_VERSION = 1;
export const CommandKind = { merge: 1 } as const;

/** Merge a CRDT update into the stored state of one document. */
export interface MergeCommand {
  readonly kind: 'merge';
  /** Unique per proposal (e.g. `${nodeId}.${bootId}.${seq}`), at most 64 characters. */
  readonly requestId: string;
  readonly docId: DocId;
  readonly update: Uint8Array;
}

export type Command = MergeCommand;

/** Bad command bytes (only possible from a bug or corruption: commands are validated before proposing). */
export class CommandDecodeError extends DecodeError {}

export function encodeCommand(command: Command): Uint8Array {
  const e = new Encoder(command.update.length + command.docId.length + 32);
  e.writeByte(COMMAND_VERSION);
  e.writeByte(CommandKind.merge);
  e.writeString(command.requestId);
  e.writeString(command.docId);
  e.writeBytes(command.update);
  return e.toBytes();
}

export function decodeCommand(bytes: Uint8Array): Command {
  const d: Decoder = new Decoder(bytes);
  try {
    const version = d.readByte();
    if (version !== COMMAND_VERSION) d.fail(`unknown command version ${version}`);
    const kind = d.readByte();
    if (kind !== CommandKind.merge) d.fail(`unknown command kind ${kind}`);
    const requestId = d.readString();
    if (requestId.length > 64) d.fail('request id longer than 64 characters');
    const docId = d.readString();
    if (!isDocId(docId)) d.fail(`bad document id ${JSON.stringify(docId.slice(0, 140))}`);
    const update = d.readBytes();
    d.expectEnd();
    return { kind: 'merge', requestId, docId, update };
  } catch (error) {
    if (error instanceof DecodeError && !(error instanceof CommandDecodeError)) throw new CommandDecodeError(error.reason, error.offset);
    throw error;
  }
}
