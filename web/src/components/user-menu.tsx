/**
 * The avatar button at the top right and its menu (WAI-ARIA APG "menu button"): Enter, Space or
 * ArrowDown open it on the first item, ArrowUp on the last; arrows, Home and End move; Escape
 * closes it and returns focus to the button; Tab or a click elsewhere closes it.
 */
import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import type { Me } from '../api.ts';
import { useMessages } from '../i18n/index.ts';

export interface MenuAction {
  label: string;
  /** The language the label is in, when it is not the page's (the other languages, in their own words). */
  lang?: string;
  onSelect: () => void;
}

export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const first = Array.from(words[0] ?? '?')[0] ?? '?';
  const last = words.length > 1 ? (Array.from(words[words.length - 1] ?? '')[0] ?? '') : '';
  return (first + last).toUpperCase();
}

export function UserMenu({ me, actions }: { me: Me; actions: MenuAction[] }) {
  const m = useMessages();
  const menuId = useId();
  const [open, setOpen] = useState(false);
  const [focusIndex, setFocusIndex] = useState(0);
  const container = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const items = useRef<Array<HTMLButtonElement | null>>([]);

  useEffect(() => {
    if (open) items.current[focusIndex]?.focus();
  }, [open, focusIndex]);

  useEffect(() => {
    if (!open) return;
    const onPointerDown = (event: PointerEvent) => {
      if (!container.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', onPointerDown);
    return () => document.removeEventListener('pointerdown', onPointerDown);
  }, [open]);

  const openAt = (index: number) => {
    setFocusIndex((index + actions.length) % actions.length);
    setOpen(true);
  };

  const close = (returnFocus: boolean) => {
    setOpen(false);
    if (returnFocus) button.current?.focus();
  };

  const onButtonKeyDown = (event: KeyboardEvent<HTMLButtonElement>) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      openAt(event.key === 'ArrowDown' ? 0 : actions.length - 1);
    }
  };

  const onMenuKeyDown = (event: KeyboardEvent<HTMLUListElement>) => {
    const moves: Record<string, number> = {
      ArrowDown: focusIndex + 1,
      ArrowUp: focusIndex - 1,
      Home: 0,
      End: actions.length - 1,
    };
    if (event.key === 'Escape') {
      event.preventDefault();
      close(true);
    } else if (event.key === 'Tab') {
      close(false);
    } else if (moves[event.key] !== undefined) {
      event.preventDefault();
      setFocusIndex((moves[event.key]! + actions.length) % actions.length);
    }
  };

  const choose = (action: MenuAction) => {
    close(true);
    action.onSelect();
  };

  return (
    <div className="user-menu" ref={container}>
      <button
        ref={button}
        type="button"
        className="avatar-button"
        aria-label={me.name}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        onClick={() => (open ? close(false) : openAt(0))}
        onKeyDown={onButtonKeyDown}
      >
        <span className="avatar" aria-hidden="true">
          {initials(me.name)}
        </span>
        <span className="avatar-name" aria-hidden="true">
          {me.name}
        </span>
      </button>
      {open ? (
        <div className="menu-popup">
          <div className="menu-header">
            <span className="menu-header-name">{me.name}</span>
            <span className="menu-header-email">{me.email}</span>
          </div>
          <ul id={menuId} role="menu" aria-label={m.shell.accountMenu(me.name)} className="menu" onKeyDown={onMenuKeyDown}>
            {actions.map((action, index) => (
              <li key={action.label} role="none">
                <button
                  ref={(element) => {
                    items.current[index] = element;
                  }}
                  type="button"
                  role="menuitem"
                  lang={action.lang}
                  tabIndex={index === focusIndex ? 0 : -1}
                  className="menu-item"
                  onClick={() => choose(action)}
                  onMouseEnter={() => setFocusIndex(index)}
                >
                  {action.label}
                </button>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}
