/**
 * Data-driven protocol scenarios (in the style of etcd-io/raft `testdata/*.txt`): each file in
 * `testdata/` is a script of commands, each followed by `----` and the output it must print,
 * ended by a blank line. Run with `UPDATE_SCENARIOS=1` to rewrite the expected outputs after an
 * intended change (then read the diff).
 *
 * Commands (clients are created on first mention; replica ids are 1, 2, ... in that order):
 *   connect NAME            open the socket (prints phase changes)
 *   disconnect NAME         close it, dropping frames in flight
 *   insert NAME INDEX TEXT  local edit on the `body` text (prints whether it went on the wire)
 *   delete NAME INDEX COUNT
 *   deliver NAME→relay | relay→NAME   deliver the oldest queued frame on one link
 *   flush                   deliver everything, links served round-robin (prints the trace)
 *   open NAME               a raw socket: the relay sees a connection, no session drives it
 *   raw NAME HEX            the relay receives these bytes from NAME (prints the relay's answer;
 *                           a refused peer is forgotten, so later frames from it print nothing)
 *   text                    the body text at the relay and at every client
 *   queues                  frames waiting on each link
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Doc } from '../crdt';
import { decodeMessage, peekMessageType } from './codec';
import { parseDocId } from './protocol';
import { SimNetwork, type DocDriver, type SimClient } from './sim';

const directory = fileURLToPath(new URL('./testdata', import.meta.url));
const rewrite = process.env.UPDATE_SCENARIOS === '1';

interface Block {
  readonly command: string;
  readonly expected: string;
}

function parseBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  let index = 0;
  while (index < lines.length) {
    const line = lines[index]!;
    if (line.trim() === '' || line.startsWith('#')) {
      index++;
      continue;
    }
    if (lines[index + 1] !== '----') throw new Error(`line ${index + 2}: expected ---- after ${JSON.stringify(line)}`);
    index += 2;
    const output: string[] = [];
    while (index < lines.length && lines[index] !== '') output.push(lines[index++]!);
    blocks.push({ command: line, expected: output.join('\n') });
  }
  return blocks;
}

function editDriver(): DocDriver<Doc> {
  return {
    create: (replica) => new Doc({ replicaId: replica }),
    edit: () => {
      throw new Error('scenario files edit through insert/delete');
    },
    fingerprint: (doc) => JSON.stringify(doc.toJSON()),
  };
}

/** Runs one command against the network and returns what it prints. */
class ScenarioRunner {
  readonly network = new SimNetwork(editDriver(), parseDocId('scenario'));
  private readonly byName = new Map<string, SimClient<Doc>>();

  client(name: string): SimClient<Doc> {
    let client = this.byName.get(name);
    if (client === undefined) {
      client = this.network.addClient(name);
      this.byName.set(name, client);
    }
    return client;
  }

  run(command: string): string {
    const [verb, ...args] = command.split(' ');
    const traceStart = this.network.trace.length;
    const newTrace = () => this.network.trace.slice(traceStart).join('\n');
    switch (verb) {
      case 'connect':
      case 'disconnect': {
        const client = this.client(args[0]!);
        const effectsStart = client.effects.length;
        if (verb === 'connect') this.network.connect(client);
        else this.network.disconnect(client);
        const phases = client.effects.slice(effectsStart).flatMap((e) => (e.type === 'phase' ? [e.phase] : []));
        return `${client.name}: ${phases.join(' → ') || 'no change'}`;
      }
      case 'insert':
      case 'delete': {
        const client = this.client(args[0]!);
        const index = Number(args[1]);
        let update: Uint8Array | null = null;
        const off = client.doc.on('update', (bytes: Uint8Array) => {
          update = bytes;
        });
        const text = client.doc.getText('body');
        if (verb === 'insert') text.insert(index, args.slice(2).join(' '));
        else text.delete(index, Number(args[2]));
        off();
        if (update === null) return `${client.name}: no update`;
        const queued = client.toRelay.length;
        client.step({ type: 'local-update', update });
        const sent = client.toRelay.length > queued;
        return `${client.name}: "${text.toString()}" (${sent ? 'sent' : `held: ${client.session.phase}`})`;
      }
      case 'deliver': {
        const [from, to] = args[0]!.split('→');
        const delivered = from === 'relay' ? this.network.deliverToClient(this.client(to!)) : this.network.deliverToRelay(this.client(from!));
        return delivered ? newTrace() : 'nothing queued';
      }
      case 'flush':
        this.network.flush();
        return newTrace() || 'quiet';
      case 'open': {
        this.network.relay.connect(this.client(args[0]!).peer);
        return `${args[0]}: open (peer ${this.client(args[0]!).peer})`;
      }
      case 'raw': {
        const client = this.client(args[0]!);
        const bytes = Uint8Array.from((args[1] ?? '').match(/../g) ?? [], (pair) => parseInt(pair, 16));
        const outputs = this.network.relay.receive(client.peer, bytes);
        return (
          outputs
            .map((output) => {
              if (output.type === 'close') return `close peer ${output.peer}: ${output.code} ${output.reason}`;
              if (output.type === 'load') return `load ${output.docId}`;
              if (output.type === 'persist') return `persist ${output.docId} (${output.update.length} bytes)`;
              const message = decodeMessage(output.frame);
              const detail = message.type === 'error' ? ` ${message.code} ${message.message}` : '';
              return `send peer ${output.to}: ${peekMessageType(output.frame)}${detail}`;
            })
            .join('\n') || 'no output'
        );
      }
      case 'text': {
        const relayDoc = this.network.relay.docOf(this.network.docId);
        const lines = [`relay: "${relayDoc === undefined ? '<no room>' : relayDoc.getText('body').toString()}"`];
        for (const [name, client] of this.byName) lines.push(`${name}: "${client.doc.getText('body').toString()}"`);
        return lines.join('\n');
      }
      case 'queues':
        return [...this.byName]
          .map(([name, client]) => `${name}→relay: ${client.toRelay.map((f) => peekMessageType(f)).join(' ') || '-'} | relay→${name}: ${client.fromRelay.map((f) => peekMessageType(f)).join(' ') || '-'}`)
          .join('\n');
      default:
        throw new Error(`unknown command ${JSON.stringify(command)}`);
    }
  }
}

describe('protocol scenario files (testdata/*.txt)', () => {
  for (const file of readdirSync(directory).filter((name) => name.endsWith('.txt')).sort()) {
    it(`${file} prints its expected trace`, () => {
      const path = join(directory, file);
      const source = readFileSync(path, 'utf8');
      const runner = new ScenarioRunner();
      const results = parseBlocks(source).map((block) => ({ ...block, actual: runner.run(block.command) }));
      if (rewrite) {
        const header = source.split('\n').filter((line, index, all) => line.startsWith('#') && all.slice(0, index).every((l) => l.startsWith('#')));
        const body = results.map((r) => `${r.command}\n----\n${r.actual}\n`).join('\n');
        writeFileSync(path, `${header.length > 0 ? `${header.join('\n')}\n\n` : ''}${body}`);
        return;
      }
      for (const result of results) expect(result.actual, `${file}: ${result.command}`).toBe(result.expected);
    });
  }
});
