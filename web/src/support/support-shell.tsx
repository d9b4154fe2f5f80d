/**
 * The support console's frame: the product, "Support" (operators work outside every instance),
 * who is logged in, and Log out. No instance menu: operator sessions cannot open instance pages.
 */
import type { ReactNode } from 'react';
import type { Operator } from '../api.ts';
import { Brand, Frame } from '../components/shell.tsx';

export function SupportShell({ operator, onLogOut, children }: { operator?: Operator; onLogOut?: () => void; children: ReactNode }) {
  const bar = (
    <>
      <Brand />
      <span className="instance-name">Support console</span>
      <span className="top-bar-spacer" />
      {operator ? (
        <>
          <span className="operator-name">
            <span className="visually-hidden">Logged in as </span>
            {operator.name} <span className="operator-email">{operator.email}</span>
          </span>
          <button type="button" className="button button-small top-bar-button" onClick={onLogOut}>
            Log out
          </button>
        </>
      ) : null}
    </>
  );
  return <Frame bar={bar}>{children}</Frame>;
}
