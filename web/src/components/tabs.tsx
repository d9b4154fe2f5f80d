/**
 * WAI-ARIA tabs (APG "tabs with automatic activation"): one tab stop, arrow keys move between
 * tabs, Home/End jump to the ends.
 */
import { useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';

export interface TabDefinition {
  id: string;
  label: string;
  content: ReactNode;
}

/**
 * `selectedId` and `onSelect` make the tabs follow the caller's state (Settings keeps its tab in
 * the URL, issue 13, so reload and Back keep it); without them the tabs keep their own.
 */
export function Tabs({
  label,
  tabs,
  selectedId: controlled,
  onSelect,
}: {
  label: string;
  tabs: TabDefinition[];
  selectedId?: string;
  onSelect?: (id: string) => void;
}) {
  const prefix = useId();
  const [own, setOwn] = useState(tabs[0]?.id);
  const selectedId = controlled ?? own;
  const setSelectedId = (id: string) => (onSelect ? onSelect(id) : setOwn(id));
  const buttons = useRef<Array<HTMLButtonElement | null>>([]);
  const selected = tabs.find((tab) => tab.id === selectedId) ?? tabs[0];

  const select = (index: number) => {
    const tab = tabs[(index + tabs.length) % tabs.length];
    if (!tab) return;
    setSelectedId(tab.id);
    buttons.current[(index + tabs.length) % tabs.length]?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLButtonElement>, index: number) => {
    const moves: Record<string, number> = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 };
    const target = moves[event.key];
    if (target === undefined) return;
    event.preventDefault();
    select(target);
  };

  return (
    <div className="tabs">
      <div role="tablist" aria-label={label} className="tab-list">
        {tabs.map((tab, index) => {
          const isSelected = tab.id === selected?.id;
          return (
            <button
              key={tab.id}
              ref={(element) => {
                buttons.current[index] = element;
              }}
              type="button"
              role="tab"
              id={`${prefix}-tab-${tab.id}`}
              aria-selected={isSelected}
              aria-controls={`${prefix}-panel-${tab.id}`}
              tabIndex={isSelected ? 0 : -1}
              className="tab"
              onClick={() => setSelectedId(tab.id)}
              onKeyDown={(event) => onKeyDown(event, index)}
            >
              {tab.label}
            </button>
          );
        })}
      </div>
      {selected ? (
        <div
          role="tabpanel"
          id={`${prefix}-panel-${selected.id}`}
          aria-labelledby={`${prefix}-tab-${selected.id}`}
          tabIndex={0}
          className="tab-panel"
        >
          {selected.content}
        </div>
      ) : null}
    </div>
  );
}
