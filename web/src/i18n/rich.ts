/** Sentences with an element inside (a link, a time): the parts as one fragment, in the language's own order. */
import { createElement, Fragment, type ReactNode } from 'react';

export function rich(...parts: ReactNode[]): ReactNode {
  return createElement(Fragment, null, ...parts);
}
