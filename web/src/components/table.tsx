/** Pieces every data table shares: the column headings, and the region that scrolls sideways. */
import type { ReactNode } from 'react';
import { useMessages } from '../i18n/index.ts';

/** The header row; `actions` adds a last column for row buttons, named for screen readers only. */
export function TableHead({ columns, actions = false }: { columns: readonly string[]; actions?: boolean }) {
  const m = useMessages();
  return (
    <thead>
      <tr>
        {columns.map((column) => (
          <th key={column} scope="col">
            {column}
          </th>
        ))}
        {actions ? (
          <th scope="col">
            <span className="visually-hidden">{m.common.actions}</span>
          </th>
        ) : null}
      </tr>
    </thead>
  );
}

/**
 * A wide table's frame. Focusable and named: on a phone the table scrolls sideways, and
 * keyboards must reach it too.
 */
export function ScrollRegion({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
