/**
 * Compact, stable text forms of messages, entries and Ready, for scenario traces and failures.
 */
import type { Ready } from './rawnode';
import type { Entry, Message } from './types';

const decoder = new TextDecoder();

/** `term/index "data"`, or `term/index noop` for an empty entry. */
export function describeEntry(e: Entry): string {
  return e.data.length === 0 ? `${e.term}/${e.index} noop` : `${e.term}/${e.index} "${decoder.decode(e.data)}"`;
}

export function describeEntries(entries: readonly Entry[]): string {
  return `[${entries.map(describeEntry).join(', ')}]`;
}

export function describeMessage(m: Message): string {
  const head = `${m.from}->${m.to} ${m.type} term=${m.term}`;
  switch (m.type) {
    case 'app':
      return `${head} log=${m.logTerm}/${m.index} commit=${m.commit}${m.entries.length > 0 ? ` entries=${describeEntries(m.entries)}` : ''}`;
    case 'appResp':
      return m.reject
        ? `${head} rejected index=${m.index} hint=${m.hintTerm}/${m.hintIndex}`
        : `${head} index=${m.index}`;
    case 'vote':
    case 'preVote':
      return `${head} log=${m.logTerm}/${m.index}${m.transfer ? ' transfer' : ''}`;
    case 'voteResp':
    case 'preVoteResp':
      return `${head} ${m.reject ? 'rejected' : 'granted'}`;
    case 'heartbeat':
      return `${head} commit=${m.commit}${m.context ? ` context=${m.context}` : ''}`;
    case 'heartbeatResp':
      return `${head}${m.context ? ` context=${m.context}` : ''}`;
    case 'snap':
      return `${head} snapshot=${m.snapshot.term}/${m.snapshot.index}`;
    case 'prop':
      return `${head} entries=${describeEntries(m.entries)}`;
    case 'readIndex':
      return `${head} context=${m.context}`;
    case 'readIndexResp':
      return `${head} index=${m.index} context=${m.context}`;
    case 'timeoutNow':
      return head;
    case 'transferLeader':
      return `${head} transferee=${m.transferee}`;
  }
}

/** One line per non-empty part of a Ready, indented. */
export function describeReady(rd: Ready): string[] {
  const lines: string[] = [];
  if (rd.softState) lines.push(`  soft: ${rd.softState.role} lead=${rd.softState.leader}`);
  if (rd.hardState) lines.push(`  hard: term=${rd.hardState.term} vote=${rd.hardState.vote} commit=${rd.hardState.commit}`);
  if (rd.snapshot) lines.push(`  snapshot: ${rd.snapshot.term}/${rd.snapshot.index}`);
  if (rd.entries.length > 0) lines.push(`  entries: ${describeEntries(rd.entries)}`);
  if (rd.committedEntries.length > 0) lines.push(`  committed: ${describeEntries(rd.committedEntries)}`);
  for (const rs of rd.readStates) lines.push(`  read-state: index=${rs.index} context=${rs.context}`);
  for (const m of rd.messages) lines.push(`  send: ${describeMessage(m)}`);
  return lines;
}
