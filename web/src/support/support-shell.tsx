/**
 * The support console's frame: the product, "Support" (operators work outside every instance),
 * who is logged in, and Log out. No instance menu: operator sessions cannot open instance pages.
 */
import type { ReactNode } from 'react';
import type { Operator } from '../api.ts';
import { Brand, Frame } from '../components/shell.tsx';
import { LanguagePicker } from '../components/language-picker.tsx';
import { useMessages } from '../i18n/index.ts';

export function SupportShell({ operator, onLogOut, children }: { operator?: Operator; onLogOut?: () => void; children: ReactNode }) {
  const m = useMessages();
  const bar = (
    <>
      <Brand />
      <span className="instance-name">{m.supportConsole.consoleName}</span>
      <span className="top-bar-spacer" />
      <LanguagePicker />
      {operator ? (
        <>
          <span className="operator-name">
            <span className="visually-hidden">{m.supportConsole.loggedInAs}</span>
            {operator.name} <span className="operator-email">{operator.email}</span>
          </span>
          <button type="button" className="button button-small top-bar-button" onClick={onLogOut}>
            {m.shell.logOut}
          </button>
        </>
      ) : null}
    </>
  );
  return <Frame bar={bar}>{children}</Frame>;
}
