'use client';

import { forwardRef } from 'react';
import type { CaretSegment } from '../lib/client/caret-layout';

/**
 * A transparent copy of the textarea's text laid out exactly like it (same font, padding and
 * wrapping, see `.caret-layer` in globals.css), with the peers' carets and selections drawn in it.
 */
export const RemoteCarets = forwardRef<HTMLDivElement, { segments: readonly CaretSegment[] }>(function RemoteCarets(
  { segments },
  ref,
) {
  return (
    <div className="caret-layer" aria-hidden="true" ref={ref}>
      {segments.map((segment, index) => (
        <span key={index}>
          {segment.carets.map((caret) => (
            <span
              key={caret.clientId}
              className="remote-caret"
              style={{ borderColor: caret.color }}
              data-testid="remote-caret"
            >
              <span className="remote-caret-name" style={{ background: caret.color }}>
                {caret.name}
              </span>
            </span>
          ))}
          <span style={segment.highlight === null ? undefined : { background: `${segment.highlight}33` }}>{segment.text}</span>
        </span>
      ))}
      {/* A trailing newline in a textarea opens a new line; keep the copy the same height. */}
      <span>{'\u200b'}</span>
    </div>
  );
});
