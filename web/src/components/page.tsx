/** A page's heading and title; after an in-app navigation, focus moves to the new heading. */
import { useEffect, useRef, type ReactNode } from 'react';
import { hasNavigated } from '../router.ts';
import { useMessages } from '../i18n/index.ts';

export function Page({ title, children, narrow = false }: { title: string; children: ReactNode; narrow?: boolean }) {
  const m = useMessages();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · ${m.common.titleSuffix}`;
    // Why: screen-reader and keyboard users otherwise stay on the control that no longer exists.
    // A page that put focus on its own first field (autoFocus) keeps it.
    const focusedInside = heading.current?.parentElement?.contains(document.activeElement) ?? false;
    if (hasNavigated() && !focusedInside) heading.current?.focus();
  }, [title, m]);
  return (
    <div className={narrow ? 'page page-narrow' : 'page'}>
      <h1 ref={heading} tabIndex={-1} className="page-title">
        {title}
      </h1>
      {children}
    </div>
  );
}

/** The way out under a page's form ("Cancel and log out"): a button that looks like a link. */
export function FooterButton({ onClick, children }: { onClick: () => void; children: ReactNode }) {
  return (
    <p className="page-footer-action">
      <button type="button" className="link-button" onClick={onClick}>
        {children}
      </button>
    </p>
  );
}
